package dev.graft.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    @Test
    void escapesEveryPieceOfTextFromData() {
        assertEquals("&lt;b&gt;T-shirt&amp;top&lt;/b&gt; &quot;x&quot; &#39;y&#39;",
                Report.escape("<b>T-shirt&top</b> \"x\" 'y'"));
        String evil = "<script>alert(1)</script>";
        String html = new Report(evil).heading(evil).paragraph(evil).facts(Map.of(evil, evil))
                .table(List.of(evil), List.of(List.of(evil)), null)
                .confusion(evil, List.of(evil, "b"), new long[][] {{1, 0}, {0, 1}}).html();
        assertFalse(html.contains("<script>"), html);
        assertTrue(html.contains("&lt;script&gt;"));
    }

    @Test
    void chartsAreEmbeddedPngImages(@TempDir Path tmp) throws Exception {
        Chart line = Chart.lines("accuracy", "shots", "%", List.of(new Chart.Series("full",
                new double[] {1, 10, 100}, new double[] {60, 85, 95}, new double[] {2, 1, 0.5})),
                true);
        Chart bars = Chart.bars("by stage", "stage", "%", List.of("stage1", "stage2"),
                new double[] {70, 80});
        for (Chart c : List.of(line, bars)) {
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'},
                    Arrays.copyOf(c.png(), 4), c.title());
            assertTrue(c.png().length > 2000, "a drawn chart, not an empty image");
        }
        Path file = tmp.resolve("report.html");
        new Report("t").chart(line).confusion("c", List.of("a", "b"),
                new long[][] {{3, 1}, {0, 4}}).write(file);
        String html = Files.readString(file);
        assertTrue(html.contains("<img class=\"chart\" alt=\"accuracy\" src=\"data:image/png;"
                + "base64,"));
        assertTrue(html.contains("rgba(46,125,50,0.60)>3</td>".replace(")>", ")\">")), html);
        assertThrows(IllegalArgumentException.class, () -> new Chart.Series("s",
                new double[] {1}, new double[] {1, 2}, null));
    }
}
