package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.model.ModelOptions;
import dev.graft.train.Pretrain;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The advisor on the bundled subset, and its measures on hand-made codes. */
class AdvisorTest {

    @TempDir
    static Path tmp;

    static Path source;

    @BeforeAll
    static void pretrainSource() {
        source = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config("fashion-mnist-small",
                "0-4", null, 0.1, "mlp", ModelOptions.DEFAULT, ComparisonTest.train(1)),
                tmp.resolve("src"), false).checkpoint());
    }

    static Advisor.Config config(Integer shots) {
        return new Advisor.Config(source, "fashion-mnist-small", "5-9", shots, true, true, 3,
                ComparisonTest.train(2));
    }

    @Test
    void measuresEveryStageThenPilotsTheGuidesCandidates() {
        Advisor.Advice a = new Advisor(s -> { }).advise(config(10));
        assertEquals(List.of("layer1", "layer2"), a.curve().stream()
                .map(Advisor.StageEvidence::stage).toList());
        for (Advisor.StageEvidence e : a.curve()) {
            assertTrue(e.probeAccuracy() > 0.4 && e.probeAccuracy() <= 1, e.toString());
            assertTrue(e.domainDistance() >= 0 && e.domainDistance() <= 2, e.toString());
        }
        assertTrue(a.small());
        assertEquals(2, a.pilots().size());
        assertTrue(a.candidates().contains(a.strategy()));
        assertEquals(a.candidates(), a.pilots().stream().map(Advisor.Pilot::strategy).toList());
        Advisor.Pilot chosen = a.pilots().stream().filter(p -> p.strategy() == a.strategy())
                .findFirst().orElseThrow();
        for (Advisor.Pilot p : a.pilots()) {
            assertTrue(chosen.accuracy() >= p.accuracy() - 0.005, a.pilots().toString());
        }
        assertFalse(a.reasons().isEmpty());
        String text = AdviceReport.text(a, "graft finetune ...");
        assertTrue(text.contains("recommendation: " + a.strategy().id()), text);
    }

    @Test
    void oneLabelPerClassKeepsTheGuidesFirstCandidate() {
        Advisor.Advice a = new Advisor(s -> { }).advise(config(1));
        assertTrue(a.curve().stream().allMatch(e -> e.probeAccuracy() == null));
        assertNull(a.bestStage());
        assertTrue(a.pilots().isEmpty());
        assertEquals(a.candidates().get(0), a.strategy());
    }

    @Test
    void crossValidationSeparatesBlobsAndNotNoise() {
        FeatureCodes blobs = LinearProbeTest.blobs(20, 11);
        double cv = Advisor.crossValidated(blobs, 5, 1);
        assertTrue(cv > 0.9, "blobs: " + cv);
        int[] noise = new int[blobs.count()];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = rng.nextInt(3);
        }
        FeatureCodes random = new FeatureCodes(blobs.values(), blobs.count(), blobs.dim(), noise,
                blobs.classNames());
        assertTrue(Advisor.crossValidated(random, 5, 1) < 0.6, "labels unrelated to the codes");
    }
}
