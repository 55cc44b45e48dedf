package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.model.ModelOptions;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft transfer} on the bundled subset: cells, the probe head, resuming, bad input. */
class ComparisonTest {

    @TempDir
    static Path tmp;

    static Path source;

    static TrainConfig train(int epochs) {
        return new TrainConfig(epochs, 32, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), dev.graft.data.Augmentation.NONE, 7, 0, List.of());
    }

    @BeforeAll
    static void pretrainSource() {
        Pretrain.Result r = new Pretrain(s -> { }).run(new Pretrain.Config("fashion-mnist-small",
                "0-4", null, 0.1, "mlp", ModelOptions.DEFAULT, train(1)), tmp.resolve("src"),
                false);
        source = Path.of(r.checkpoint());
    }

    static Comparison.Config config(List<Strategy> strategies, List<Integer> shots) {
        return new Comparison.Config(source, "fashion-mnist-small", "5-9", strategies, shots, 1,
                3, true, train(2));
    }

    @Test
    void runsEveryCellThenResumesWithoutRedoingAny() {
        Path dir = tmp.resolve("cmp");
        Comparison.Config c = config(List.of(Strategy.SCRATCH, Strategy.PROBE, Strategy.FULL),
                Arrays.asList(4, null));
        Comparison.Result first = new Comparison(s -> { }).run(c, dir);
        assertEquals(6, first.cells().size());
        assertEquals(0, first.resumedCells());
        assertEquals(6, first.table().size());
        for (Comparison.Cell cell : first.cells()) {
            assertTrue(Files.isRegularFile(dir.resolve("cells").resolve(cell.id() + ".json")));
            assertEquals(cell.shots() == null ? 3000 : 20, cell.trainExamples(),
                    cell.id());
        }
        // with every labelled image the fine-tuned mlp learns; 2 epochs x 3 steps from scratch
        // on 20 images may not, so only the transfer cells are held to it
        assertTrue(first.row(Strategy.FULL, null).meanAccuracy() > 0.6, first.table()
                .toString());
        assertTrue(first.row(Strategy.PROBE, null).meanAccuracy() > 0.6);
        long probeParams = first.row(Strategy.PROBE, 4).trainableParameters();
        assertEquals(5 * (100 + 1), probeParams, "a logistic regression on 100-d codes");

        String report = assertDoesNotThrow(() -> Files.readString(dir.resolve("report.html")));
        assertTrue(report.contains("data:image/png;base64,") && report.contains("Sandal"));

        Comparison.Result again = new Comparison(s -> { }).run(c, dir);
        assertEquals(6, again.resumedCells());
        for (int i = 0; i < 6; i++) {
            assertEquals(first.cells().get(i).testAccuracy(), again.cells().get(i).testAccuracy());
            assertEquals(first.cells().get(i).wallSeconds(), again.cells().get(i).wallSeconds());
        }

        Comparison.Config other = config(List.of(Strategy.FULL), List.of(4));
        GraftException e = assertThrows(GraftException.class,
                () -> new Comparison(s -> { }).run(other, dir));
        assertTrue(e.getMessage().contains("another configuration"), e.getMessage());
    }

    /** The probe cell's network, read through its head, scores what the probe scores. */
    @Test
    void probeHeadIsTheFittedLogisticRegression() {
        Comparison.Config c = config(List.of(Strategy.PROBE), List.of(10));
        TargetTask task = TargetTask.load(source, c.data(), c.classes(), true, s -> { });
        long seed = Seeds.derive(c.train().seed(), "seed1");
        ImageDataset budget = (ImageDataset) task.budget(10, Seeds.derive(seed, "shots"));
        try (NDManager m = NDManager.newBaseManager()) {
            Comparison.Trained t = Comparison.train(task, Strategy.PROBE, budget, c.train(),
                    seed, 3, dev.graft.train.Progress.SILENT, m);
            StagedNet net = t.net();
            try (TensorDataset tr = TensorDataset.of(budget, t.normalization(), m);
                    TensorDataset te = TensorDataset.of((ImageDataset) task.test(), t.normalization(), m)) {
                String top = net.stageNames().get(net.stageNames().size() - 1);
                FeatureCodes trainCodes = FeatureCodes.extract(net, tr, top, Pooling.AVERAGE,
                        budget.classNames(), m);
                FeatureCodes testCodes = FeatureCodes.extract(net, te, top, Pooling.AVERAGE,
                        budget.classNames(), m);
                double probe = LinearProbe.fit(trainCodes, testCodes, LinearProbe.Config
                        .defaults(LinearProbe.Classifier.LOGREG, Seeds.derive(seed, "probe")))
                        .testAccuracy();
                double viaNet = dev.graft.train.Evaluation.of(net, te, null, m).accuracy();
                assertEquals(probe, viaNet, 1.5 / te.size(), "float rounding may flip a tie");
                assertTrue(viaNet > 0.5, "10-shot probe on mlp codes: " + viaNet);
            }
        }
    }

    /**
     * LP-FT starts from the probe's head: at a rate of 1e-12 (below a float32 weight's ulp)
     * training moves nothing (the mlp has no BatchNorm), so the lp-ft cell scores exactly what
     * the probe cell scores. 50 labelled images, batch 32, at least 3 steps: repeated to 100
     * images, 4 steps.
     */
    @Test
    void lpFtStartsFromTheProbesHead() {
        Comparison.Config c = config(List.of(Strategy.PROBE, Strategy.LP_FT), List.of(10));
        TrainConfig still = new TrainConfig(1, 32, OptimizerConfig.adam(1e-12),
                LrSchedule.OneCycle.defaults(), dev.graft.data.Augmentation.NONE, 7, 0, List.of());
        TargetTask task = TargetTask.load(source, c.data(), c.classes(), true, s -> { });
        long seed = Seeds.derive(c.train().seed(), "seed1");
        ImageDataset budget = (ImageDataset) task.budget(10, Seeds.derive(seed, "shots"));
        double[] acc = new double[2];
        int i = 0;
        for (Strategy s : List.of(Strategy.PROBE, Strategy.LP_FT)) {
            try (NDManager m = NDManager.newBaseManager()) {
                Comparison.Trained t = Comparison.train(task, s, budget, still, seed, 3,
                        dev.graft.train.Progress.SILENT, m);
                try (TensorDataset te = TensorDataset.of((ImageDataset) task.test(),
                        t.normalization(), m)) {
                    acc[i++] = dev.graft.train.Evaluation.of(t.net(), te, null, m).accuracy();
                }
                assertEquals(s == Strategy.LP_FT ? 4 : 0, t.steps(), s.id());
            }
        }
        assertEquals(acc[0], acc[1], 0.0, "lp-ft's starting head is the probe's");
        assertTrue(acc[0] > 0.5, "10-shot probe on mlp codes: " + acc[0]);
    }

    /**
     * joint starts from the same weights as scratch and takes as many steps, but its trunk also
     * learns the source task's five classes through a head of its own.
     */
    @Test
    void jointTrainsTheSourceTaskBesideTheTarget() {
        TargetTask task = TargetTask.load(source, "fashion-mnist-small", "5-9", true, s -> { });
        long seed = Seeds.derive(7, "seed1");
        ImageDataset budget = (ImageDataset) task.budget(10, Seeds.derive(seed, "shots"));
        Comparison.Trained[] t = new Comparison.Trained[2];
        float[][] firstLayer = new float[2][];
        double[] acc = new double[2];
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < 2; i++) {
                Strategy s = i == 0 ? Strategy.SCRATCH : Strategy.JOINT;
                t[i] = Comparison.train(task, s, budget, train(1), seed, 3,
                        dev.graft.train.Progress.SILENT, m);
                firstLayer[i] = t[i].net().namedParameters().values().iterator().next()
                        .getArray().toFloatArray();
                try (TensorDataset te = TensorDataset.of((ImageDataset) task.test(),
                        t[i].normalization(), m)) {
                    acc[i] = dev.graft.train.Evaluation.of(t[i].net(), te, null, m).accuracy();
                }
            }
            long sourceHead = dev.graft.model.Architecture.MLP.build(new int[] {1, 28, 28}, 5,
                    ModelOptions.DEFAULT).initialize(m, 0).parameters(
                            dev.graft.model.StagedNet.HEAD).values().stream()
                    .mapToLong(p -> p.getArray().size()).sum();
            assertEquals(t[0].trainableParameters() + sourceHead, t[1].trainableParameters());
        }
        assertEquals(t[0].steps(), t[1].steps(), "the same steps on the target's labels");
        assertTrue(!java.util.Arrays.equals(firstLayer[0], firstLayer[1]),
                "the source batches moved the trunk");
        assertTrue(acc[1] > 0.3, "joint on 10 labels per class: " + acc[1]);
    }

    @Test
    void badRequestsFailBeforeAnyWork() {
        Path dir = tmp.resolve("bad");
        GraftException overlap = assertThrows(GraftException.class, () -> new Comparison(
                s -> { }).run(new Comparison.Config(source, "fashion-mnist-small", "3-6",
                        List.of(Strategy.FULL), List.of(4), 1, 3, true, train(1)), dir));
        assertTrue(overlap.getMessage().contains("[Dress, Coat]"), overlap.getMessage());
        GraftException tooMany = assertThrows(GraftException.class, () -> new Comparison(
                s -> { }).run(config(List.of(Strategy.FULL), List.of(5000)), dir));
        assertTrue(tooMany.getMessage().contains("--shots 5000"), tooMany.getMessage());
        assertFalse(Files.exists(dir));
        assertThrows(IllegalArgumentException.class, () -> Strategy.byId("finetune"));
        assertThrows(IllegalArgumentException.class, () -> Comparison.parseShots("10,lots"));
        assertEquals(Arrays.asList(1, null), Comparison.parseShots("1, all"));
    }

    static Comparison.Cell cell(Strategy s, Integer shots, int seed, double accuracy) {
        return new Comparison.Cell(s, shots, seed, accuracy, 1, 1, 5, 1, List.of(), null);
    }

    @Test
    void tablePairsEveryStrategyWithScratchOnTheSameSeed() {
        // full - scratch per seed: +0.02, +0.03, +0.07 -> mean 0.04, sample std sqrt(0.0007)
        List<Comparison.Cell> cells = List.of(
                cell(Strategy.SCRATCH, 10, 1, 0.80), cell(Strategy.FULL, 10, 1, 0.82),
                cell(Strategy.SCRATCH, 10, 2, 0.85), cell(Strategy.FULL, 10, 2, 0.88),
                cell(Strategy.SCRATCH, 10, 3, 0.70), cell(Strategy.FULL, 10, 3, 0.77),
                // probe at 1 shot has no scratch run beside it
                cell(Strategy.PROBE, 1, 1, 0.5));
        Comparison.Config c = new Comparison.Config(Path.of("m"), null, null,
                List.of(Strategy.SCRATCH, Strategy.FULL, Strategy.PROBE), List.of(10, 1), 3, 1,
                false, train(1));
        List<Comparison.Row> table = Comparison.table(c, cells);
        assertEquals(3, table.size());
        Comparison.Row full = table.stream().filter(r -> r.strategy() == Strategy.FULL)
                .findFirst().orElseThrow();
        // unpaired: the seed-to-seed spread of full's accuracy swamps the 4-point gain
        assertEquals(0.8233333, full.meanAccuracy(), 1e-6);
        assertEquals(0.0550757, full.stdAccuracy(), 1e-6);
        assertEquals(3, full.vsScratch().seeds());
        assertEquals(0.04, full.vsScratch().mean(), 1e-9);
        assertEquals(Math.sqrt(0.0007), full.vsScratch().std(), 1e-9);
        assertTrue(full.vsScratch().beyondSpread());
        assertEquals(null, table.get(0).vsScratch(), "scratch is not compared with itself");
        assertEquals(null, table.get(2).vsScratch(), "no scratch cell at 1 shot");
        assertEquals("+4.00 ± 2.65 !", ComparisonReport.paired(full.vsScratch()));
        assertFalse(new dev.graft.train.Spread(3, 0.01, 0.02).beyondSpread());
        assertFalse(new dev.graft.train.Spread(1, 0.05, 0).beyondSpread(),
                "one seed has no spread to be beyond");
    }

    @Test
    void smallBudgetsRepeatToFillAnEpoch() {
        ImageDataset d = new ImageDataset("t", new byte[] {1, 2, 3}, new int[] {0, 1, 0}, 1, 1,
                1, List.of("a", "b"));
        ImageDataset r = (ImageDataset) Comparison.repeatToFill(d, 7);
        assertEquals(9, r.size());
        assertEquals(3, r.pixel(8));
        assertEquals(2, r.pixel(4));
        assertEquals(d, Comparison.repeatToFill(d, 3));
    }
}
