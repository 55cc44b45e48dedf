package dev.graft.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.graft.data.Augmentation;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.report.Report;
import dev.graft.train.LrSchedule;
import dev.graft.train.Mask;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft prune} end to end on the bundled subset. */
class PruningTest {

    @TempDir
    static Path tmp;

    static Path dense;

    static TrainConfig train(int epochs) {
        return new TrainConfig(epochs, 64, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 3, 0, List.of());
    }

    @BeforeAll
    static void trainDense() {
        dense = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config("fashion-mnist-small",
                "0-4", null, 0.1, "mlp", ModelOptions.DEFAULT, train(2)), tmp.resolve("dense"),
                false).checkpoint());
    }

    private static Pruning.Config config(Path model, double sparsity, int rounds,
            TrainConfig fineTune) {
        return new Pruning.Config(model, null, Pruning.Method.MAGNITUDE, sparsity,
                Pruning.Scope.GLOBAL, rounds, 16, 0.1, fineTune, 11);
    }

    @Test
    void roundsReachTheSparsityFineTuningRecoversAndTheCheckpointKeepsTheMask() {
        Pruning.Result r = new Pruning(s -> { }).run(config(dense, 0.9, 2, train(1)),
                tmp.resolve("p90"));
        assertEquals(3, r.rounds().size(), "the dense model, then two rounds");
        assertEquals(1 - Math.sqrt(0.1), r.rounds().get(1).sparsity(), 1e-4,
                "each round prunes the same share of the survivors");
        assertEquals(0.9, r.sparsity(), 1e-5);
        // the subset's classes 0-4 (chance 20%): the model must still work
        assertTrue(r.accuracy() > 0.6, "accuracy " + r.accuracy());
        Pruning.Round last = r.rounds().get(2);
        assertTrue(last.accuracy() > last.prunedAccuracy(), "fine-tuning helps: "
                + last.prunedAccuracy() + " -> " + last.accuracy());
        // LeNet-300-100 on 5 classes: 784*300 + 300*100 + 100*5 weights, 410 biases
        long weights = 784 * 300 + 300 * 100 + 100 * 5;
        assertEquals(weights + 300 + 100 + 5, r.last().parameters());
        assertEquals(r.last().parameters() - Math.round(0.9 * weights), r.last().nonZero());
        assertEquals(r.given().multiplyAdds(), r.last().multiplyAdds(),
                "dense kernels multiply the zeros too");
        assertEquals(null, r.speed());
        Path ckpt = Path.of(r.checkpoint());
        assertTrue(Files.exists(ckpt.resolve(Mask.FILE)));
        assertTrue(Files.exists(tmp.resolve("p90").resolve(Report.FILE)));
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Checkpoint.load(ckpt, m).net();
            Mask mask = Mask.load(ckpt.resolve(Mask.FILE), net, m);
            assertEquals(0.9, mask.sparsity(), 1e-5);
            for (Map.Entry<String, NDArray> e : mask.tensors().entrySet()) {
                NDArray w = net.namedParameters().get(e.getKey()).getArray();
                assertEquals(0f, w.mul(e.getValue().neg().add(1)).abs().max().getFloat(), 0f,
                        e.getKey() + ": pruned weights are exactly zero in the saved weights");
                assertEquals(e.getValue().sum().getFloat(), w.neq(0).sum().getLong(), 0f,
                        e.getKey() + ": the kept weights are non-zero");
            }
        }
        // a second run from the pruned checkpoint starts from its mask, its rounds from there:
        // 90% then 1 - 0.1 * sqrt(0.5) = 92.9% then 95%
        Pruning.Result again = new Pruning(s -> { }).run(config(ckpt, 0.95, 2, train(1)),
                tmp.resolve("p95"));
        assertTrue(again.startedFromMask());
        assertEquals(0.9, again.rounds().get(0).sparsity(), 1e-5);
        assertEquals(1 - 0.1 * Math.sqrt(0.5), again.rounds().get(1).sparsity(), 1e-4);
        assertEquals(0.95, again.sparsity(), 1e-5);
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet before = Checkpoint.load(ckpt, m).net();
            Mask first = Mask.load(ckpt.resolve(Mask.FILE), before, m);
            Path next = Path.of(again.checkpoint());
            StagedNet after = Checkpoint.load(next, m).net();
            Mask second = Mask.load(next.resolve(Mask.FILE), after, m);
            for (String k : first.tensors().keySet()) {
                NDArray revived = second.tensors().get(k).mul(first.tensors().get(k).neg()
                        .add(1));
                assertEquals(0f, revived.sum().getFloat(), 0f, k + ": nothing revived");
            }
        }
        // fine-tuning the pruned model on another task keeps its zeros, and saves the mask
        dev.graft.transfer.FineTune.Result ft = new dev.graft.transfer.FineTune(s -> { }).run(
                new dev.graft.transfer.FineTune.Config(ckpt, "fashion-mnist-small", "5-9", 50,
                        0.1, dev.graft.transfer.FineTunePolicy.preset("full",
                                List.of("layer1", "layer2")), train(1)), tmp.resolve("ft"),
                false);
        try (NDManager m = NDManager.newBaseManager()) {
            Path out = Path.of(ft.checkpoint());
            StagedNet tuned = Checkpoint.load(out, m).net();
            Mask kept = Mask.load(out.resolve(Mask.FILE), tuned, m);
            assertEquals(List.of("layer1.fc.weight", "layer2.fc.weight"),
                    List.copyOf(kept.tensors().keySet()), "the trunk's mask, not the old head's");
            StagedNet before = Checkpoint.load(ckpt, m).net();
            for (String k : kept.tensors().keySet()) {
                NDArray zeroBefore = before.namedParameters().get(k).getArray().eq(0);
                NDArray zeroAfter = tuned.namedParameters().get(k).getArray().eq(0);
                assertEquals(0, zeroBefore.logicalAnd(zeroAfter.logicalNot()).sum().getLong(),
                        k + ": every pruned weight is still zero after fine-tuning");
            }
        }
        GraftException lower = assertThrows(GraftException.class, () -> new Pruning(s -> { })
                .run(config(ckpt, 0.5, 1, null), tmp.resolve("lower")));
        assertTrue(lower.getMessage().contains("already pruned to 90.0%"), lower.getMessage());
        assertFalse(Files.exists(tmp.resolve("lower")), "nothing written for bad input");
    }

    @Test
    void oneShotWithoutFineTuningOnlyPrunes() {
        Pruning.Result r = new Pruning(s -> { }).run(new Pruning.Config(dense, null,
                Pruning.Method.MAGNITUDE, 0.5, Pruning.Scope.LAYERWISE, 1, 16, 0, null, 11),
                tmp.resolve("oneshot"));
        assertEquals(r.rounds().get(1).prunedAccuracy(), r.accuracy(), 0);
        r.layerSparsity().values().forEach(s -> assertEquals(0.5, s, 1e-3));
        assertTrue(r.accuracy() > 0.6, "50% of LeNet's weights cost little: " + r.accuracy());
    }

    @Test
    void removingFiltersHalvesTheMultiplyAddsAndTheSmallerModelLoadsAsItself() throws Exception {
        Path convnet = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config(
                "fashion-mnist-small", "0-4", 300, 0.1, "convnet", ModelOptions.DEFAULT,
                train(1)), tmp.resolve("convnet"), false).checkpoint());
        Pruning.Result r = new Pruning(s -> { }).run(new Pruning.Config(convnet, null,
                Pruning.Method.FILTERS, 0.5, Pruning.Scope.GLOBAL, 2, 16, 0.1, train(1), 11),
                tmp.resolve("filters"));
        Pruning.Round given = r.given();
        Pruning.Round last = r.last();
        assertTrue(last.multiplyAdds() <= given.multiplyAdds() / 2
                && last.multiplyAdds() > 0.4 * given.multiplyAdds(), last.multiplyAdds() + " of "
                + given.multiplyAdds());
        assertTrue(r.rounds().get(1).multiplyAdds() <= Math.sqrt(0.5) * given.multiplyAdds());
        assertTrue(last.parameters() < 0.8 * given.parameters(), "filters really go: "
                + r.layerWidths());
        assertEquals(last.parameters(), last.nonZero(), "no mask");
        assertTrue(r.layerWidths().size() >= 3, r.layerWidths().toString());
        assertTrue(r.accuracy() > 0.6, "accuracy " + r.accuracy() + " (chance 0.2)");
        assertTrue(r.speed().speedup() > 0 && r.speed().images() > 0);
        assertFalse(Files.exists(Path.of(r.checkpoint(), Mask.FILE)));
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint.Loaded back = Checkpoint.load(Path.of(r.checkpoint()), m);
            assertEquals(last.parameters(), back.net().parameterCount());
            assertEquals(last.multiplyAdds(), back.net().multiplyAdds());
        }
        GraftException masked = assertThrows(GraftException.class, () -> new Pruning(s -> { })
                .run(new Pruning.Config(Path.of(new Pruning(s -> { }).run(config(dense, 0.5, 1,
                        null), tmp.resolve("m50")).checkpoint()), null, Pruning.Method.FILTERS,
                        0.5, Pruning.Scope.GLOBAL, 1, 16, 0.1, null, 1), tmp.resolve("masked")));
        assertTrue(masked.getMessage().contains("carries a mask"), masked.getMessage());
    }

    @Test
    void badSettingsAreRefusedBeforeAnyWork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config(dense, 1.0, 1, null));
        assertTrue(e.getMessage().contains("--sparsity must be in [0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Pruning.Config(dense, null,
                Pruning.Method.FILTERS, -0.1, Pruning.Scope.GLOBAL, 1, 16, 0, null, 1));
        assertTrue(e.getMessage().contains("--filters must be in [0, 1)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config(dense, 0.5, 0, null));
        assertThrows(IllegalArgumentException.class, () -> Pruning.Scope.parse("random"));
    }
}
