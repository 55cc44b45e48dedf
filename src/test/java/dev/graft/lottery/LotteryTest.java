package dev.graft.lottery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.graft.compress.Pruning;
import dev.graft.data.Augmentation;
import dev.graft.io.AtomicFiles;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.model.Weights;
import dev.graft.report.Report;
import dev.graft.train.LrSchedule;
import dev.graft.train.Mask;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft lottery} on the bundled subset, and its parts on hand-made cases. */
class LotteryTest {

    @TempDir
    static Path tmp;

    static Lottery.Result iterative;

    static Lottery.Config config(int rounds, long rewind, boolean oneShot, boolean controls) {
        return new Lottery.Config("mlp", ModelOptions.DEFAULT, null, "fashion-mnist-small",
                null, null, 0.1, rounds, 0.2, 0.1, Pruning.Scope.LAYERWISE, rewind, oneShot,
                controls, 20, new TrainConfig(1, 60, OptimizerConfig.adam(1.2e-3),
                        LrSchedule.parse("constant", 0), Augmentation.NONE, 5, 0, List.of()));
    }

    @BeforeAll
    static void runTwoRounds() {
        iterative = new Lottery(s -> { }).run(config(2, 0, false, true), tmp.resolve("lot"),
                false);
    }

    @Test
    void everyRoundTrainsTheTicketAndBothControlsAtTheSameSparsity() {
        List<Lottery.Row> rows = iterative.rows();
        assertEquals(1 + 2 * 3, rows.size());
        assertEquals(Lottery.Arm.DENSE, rows.get(0).arm());
        assertEquals(1.0, rows.get(0).remaining());
        for (int r = 1; r <= 2; r++) {
            int round = r;
            List<Lottery.Row> of = rows.stream().filter(x -> x.round() == round).toList();
            assertEquals(List.of(Lottery.Arm.TICKET, Lottery.Arm.REINIT, Lottery.Arm.RANDOM),
                    of.stream().map(Lottery.Row::arm).toList());
            // hidden layers keep 0.8^r, the output layer 0.9^r: overall between the two
            double remaining = of.get(0).remaining();
            assertTrue(remaining > Math.pow(0.8, r) && remaining < Math.pow(0.9, r),
                    "round " + r + " keeps " + remaining);
            of.forEach(x -> assertEquals(remaining, x.remaining(), 1e-12, x.arm() + " differs"));
            of.forEach(x -> assertTrue(x.accuracy() > 0.5, x + " did not learn"));
        }
        // traced every 20 iterations and at the last one
        Lottery.Row dense = rows.get(0);
        assertEquals(iterative.iterations(), dense.trace().get(dense.trace().size() - 1)
                .iteration());
        assertEquals(20, dense.trace().get(0).iteration());
        assertEquals(Trace.earlyStop(dense.trace()).iteration(), dense.earlyStopIteration());
    }

    @Test
    void roundsAreChildCheckpointsWithNestedMasksAndTheTicketStaysSparse() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path r1 = tmp.resolve("lot").resolve(Lottery.roundName(1));
            Path r2 = tmp.resolve("lot").resolve(Lottery.roundName(2));
            Checkpoint.Loaded ticket = Checkpoint.load(r2, m);
            assertEquals(r1.toString(), ticket.spec().provenance().parent());
            Mask m1 = Mask.load(r1.resolve(Mask.FILE), ticket.net(), m);
            Mask m2 = Mask.load(r2.resolve(Mask.FILE), ticket.net(), m);
            assertEquals(0.8 * 0.8, 1 - m2.sparsityByParameter().get("layer1.fc.weight"), 1e-3);
            assertEquals(0.9 * 0.9, 1 - m2.sparsityByParameter().get("head.weight"), 1e-3);
            m2.tensors().forEach((name, keep) -> {
                NDArray before = m1.tensors().get(name);
                assertFalse(keep.gt(before).any().getBoolean(), name + ": round 2 revived a"
                        + " weight round 1 pruned");
                NDArray w = ticket.net().namedParameters().get(name).getArray();
                assertFalse(w.mul(keep.sub(1)).abs().gt(0).any().getBoolean(), name
                        + ": a pruned weight of the trained ticket is not zero");
            });
            assertTrue(Files.isRegularFile(tmp.resolve("lot/init").resolve(Checkpoint.WEIGHTS)));
            assertTrue(Files.readString(tmp.resolve("lot").resolve(Report.FILE))
                    .contains("Early-stopping iteration"));
        }
    }

    @Test
    void resumeRedoesOnlyTheUnfinishedRound() throws Exception {
        Path dir = tmp.resolve("resume");
        Lottery.Config c = config(2, 0, false, false);
        Lottery.Result full = new Lottery(s -> { }).run(c, dir, false);
        AtomicFiles.deleteTree(dir.resolve(Lottery.roundName(2)));
        List<String> log = new java.util.ArrayList<>();
        Lottery.Result resumed = new Lottery(log::add).run(c, dir, true);
        assertTrue(log.stream().anyMatch(l -> l.contains("resuming after round 1")), log
                .toString());
        assertEquals(full.rows().size(), resumed.rows().size());
        for (int i = 0; i < full.rows().size(); i++) {
            assertEquals(full.rows().get(i).accuracy(), resumed.rows().get(i).accuracy(),
                    "row " + i + ": the resumed round trains from the same ticket and mask");
        }
        Lottery.Result longer = new Lottery(s -> { }).run(config(3, 0, false, false), dir, true);
        assertEquals(resumed.rows(), longer.rows().subList(0, resumed.rows().size()),
                "more --rounds extend the finished run");
        assertEquals(3, longer.rows().get(longer.rows().size() - 1).round());
        Lottery.Config other = config(3, 0, true, false);
        GraftException e = assertThrows(GraftException.class,
                () -> new Lottery(s -> { }).run(other, dir, true));
        assertTrue(e.getMessage().contains("other options"), e.getMessage());
    }

    @Test
    void lateRewindingKeepsTheWeightsOfThatIteration() {
        Path dir = tmp.resolve("late");
        Lottery.Result r = new Lottery(s -> { }).run(config(1, 5, true, false), dir, false);
        assertEquals(2, r.rows().size());
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet init = Checkpoint.load(dir.resolve(Lottery.INIT), m).net();
            StagedNet rewind = Checkpoint.load(dir.resolve(Lottery.REWIND), m).net();
            StagedNet dense = Checkpoint.load(dir.resolve(Lottery.roundName(0)), m).net();
            assertTrue(Checkpoint.load(dir.resolve(Lottery.REWIND), m).spec().provenance()
                    .command().contains("iteration 5"));
            float[] w0 = init.namedParameters().get("layer1.fc.weight").getArray()
                    .toFloatArray();
            float[] w5 = rewind.namedParameters().get("layer1.fc.weight").getArray()
                    .toFloatArray();
            float[] wEnd = dense.namedParameters().get("layer1.fc.weight").getArray()
                    .toFloatArray();
            assertFalse(java.util.Arrays.equals(w0, w5), "5 Adam steps move the weights");
            assertFalse(java.util.Arrays.equals(w5, wEnd));
        }
    }

    @Test
    void badSettingsAreRefusedBeforeAnyTraining() {
        Path dir = tmp.resolve("refused");
        GraftException far = assertThrows(GraftException.class, () -> new Lottery(s -> { })
                .run(config(1, 1_000_000, false, false), dir, false));
        assertTrue(far.getMessage().contains("--rewind 1000000 is beyond training"),
                far.getMessage());
        Lottery.Config c = config(2, 0, false, false);
        Lottery.Config all = new Lottery.Config("mlp", ModelOptions.DEFAULT, null,
                "fashion-mnist-small", null, null, 0.1, 60, 0.5, 0.25, Pruning.Scope.LAYERWISE, 0,
                false, false, 10, c.train());
        GraftException e = assertThrows(GraftException.class, () -> new Lottery(s -> { })
                .run(all, dir, false));
        assertTrue(e.getMessage().contains("would prune all"), e.getMessage());
        assertFalse(Files.exists(dir), "nothing written on refusal");
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> new Lottery.Config("mlp", ModelOptions.DEFAULT, null, null, null, null,
                        0.1, 2, 1.0, 0.5, Pruning.Scope.LAYERWISE, 0, false, true, 10,
                        c.train()));
        assertTrue(rate.getMessage().contains("--rate must be in (0, 1)"));
        assertThrows(IllegalArgumentException.class, () -> new Lottery.Config(null, null, null,
                null, null, null, 0.1, 2, 0.2, 0.1, Pruning.Scope.LAYERWISE, 0, false, true, 10,
                c.train()), "neither --arch nor --from");
    }

    @Test
    void aRandomMaskKeepsAsManyWeightsPerLayerElsewhere() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> keep = new LinkedHashMap<>();
            float[] a = new float[1000];
            for (int i = 0; i < 300; i++) {
                a[i] = 1;
            }
            keep.put("a.weight", m.create(a, new ai.djl.ndarray.types.Shape(10, 100)));
            keep.put("b.weight", m.create(new float[] {1, 0, 0, 1},
                    new ai.djl.ndarray.types.Shape(2, 2)));
            Mask like = new Mask(keep);
            Mask random = Lottery.randomLike(like, 7, m);
            assertEquals(300, random.tensors().get("a.weight").sum().getFloat());
            assertEquals(2, random.tensors().get("b.weight").sum().getFloat());
            assertEquals(new ai.djl.ndarray.types.Shape(10, 100),
                    random.tensors().get("a.weight").getShape());
            float[] r = random.tensors().get("a.weight").toFloatArray();
            int inFirst = 0;
            for (int i = 0; i < 300; i++) {
                inFirst += (int) r[i];
            }
            // uniform: about 30% of the 300 kept fall in the first 300 places, not all of them
            assertTrue(inFirst > 50 && inFirst < 130, "kept in the first 300: " + inFirst);
            assertArrayEquals(r, Lottery.randomLike(like, 7, m).tensors().get("a.weight")
                    .toFloatArray(), "seeded");
        }
    }

    @Test
    void earlyStoppingIsTheIterationOfLeastValidationLoss() {
        List<Lottery.TracePoint> points = List.of(new Lottery.TracePoint(100, 0.5, 0.8, 0.79),
                new Lottery.TracePoint(200, 0.4, 0.85, 0.84),
                new Lottery.TracePoint(300, 0.4, 0.86, 0.86),
                new Lottery.TracePoint(400, 0.45, 0.87, 0.87));
        assertEquals(200, Trace.earlyStop(points).iteration(), "first of equal losses");
        assertEquals(0.84, (double) Trace.earlyStop(points).testAccuracy());
    }

    @Test
    void weightsRestoreIntoAnotherNetworkAndRefuseOtherShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet a = Architecture.byId("mlp").build(new int[] {1, 28, 28}, 10,
                    ModelOptions.DEFAULT).initialize(m, 1);
            StagedNet b = Architecture.byId("mlp").build(new int[] {1, 28, 28}, 10,
                    ModelOptions.DEFAULT).initialize(m, 2);
            try (Weights w = Weights.of(a, m)) {
                a.namedParameters().get("head.bias").getArray().addi(1); // the copy is apart
                w.restore(b);
                assertArrayEquals(w.tensors().get("layer1.fc.weight").toFloatArray(),
                        b.namedParameters().get("layer1.fc.weight").getArray().toFloatArray());
                assertFalse(java.util.Arrays.equals(a.namedParameters().get("head.bias")
                        .getArray().toFloatArray(), b.namedParameters().get("head.bias")
                                .getArray().toFloatArray()));
                StagedNet five = Architecture.byId("mlp").build(new int[] {1, 28, 28}, 5,
                        ModelOptions.DEFAULT).initialize(m, 3);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> w.restore(five));
                assertTrue(e.getMessage().contains("head.weight was saved as (10, 100)"),
                        e.getMessage());
            }
        }
    }
}
