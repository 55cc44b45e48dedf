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
