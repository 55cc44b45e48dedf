package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepProfileTest {

    private static String event(String name, double ts, double dur, int tid) {
        return String.format(java.util.Locale.ROOT,
                "{\"name\": \"%s\", \"ph\": \"X\", \"ts\": %.3f, \"dur\": %.3f, \"tid\": %d,"
                        + " \"pid\": \"CPU Functions\"}", name, ts, dur, tid);
    }

    @Test
    void selfTimeIsAnOperatorsTimeLessTheOperatorsItCalledPerThread(@TempDir Path dir)
            throws IOException {
        // thread 1: conv [0, 1000) calls fill [100, 400) and copy [500, 700), copy calls empty
        // [550, 600); then conv [2000, 2500) calls nothing. thread 2: empty [0, 50), which
        // overlaps thread 1's conv in time and must not be taken for its child.
        // Self, by hand: conv 1000 - 300 - 200 + 500 = 1000, fill 300, copy 200 - 50 = 150,
        // empty 50 + 50 = 100 (microseconds).
        Path trace = dir.resolve("trace.json");
        Files.writeString(trace, "[" + String.join(",\n",
                event("aten::convolution", 0, 1000, 1),
                event("aten::fill_", 100, 300, 1),
                event("aten::copy_", 500, 200, 1),
                event("aten::empty", 550, 50, 1),
                event("aten::convolution", 2000, 500, 1),
                event("aten::empty", 0, 50, 2),
                "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1}") + "]");
        StepProfile.Summary s = StepProfile.summarize(trace, 2, 3.0);
        Map<String, StepProfile.Row> rows = s.rows().stream()
                .collect(Collectors.toMap(StepProfile.Row::operator, Function.identity()));
        assertEquals(4, rows.size());
        assertEquals(1.0, rows.get("aten::convolution").selfMs(), 1e-9);
        assertEquals(1.5, rows.get("aten::convolution").totalMs(), 1e-9);
        assertEquals(2, rows.get("aten::convolution").calls());
        assertEquals(0.3, rows.get("aten::fill_").selfMs(), 1e-9);
        assertEquals(0.15, rows.get("aten::copy_").selfMs(), 1e-9);
        assertEquals(0.1, rows.get("aten::empty").selfMs(), 1e-9);
        assertEquals(2, rows.get("aten::empty").calls());
        assertEquals(1.55, s.selfMs(), 1e-9, "self times add up to the threads' busy time");
        assertEquals("aten::convolution", s.rows().get(0).operator(), "largest self time first");
        assertEquals(2, s.steps());
    }

    @Test
    void aTraceThatIsNotJsonNamesTheFile(@TempDir Path dir) throws IOException {
        Path trace = dir.resolve("broken.json");
        Files.writeString(trace, "[{\"name\": ");
        GraftException e = assertThrows(GraftException.class,
                () -> StepProfile.summarize(trace, 1, 1));
        assertTrue(e.getMessage().contains("broken.json"), e.getMessage());
    }

    @Test
    void minorFaultsCountPagesTouchedForTheFirstTime() {
        long before = MemoryProbe.minorFaults();
        // 64 MB of native memory: above glibc's largest mmap threshold (32 MB), so mapped
        // afresh, and zeroed by the JVM, which touches every one of its 16,384 pages
        java.nio.ByteBuffer fresh = java.nio.ByteBuffer.allocateDirect(64 << 20);
        long after = MemoryProbe.minorFaults();
        assertTrue(before > 0, "read from /proc/self/stat");
        assertTrue(after - before >= 16_000, before + " -> " + after);
        assertEquals(0, fresh.get(fresh.capacity() - 1));
    }
}
