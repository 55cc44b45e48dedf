package dev.graft.cli;

import static dev.graft.cli.CliTest.graft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft adapt} from the command line: MNIST (bundled) to the optical digits. */
class AdaptCliTest {

    @TempDir
    static Path tmp;

    static Path model;

    @BeforeAll
    static void sourceModel() {
        Path run = tmp.resolve("mnist");
        CliTest.Run r = graft("pretrain", "--data", "mnist-small", "--arch", "convnet",
                "--epochs", "3", "--shots", "50", "--batch-size", "32", "--out", run.toString(),
                "-q");
        assertEquals(0, r.code(), r.err());
        model = run.resolve("model");
    }

    @Test
    void jsonGivesEveryMethodTheBoundsAndTheSelection() throws Exception {
        Path out = tmp.resolve("adapt");
        CliTest.Run r = graft("adapt", "--model", model.toString(), "--target", "optdigits",
                "--methods", "source-only,adabn", "--seeds", "2", "--json", "-q", "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals(2, j.path("methods").size());
        JsonNode so = j.path("methods").get(0);
        assertEquals("source-only", so.path("name").asText());
        assertEquals(2, so.path("seeds").asInt());
        assertEquals(0, so.path("target_accuracy_std").asDouble(), 1e-12); // nothing random
        assertTrue(so.path("target_accuracy_mean").asDouble() > 0.2, so.toString());
        assertTrue(so.has("validator_score") && so.has("seconds"), so.toString());
        assertEquals(so.path("target_accuracy_mean").asDouble(), j.path("source_only")
                .asDouble(), 1e-12);
        assertTrue(j.path("oracle").isMissingNode() || j.path("oracle").isNull());
        assertEquals("im", j.path("selected").path("validator").asText());
        assertTrue(j.path("selected").has("method"), j.path("selected").toString());
        assertTrue(Files.isRegularFile(out.resolve("report.html")));
        assertTrue(Files.isRegularFile(out.resolve("models/adabn-seed1/model/model.json")));

        // the text table marks what it shows
        CliTest.Run text = graft("adapt", "--model", model.toString(), "--target", "optdigits",
                "--methods", "source-only,adabn", "--seeds", "2", "-q", "--out", out.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("selected by im (no target labels)"), text.out());
    }

    @Test
    void badInputIsOneClearLine() {
        CliTest.Run method = graft("adapt", "--model", model.toString(), "--target", "optdigits",
                "--methods", "source-only,dan", "-q");
        assertEquals(2, method.code());
        assertTrue(method.err().contains("unknown adaptation method 'dan'; methods are"
                + " source-only, oracle, adabn"), method.err());
        CliTest.Run classes = graft("adapt", "--model", model.toString(), "--target",
                "fashion-mnist-small", "--methods", "source-only", "-q", "--out",
                tmp.resolve("refused").toString());
        assertEquals(2, classes.code());
        assertTrue(classes.err().contains("same classes in the same order"), classes.err());
        assertFalse(Files.exists(tmp.resolve("refused")));
        CliTest.Run shift = graft("adapt", "--model", model.toString(), "--target",
                "optdigits:blurr", "-q");
        assertEquals(2, shift.code());
        assertTrue(shift.err().contains("unknown domain shift ':blurr'"), shift.err());
        CliTest.Run help = graft("adapt", "--help");
        assertTrue(help.out().contains("shot") && help.out().contains(":rotate"), help.out());
    }
}
