package dev.graft.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.Augmentation;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncated-SVD factorization: hand-worked ranks, exactness at full rank, and the run. */
class LowRankTest {

    private static final int[] FASHION = {1, 28, 28};

    @TempDir
    Path tmp;

    @Test
    void ranksComeFromTheEnergyOrTheWeightBudget() {
        double[] s = {3, 2, 1}; // squares 9, 4, 1 of 14
        assertEquals(1, LowRank.rankForEnergy(s, 0.6));
        assertEquals(2, LowRank.rankForEnergy(s, 0.9), "9/14 = 0.64 < 0.9 <= 13/14");
        assertEquals(3, LowRank.rankForEnergy(s, 1.0));
        assertEquals(13.0 / 14, LowRank.energy(s, 2), 1e-12);
        // a 10 x 20 layer at half its 200 weights: r (10 + 20) <= 100, so r = 3
        LowRank.Layer l = new LowRank.Layer("x", 10, 20, new long[] {10, 20});
        assertEquals(3, LowRank.rankForWeights(l, 0.5));
        assertEquals(90, l.factorizedWeights(3));
        assertEquals(1, LowRank.rankForWeights(l, 0.01), "never below rank 1");
    }

    @Test
    void theSvdOfAHandWorkedMatrix() {
        // [[3, 0], [0, -2], [0, 0]]: singular values 3 and 2
        LowRank.Svd svd = LowRank.svd(new float[] {3, 0, 0, -2, 0, 0}, 3, 2);
        assertArrayEquals(new double[] {3, 2}, svd.singular(), 1e-9);
        // the rank-1 reconstruction keeps the 3 and drops the -2
        double[] rank1 = new double[6];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                rank1[i * 2 + j] = svd.singular()[0] * svd.u().get(i, 0) * svd.v().get(j, 0);
            }
        }
        assertArrayEquals(new double[] {3, 0, 0, 0, 0, 0}, rank1, 1e-9);
    }

    /** At full rank the pair is exact, for linear layers and convolutions alike. */
    @Test
    void aFullRankFactorizationComputesWhatTheLayerDid() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.CONVNET.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 3);
            StagedNet pairs = LowRank.factorize(net, Map.of("stage3.1", 256, "stage1.1.conv", 32),
                    m);
            assertEquals(Map.of("stage1.1.conv", 32, "stage3.1", 256), pairs.options().ranks());
            assertEquals(List.of(32L, 32L, 3L, 3L), List.of(pairs.namedParameters()
                    .get("stage1.1.conv.0.weight").getArray().getShape().getShape()).stream()
                    .flatMapToLong(java.util.Arrays::stream).boxed().toList());
            assertEquals(List.of(32L, 32L, 1L, 1L), List.of(pairs.namedParameters()
                    .get("stage1.1.conv.1.weight").getArray().getShape().getShape()).stream()
                    .flatMapToLong(java.util.Arrays::stream).boxed().toList());
            NDArray x = m.randomNormal(net.batchInputShape(4));
            ParameterStore ps = new ParameterStore(m, false);
            assertArrayEquals(net.forward(ps, new NDList(x), false).head().toFloatArray(),
                    pairs.forward(ps, new NDList(x), false).head().toFloatArray(), 1e-4f);
            // a lower rank changes the output, and fewer weights remain
            StagedNet low = LowRank.factorize(net, Map.of("stage3.1", 40), m);
            assertTrue(low.parameterCount() < net.parameterCount() - 600_000);
            assertThrows(IllegalArgumentException.class,
                    () -> LowRank.factorize(net, Map.of("stage3.1", 257), m));
            assertThrows(IllegalArgumentException.class,
                    () -> LowRank.factorize(net, Map.of("head", 5), m));
        }
    }

    @Test
    void convolutionRanksComeInStepsOf16SoTheyTrainEverywhere() {
        TrainConfig train = new TrainConfig(1, 64, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 3, 0, List.of());
        Path convnet = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config(
                "fashion-mnist-small", "0-4", 100, 0.1, "convnet", ModelOptions.DEFAULT, train),
                tmp.resolve("convnet"), false).checkpoint());
        // stage2.1.conv is 64 x 576: half its weights allow r (576 + 64) <= 18,432, r = 28,
        // rounded down to 16
        Factorization.Result r = new Factorization(s -> { }).run(new Factorization.Config(
                convnet, null, List.of("stage2.1.conv"), 0.5, null, 0.1, train, 5),
                tmp.resolve("conv"));
        assertEquals(16, r.layers().get(0).rank());
        assertTrue(r.accuracy() > 0.5, "it trained: " + r.accuracy());
    }

    @Test
    void theRunFactorizesFineTunesAndSavesALoadableCheckpoint() {
        TrainConfig train = new TrainConfig(2, 64, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 3, 0, List.of());
        Path mlp = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config("fashion-mnist-small",
                "0-4", null, 0.1, "mlp", ModelOptions.DEFAULT, train), tmp.resolve("mlp"), false)
                .checkpoint());
        Factorization.Result r = new Factorization(s -> { }).run(new Factorization.Config(mlp,
                null, List.of("layer1.fc"), 0.25, null, 0.1, train, 5), tmp.resolve("lr"));
        Factorization.LayerRank l = r.layers().get(0);
        // 300 x 784 at a quarter of its weights: r (300 + 784) <= 58,800, r = 54
        assertEquals(54, l.rank());
        assertEquals(300 * 784, l.weightsBefore());
        assertEquals(54 * (300 + 784), l.weightsAfter());
        assertEquals(r.parametersBefore() - l.weightsBefore() + l.weightsAfter(),
                r.parametersAfter());
        assertTrue(r.accuracy() > 0.6, "accuracy " + r.accuracy() + " (chance 0.2)");
        assertTrue(r.speed().speedup() > 0);
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint.Loaded back = Checkpoint.load(Path.of(r.checkpoint()), m);
            ModelSpec spec = back.spec();
            assertEquals(Map.of("layer1.fc", 54), spec.options().ranks());
            assertEquals(r.parametersAfter(), back.net().parameterCount());
        }
        GraftException e = assertThrows(GraftException.class, () -> new Factorization(s -> { })
                .run(new Factorization.Config(mlp, null, List.of("layer2.fc"), null, 1.0, 0.1,
                        null, 5), tmp.resolve("full")));
        assertTrue(e.getMessage().contains("only saves weights below rank"), e.getMessage());
        assertThrows(GraftException.class, () -> new Factorization(s -> { }).run(
                new Factorization.Config(mlp, null, List.of("stage3.1"), 0.5, null, 0.1, null,
                        5), tmp.resolve("bad")));
        assertThrows(IllegalArgumentException.class, () -> new Factorization.Config(mlp, null,
                List.of(), 0.5, 0.9, 0.1, null, 5));
    }
}
