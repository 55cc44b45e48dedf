package dev.graft.cli;

import static dev.graft.cli.CliTest.graft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.io.Json;
import dev.graft.model.Pooling;
import dev.graft.transfer.FeatureCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft explore} on two folders of codes: one clustered by label, one noise. */
class ExploreCliTest {

    @TempDir
    static Path tmp;

    static final List<String> CLASSES = List.of("a", "b", "c");

    /** A folder as graft extract writes it; {@code spread} 0 gives pure noise. */
    static Path codes(String stage, double separation) throws Exception {
        Path dir = tmp.resolve(stage);
        Files.createDirectories(dir);
        SplittableRandom rng = new SplittableRandom(stage.hashCode());
        int n = 150;
        int d = 6;
        float[] v = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int j = 0; j < d; j++) {
                v[i * d + j] = (float) ((j == y[i] ? separation : 0) + rng.nextDouble());
            }
        }
        new FeatureCodes(v, n, d, y, CLASSES).save(dir.resolve("train.safetensors"));
        Json.write(dir.resolve(FeatureCodes.INFO), new FeatureCodes.Info(1, "test", stage,
                Pooling.AVERAGE, d, CLASSES, List.of("train"), "synthetic"));
        return dir;
    }

    @Test
    void theClusteredStageWinsAndTheReportShowsBoth() throws Exception {
        Path good = codes("stage2", 10);
        Path noise = codes("stage1", 0);
        Path out = tmp.resolve("explore");
        CliTest.Run r = graft("explore", "--codes", noise + "," + good, "--k-max", "6",
                "--projection-sample", "60", "--json", "-q", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("stage2", j.path("best").asText());
        assertEquals("nmi", j.path("best_by").asText());
        JsonNode s2 = j.path("stages").get(1);
        assertEquals(3, s2.path("k").asInt(), s2.toString()); // the silhouette finds the 3
        assertEquals(1.0, s2.path("nmi").asDouble(), 1e-9);
        assertEquals(1.0, s2.path("ari").asDouble(), 1e-9);
        assertTrue(j.path("stages").get(0).path("nmi").asDouble() < 0.3, j.toString());
        assertEquals(5, s2.path("silhouette_by_k").size());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("t-SNE") && html.contains("stage1"), "report");

        // a given k is used as is
        CliTest.Run fixed = graft("explore", "--codes", good.toString(), "--k", "4",
                "--projection-sample", "30", "--json", "-q", "--out", tmp.resolve("k4")
                        .toString());
        assertEquals(0, fixed.code(), fixed.err());
        assertEquals(4, fixed.json().path("stages").get(0).path("k").asInt());
        assertEquals("given", fixed.json().path("stages").get(0).path("k_chosen_by").asText());
    }

    @Test
    void badFoldersAndOptionsAreClearErrors() throws Exception {
        CliTest.Run missing = graft("explore", "--codes", tmp.resolve("nothing").toString(),
                "-q", "--out", tmp.resolve("x").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("written by graft extract"), missing.err());
        Path good = codes("stage3", 10);
        CliTest.Run split = graft("explore", "--codes", good.toString(), "--split", "test",
                "-q", "--out", tmp.resolve("y").toString());
        assertEquals(2, split.code());
        assertTrue(split.err().contains("choose one with --split"), split.err());
        CliTest.Run k = graft("explore", "--codes", good.toString(), "--k", "1", "-q");
        assertEquals(2, k.code());
        assertTrue(k.err().contains("--k must be at least 2"), k.err());
    }
}
