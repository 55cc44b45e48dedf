package dev.graft.adapt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.Augmentation;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.UnlabeledDataset;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MNIST (bundled) to the optical digits, on small samples so every method runs in seconds. */
class AdaptationTest {

    @TempDir
    static Path tmp;

    static Path model;
    static Adaptation.Domains domains;

    static TrainConfig train(int epochs) {
        return new TrainConfig(epochs, 64, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 7, 0, List.of());
    }

    @BeforeAll
    static void sourceModel() {
        model = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config("mnist-small", null, 60,
                0.0, "convnet", ModelOptions.DEFAULT, train(2)), tmp.resolve("source"), false)
                .checkpoint());
        DatasetResolver r = new DatasetResolver(Map.of(), tmp, false);
        DatasetResolver.Resolved src = r.resolve("mnist-small", s -> { });
        DatasetResolver.Resolved tgt = r.resolve("optdigits", s -> { });
        domains = new Adaptation.Domains(src.train().sampleShots(40, 1),
                src.test().sampleShots(20, 2), tgt.train().sampleShots(40, 3),
                tgt.test(), "mnist-small", "optdigits");
    }

    static Adaptation.Config config(List<Recipe> methods) {
        return new Adaptation.Config(model, null, "optdigits", methods, 1, 1, 0.95,
                Validator.SND, train(1));
    }

    static List<Recipe> all() {
        List<Recipe> out = new ArrayList<>();
        for (Method m : Method.values()) {
            out.add(new Recipe(false, m));
        }
        out.add(Recipe.parse("adabn+self-training"));
        out.add(Recipe.parse("adabn+em"));
        return out;
    }

    /** The target's training labels shuffled: what adaptation must not be able to notice. */
    static ImageDataset shuffledLabels(ImageDataset d) {
        int[] y = d.labels();
        int[] perm = ImageDataset.permutation(y.length, new SplittableRandom(5));
        int[] shuffled = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            shuffled[i] = y[perm[i]];
        }
        byte[] px = new byte[d.size() * d.imageSize()];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) d.pixel(i);
        }
        return new ImageDataset(d.name(), px, shuffled, d.channels(), d.height(), d.width(),
                d.classNames());
    }

    @Test
    void everyMethodAdaptsAndNoneButTheOracleReadsTargetLabels() {
        Adaptation.Result r = new Adaptation(s -> { }).epochCost(false).run(config(all()),
                domains, tmp.resolve("all"));
        assertEquals(all().size(), r.methods().size());
        assertNotNull(r.sourceOnly());
        assertNotNull(r.oracle());
        for (Adaptation.Row row : r.methods()) {
            assertEquals(0, row.diverged(), row.name());
            assertTrue(row.targetAccuracyMean() > 0.3, row.name() + " "
                    + row.targetAccuracyMean() + " (chance 0.1)");
            assertNotNull(row.scores().get(Validator.SND), row.name());
        }
        for (Adaptation.Cell cell : r.cells()) {
            if (cell.method().method() != Method.SOURCE_ONLY) {
                assertTrue(Files.isRegularFile(Path.of(cell.checkpoint(), Checkpoint.WEIGHTS)),
                        cell.checkpoint());
                assertEquals(model.toString(), Checkpoint.readSpec(Path.of(cell.checkpoint()),
                        "test").provenance().parent());
            }
        }
        assertNotNull(r.selected().method());
        assertTrue(Files.isRegularFile(tmp.resolve("all/report.html")));

        // the same run with the target's training labels shuffled: every method but the oracle
        // gives the same numbers, so none of them read those labels
        Adaptation.Domains shuffled = new Adaptation.Domains(domains.sourceTrain(),
                domains.sourceTest(), shuffledLabels(domains.targetTrain()),
                domains.targetTest(), "mnist-small", "optdigits");
        Adaptation.Result again = new Adaptation(s -> { }).epochCost(false).run(config(all()),
                shuffled, tmp.resolve("shuffled"));
        for (int i = 0; i < r.cells().size(); i++) {
            Adaptation.Cell a = r.cells().get(i);
            Adaptation.Cell b = again.cells().get(i);
            if (a.method().readsTargetLabels()) {
                continue;
            }
            assertEquals(a.targetAccuracy(), b.targetAccuracy(), a.method().id());
            assertEquals(a.scores(), b.scores(), a.method().id());
        }

        // run again into the same folder: every finished cell is reused
        Adaptation.Result resumed = new Adaptation(s -> { }).epochCost(false).run(config(all()),
                domains, tmp.resolve("all"));
        assertEquals(all().size(), resumed.resumedCells());
        assertEquals(r.methods(), resumed.methods());

        // another method extends the finished run: one new cell; other training options do not
        List<Recipe> more = List.of(new Recipe(false, Method.SOURCE_ONLY),
                Recipe.parse("adabn+tsvm"));
        Adaptation.Result extended = new Adaptation(s -> { }).epochCost(false).run(config(more),
                domains, tmp.resolve("all"));
        assertEquals(1, extended.resumedCells());
        assertEquals(2, extended.methods().size());
        Adaptation.Config other = new Adaptation.Config(model, null, "optdigits", more, 1, 0.5,
                0.95, Validator.SND, train(1));
        GraftException refused = assertThrows(GraftException.class, () -> new Adaptation(
                s -> { }).epochCost(false).run(other, domains, tmp.resolve("all")));
        assertTrue(refused.getMessage().contains("trade_off"), refused.getMessage());
    }

    @Test
    void adaBnReplacesRunningStatisticsWithTheTargets() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                UnlabeledDataset target = UnlabeledDataset.of(domains.targetTrain(),
                        Checkpoint.readSpec(model, "t").normalization(), m)) {
            var net = Checkpoint.load(model, m).net();
            NDArray x = target.range(0, target.size(), m);
            // below the dropout of convnet's stage3, where training and inference mode differ
            // only by the statistics BatchNorm uses
            NDArray before = net.features(new ParameterStore(m, false), x, "stage2",
                    dev.graft.model.Pooling.NONE);
            AdaBN.apply(net, target, 64, m); // 400 examples: 6 batches of 64 and one of 16
            NDArray inference = net.features(new ParameterStore(m, false), x, "stage2",
                    dev.graft.model.Pooling.NONE);
            // the running statistics are now the target's: inference mode matches the batch
            // statistics of the whole target (up to the unbiased variance's n / (n - 1))
            java.util.Map<String, NDArray> capture = new java.util.LinkedHashMap<>();
            capture.put("stage2", null);
            net.forward(new ParameterStore(m, false), x, true, capture);
            NDArray training = capture.get("stage2");
            float diff = inference.sub(training).abs().max().getFloat();
            float moved = inference.sub(before).abs().max().getFloat();
            assertTrue(diff < 0.01 * moved, "inference vs batch statistics " + diff
                    + ", change from the source statistics " + moved);
        }
    }

    @Test
    void badDomainsAreRefusedBeforeAnyWork() {
        Path out = tmp.resolve("refused");
        ImageDataset t = domains.targetTrain();
        List<String> reversed = new ArrayList<>(t.classNames());
        java.util.Collections.reverse(reversed);
        ImageDataset reordered = t.withClassNames(reversed);
        GraftException order = assertThrows(GraftException.class, () -> new Adaptation(s -> { })
                .run(config(all()), new Adaptation.Domains(domains.sourceTrain(),
                        domains.sourceTest(), reordered, domains.targetTest(), "mnist-small",
                        "optdigits-reversed"), out));
        assertTrue(order.getMessage().contains("same classes in the same order"),
                order.getMessage());
        ImageDataset fashion = new DatasetResolver(Map.of(), tmp, false).resolve(
                "fashion-mnist-small", s -> { }).test();
        Adaptation.Domains wrongSource = new Adaptation.Domains(fashion, fashion,
                domains.targetTrain(), domains.targetTest(), "fashion-mnist-small", "optdigits");
        GraftException classes = assertThrows(GraftException.class, () -> new Adaptation(
                s -> { }).epochCost(false).run(config(all()), wrongSource, out));
        assertTrue(classes.getMessage().contains("--model " + model + " has classes"),
                classes.getMessage());
        assertTrue(!Files.exists(out), "nothing written for a refused run");
        IllegalArgumentException method = assertThrows(IllegalArgumentException.class,
                () -> Recipe.parseList("source-only,dan"));
        assertTrue(method.getMessage().contains("methods are source-only, oracle, adabn"),
                method.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Recipe.parse("coral+mmd"));
        assertThrows(IllegalArgumentException.class, () -> Recipe.parse("adabn+oracle"));
        assertThrows(IllegalArgumentException.class, () -> Recipe.parseList("mcc,mcc"));
    }

    @Test
    void shotClustersByCosineToProbabilityWeightedCentroids() {
        // two tight groups of features; the predictions half-wrong for one example of each
        float[][] f = {{1, 0}, {0.9f, 0.1f}, {1, 0.05f}, {0, 1}, {0.1f, 0.9f}, {0.05f, 1}};
        float[][] p = {{0.9f, 0.1f}, {0.9f, 0.1f}, {0.4f, 0.6f}, {0.1f, 0.9f}, {0.1f, 0.9f},
            {0.6f, 0.4f}};
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, ShotObjective.cluster(f, p));
        assertTrue(Arrays.stream(ShotObjective.cluster(f, new float[][] {{1, 0}, {1, 0}, {1, 0},
            {1, 0}, {1, 0}, {1, 0}})).allMatch(l -> l == 0), "a class nobody predicts gets no"
                + " centroid");
    }
}
