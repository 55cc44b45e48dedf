package dev.graft.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.graft.data.ClassNames;
import dev.graft.data.EvalTransform;
import dev.graft.data.IdxReader;
import dev.graft.io.GraftException;
import dev.graft.io.SafeTensors;
import dev.graft.model.Checkpoint;
import dev.graft.train.RunTraining;
import dev.graft.transfer.FeatureCodes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of every reader of a file a user hands graft (Jazzer). Each target
 * accepts the input or refuses it with a {@link GraftException} (a clean, named error); any
 * other exception or error is a finding. {@code mvn test} replays the kept corpus, {@code
 * src/test/fuzz-corpus/<target>/}; {@code bench/fuzz.sh} fuzzes each target (Jazzer runs one
 * fuzz test per JVM, with {@code JAZZER_FUZZ=1}) and adds what it finds to that corpus.
 */
class ReaderFuzzTest {

    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("graft-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code reader}; a refusal by GraftException is the good outcome for bad bytes. */
    private static void refusesCleanly(Runnable reader) {
        try {
            reader.run();
        } catch (GraftException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("a refusal without a message", expected);
            }
        }
    }

    private static Path file(String name, byte[] content) {
        try {
            return Files.write(DIR.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One reader fed one input. */
    @FunctionalInterface
    interface Target {
        void feed(byte[] data);
    }

    /** Every target by name: the names of the fuzz tests and of the corpus folders. */
    static final Map<String, Target> TARGETS = Map.of(
            "safetensors", ReaderFuzzTest::safetensorsFile,
            "idx", ReaderFuzzTest::idxFile,
            "codes", ReaderFuzzTest::codesFile,
            "modelJson", ReaderFuzzTest::modelJsonFile,
            "classNames", ReaderFuzzTest::classNamesFile,
            "runState", ReaderFuzzTest::runStateFolder,
            "image", ReaderFuzzTest::imageFile);

    /** Where bench/fuzz.sh keeps what fuzzing found interesting, one folder per target. */
    static final Path CORPUS = Path.of("src/test/fuzz-corpus");

    /**
     * Replays the kept corpus through every target: what fuzzing once reached stays covered
     * in the normal suite, in seconds.
     */
    @Test
    void theKeptCorpusIsRefusedCleanlyOrRead() throws IOException {
        int replayed = 0;
        for (var t : new TreeMap<>(TARGETS).entrySet()) {
            Path dir = CORPUS.resolve(t.getKey());
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) {
                    try {
                        t.getValue().feed(Files.readAllBytes(f));
                    } catch (RuntimeException | Error e) {
                        throw new AssertionError(t.getKey() + " fails on " + f, e);
                    }
                    replayed++;
                }
            }
        }
        assertTrue(replayed >= TARGETS.size(), "the corpus holds " + replayed + " inputs");
    }

    @FuzzTest(maxDuration = "10m")
    void safetensors(byte[] data) {
        safetensorsFile(data);
    }

    @FuzzTest(maxDuration = "10m")
    void idx(byte[] data) {
        idxFile(data);
    }

    @FuzzTest(maxDuration = "10m")
    void codes(byte[] data) {
        codesFile(data);
    }

    @FuzzTest(maxDuration = "10m")
    void modelJson(byte[] data) {
        modelJsonFile(data);
    }

    @FuzzTest(maxDuration = "10m")
    void classNames(byte[] data) {
        classNamesFile(data);
    }

    @FuzzTest(maxDuration = "10m")
    void runState(byte[] data) {
        runStateFolder(data);
    }

    @FuzzTest(maxDuration = "10m")
    void image(byte[] data) {
        imageFile(data);
    }

    static void safetensorsFile(byte[] data) {
        Path f = file("weights.safetensors", data);
        refusesCleanly(() -> {
            try (SafeTensors st = SafeTensors.open(f)) {
                for (SafeTensors.Entry e : st.entries().values()) {
                    if (e.elements() > 1 << 20) {
                        continue; // the header's claims are checked against the file already
                    }
                    if (e.isFloatingPoint()) {
                        st.floats(e.name());
                    } else {
                        refusesCleanly(() -> st.longs(e.name()));
                    }
                }
            }
        });
    }

    static void idxFile(byte[] data) {
        refusesCleanly(() -> IdxReader.parse(Path.of("fuzz-idx3-ubyte"), data));
    }

    static void codesFile(byte[] data) {
        Path f = file("train.safetensors", data);
        refusesCleanly(() -> FeatureCodes.load(f, List.of("a", "b", "c")));
    }

    static void modelJsonFile(byte[] data) {
        Path dir = DIR.resolve("model");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        file("model/model.json", data);
        refusesCleanly(() -> Checkpoint.readSpec(dir, "--model"));
    }

    static void classNamesFile(byte[] data) {
        Path f = file("classes.txt", data);
        refusesCleanly(() -> ClassNames.read(f));
    }

    /**
     * A run folder's run.json, last/trainer.json and metrics.jsonl, as --resume reads them: the
     * input is split at its first two NUL bytes.
     */
    static void runStateFolder(byte[] data) {
        Path run = DIR.resolve("run");
        String[] parts = new String(data, StandardCharsets.UTF_8).split("\u0000", 3);
        try {
            dev.graft.io.AtomicFiles.deleteTree(run);
            Files.createDirectories(run.resolve("last"));
            Files.writeString(run.resolve("run.json"), parts[0]);
            Files.writeString(run.resolve("last/trainer.json"), parts.length > 1 ? parts[1] : "");
            Files.writeString(run.resolve("metrics.jsonl"), parts.length > 2 ? parts[2] : "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        refusesCleanly(() -> RunTraining.open(run, true, Map.of("data", "x"), 5, s -> { })
                .close());
    }

    static void imageFile(byte[] data) {
        Path f = file("picture.png", data);
        refusesCleanly(() -> new EvalTransform(32, 28, 28, 1).read(f));
    }
}
