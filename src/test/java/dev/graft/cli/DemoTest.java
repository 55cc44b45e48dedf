package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graft demo --quick} on the bundled subset: the whole pipeline, its resumption, and its
 * report opened in a real browser.
 */
class DemoTest {

    @TempDir
    static Path tmp;

    static Path dir;
    static JsonNode first;

    @BeforeAll
    static void runQuickDemo() throws Exception {
        dir = tmp.resolve("demo");
        CliTest.Run r = CliTest.graft("demo", "--quick", "--data", "fashion-mnist-small",
                "--out", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        first = r.json();
    }

    @Test
    void runsEveryStrategyAndChecksTheAdvice() {
        assertTrue(first.get("source_accuracy").asDouble() > 0.6, first.toString());
        assertEquals(5, first.path("comparison").path("table").size());
        JsonNode check = first.path("checks").get(0);
        assertEquals(10, check.get("shots").asInt());
        assertTrue(check.get("best_accuracy").asDouble() >= check.get("advised_accuracy")
                .asDouble());
        assertTrue(Files.isRegularFile(dir.resolve("report.html")));
        assertTrue(Files.isDirectory(dir.resolve("source/model")));
    }

    @Test
    void runningAgainReusesTheSourceAndEveryCell() throws Exception {
        CliTest.Run r = CliTest.graft("demo", "--quick", "--data", "fashion-mnist-small",
                "--out", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode again = r.json();
        assertTrue(again.get("source_reused").asBoolean());
        assertEquals(5, again.path("comparison").get("resumed_cells").asInt());
        assertEquals(first.path("comparison").path("table"), again.path("comparison")
                .path("table"));
    }

    /**
     * Opens a copy of the report in headless Chromium with a script that counts the chart
     * images the browser decoded; skipped where Chromium is not installed (CI installs it).
     */
    @Test
    void reportRendersItsChartsInABrowser() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assumeTrue(Files.isExecutable(chromium), "no /usr/bin/chromium (apt-get install "
                + "chromium); the browser check is skipped");
        String html = Files.readString(dir.resolve("report.html"));
        int expected = html.split("<img class=\"chart\"", -1).length - 1;
        assertTrue(expected >= 4, "source curve, transferability curve, distances, comparison");
        Path probe = dir.resolve("browser-check.html");
        Files.writeString(probe, html.replace("</body>", "<script>window.addEventListener("
                + "'load',()=>{const ok=[...document.querySelectorAll('img.chart')].filter("
                + "i=>i.complete&&i.naturalWidth>100).length;document.title='charts:'+ok+"
                + "' tables:'+document.querySelectorAll('table').length;});</script></body>"));
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom",
                probe.toUri().toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        Matcher m = Pattern.compile("<title>charts:(\\d+) tables:(\\d+)</title>").matcher(dom);
        assertTrue(m.find(), "the page's script did not run: " + dom.substring(0,
                Math.min(300, dom.length())));
        assertEquals(expected, Integer.parseInt(m.group(1)), "every chart decoded and drawn");
        assertTrue(Integer.parseInt(m.group(2)) >= 4, "facts, comparison, confusion tables");
    }
}
