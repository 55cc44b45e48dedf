package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text from the command line: the bundled MiniLM materialized by name, sentence codes of real
 * reviews, a probe that learns from them, and clear refusals.
 */
class TextCliTest {

    @TempDir
    static Path tmp;

    @BeforeAll
    static void home() {
        System.setProperty("graft.home", tmp.toString());
    }

    @AfterAll
    static void restore() {
        System.clearProperty("graft.home");
    }

    @Test
    void minilmCodesOfReviewSentencesFeedAProbeWellAboveChance() throws Exception {
        Path codes = tmp.resolve("codes");
        CliTest.Run ex = CliTest.graft("extract", "--model", "minilm", "--data",
                "uci-sentiment:yelp", "--out", codes.toString(), "--json");
        assertEquals(0, ex.code(), ex.err());
        JsonNode info = ex.json();
        assertEquals(384, info.get("dim").asInt());
        assertEquals("layer5", info.get("stage").asText());
        assertTrue(Files.isRegularFile(tmp.resolve(".graft/models/minilm/tokenizer.json")));
        CliTest.Run probe = CliTest.graft("probe", "--codes", codes.toString(), "--json");
        assertEquals(0, probe.code(), probe.err());
        double acc = probe.json().get("test_accuracy").asDouble();
        System.out.printf("MiniLM layer5 probe, Yelp sentences (800 train / 200 test): %.2f%%%n",
                100 * acc);
        // chance is 50%; the frozen encoder's codes separate the sentiment of reviews
        assertTrue(acc > 0.8, "probe accuracy " + acc);
    }

    /**
     * The strategies of text side by side on real reviews: TF-IDF, the frozen probe, SetFit's
     * pairs and full fine-tuning, each a row of the table with its own cells; scratch refused.
     */
    @Test
    void transferComparesTextStrategies() throws Exception {
        CliTest.Run r = CliTest.graft("transfer", "--model", "minilm", "--data",
                "uci-sentiment:yelp", "--shots", "4", "--seeds", "1", "--epochs", "1",
                "--min-steps", "2", "--strategies", "tfidf,probe,setfit,full", "--out",
                tmp.resolve("transfer").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode table = r.json().get("table");
        assertEquals(4, table.size());
        for (JsonNode row : table) {
            double acc = row.get("mean_accuracy").asDouble();
            assertTrue(acc > 0.3 && acc <= 1, row.toString());
            if (!row.get("strategy").asText().equals("tfidf")) {
                assertTrue(row.get("vs_scratch").has("mean"), "paired with tfidf: " + row);
            }
        }
        for (JsonNode cell : r.json().get("cells")) {
            String s = cell.get("strategy").asText();
            // setfit: 8 sentences give 40 pairs, capped at 1 epoch x 2 steps x 16
            long expected = switch (s) {
                case "setfit" -> 2;
                case "full" -> 2;
                default -> 0;
            };
            assertEquals(expected, cell.get("steps").asLong(), s);
            assertEquals(8, cell.get("train_examples").asInt(), s);
        }
        CliTest.Run scratch = CliTest.graft("transfer", "--model", "minilm", "--data",
                "uci-sentiment:yelp", "--strategies", "scratch", "--out",
                tmp.resolve("scratch").toString());
        assertEquals(2, scratch.code());
        assertTrue(scratch.err().contains("the no-transfer baseline of text is tfidf"),
                scratch.err());
    }

    /** The text demo, cut to two cheap strategies: its table and its report. */
    @Test
    void textDemoWritesItsTableAndReport() throws Exception {
        Path out = tmp.resolve("demo-text");
        CliTest.Run r = CliTest.graft("demo", "text", "--shots", "4", "--strategies",
                "tfidf,probe", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.json().get("table").size());
        String report = Files.readString(out.resolve("report.html"));
        assertTrue(report.contains("vs tfidf"), "the text baseline names its column");
    }

    /**
     * MiniLM as ONNX: float32 within 1e-4 of graft in ONNX Runtime on real sentences, int8 on
     * the classes of graft's simulation, the tokenizer beside them; quantize measures the same
     * 37 linear layers (six a transformer layer and the classifier).
     */
    @Test
    void aTextEncoderExportsAndQuantizes() throws Exception {
        Path out = tmp.resolve("onnx");
        CliTest.Run r = CliTest.graft("export", "--model", "minilm", "--data",
                "uci-sentiment:yelp", "--int8", "--calibration-images", "64", "--out",
                out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode files = r.json().get("files");
        assertEquals(2, files.size());
        assertTrue(files.get(0).get("max_abs_diff").asDouble() < 1e-4, files.toString());
        assertTrue(files.get(1).get("agreement").asDouble() >= 0.99, files.toString());
        assertTrue(files.get(1).get("bytes").asLong() < files.get(0).get("bytes").asLong());
        assertEquals(37, r.json().get("plan").get("inputs").size());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        CliTest.Run q = CliTest.graft("quantize", "--model", "minilm", "--data",
                "uci-sentiment:yelp", "--calibration", "min-max", "--calibration-images", "64",
                "--out", tmp.resolve("int8").toString(), "--json");
        assertEquals(0, q.code(), q.err());
        assertEquals(37, q.json().get("rows").get(0).get("plan").get("inputs").size());
    }

    /** advise reads a text encoder's layers as its stages and places a small target. */
    @Test
    void adviseMeasuresEveryEncoderLayer() throws Exception {
        CliTest.Run r = CliTest.graft("advise", "--model", "minilm", "--data",
                "uci-sentiment:yelp", "--shots", "4", "--no-pilot", "--out",
                tmp.resolve("advise").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode a = r.json();
        assertEquals(7, a.get("curve").size(), "embeddings and six layers");
        assertEquals("layer5", a.get("curve").get(6).get("stage").asText());
        assertTrue(a.get("small").asBoolean());
        for (JsonNode stage : a.get("curve")) {
            double p = stage.get("probe_accuracy").asDouble();
            assertTrue(p >= 0 && p <= 1, stage.toString());
        }
    }

    @Test
    void textAndImageDataDoNotMix() {
        CliTest.Run r = CliTest.graft("extract", "--model", "minilm", "--data",
                "fashion-mnist-small", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("is not text"), r.err());
        CliTest.Run site = CliTest.graft("extract", "--model", "minilm", "--data",
                "uci-sentiment:twitter", "--out", tmp.resolve("y").toString());
        assertTrue(site.err().contains("its sites are [amazon, imdb, yelp]"), site.err());
    }
}
