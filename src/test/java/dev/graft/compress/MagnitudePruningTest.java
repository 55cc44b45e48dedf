package dev.graft.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.data.Augmentation;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.io.BadFileException;
import dev.graft.model.Architecture;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.train.LrSchedule;
import dev.graft.train.Mask;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Magnitude pruning on hand-worked weights, and masks through training, save and load. */
class MagnitudePruningTest {

    @TempDir
    Path tmp;

    private static float[][] prune(float[][] w, float[][] before, double s) {
        return MagnitudePruning.prune(w, before, s);
    }

    private static float[][] ones(float[][] w) {
        float[][] o = new float[w.length][];
        for (int i = 0; i < w.length; i++) {
            o[i] = new float[w[i].length];
            Arrays.fill(o[i], 1f);
        }
        return o;
    }

    @Test
    void theSmallestMagnitudesGoWhateverTheirSign() {
        float[][] w = {{3, -1, 2, -4}};
        assertArrayEquals(new float[] {1, 0, 0, 1}, prune(w, ones(w), 0.5)[0]);
        assertArrayEquals(new float[] {1, 1, 1, 1}, prune(w, ones(w), 0)[0]);
        assertArrayEquals(new float[] {0, 0, 0, 1}, prune(w, ones(w), 0.74)[0], "round(2.96)");
    }

    @Test
    void tiesAreBrokenByPositionSoTheCountIsExact() {
        float[][] w = {{1, -1, 1, 2}};
        assertArrayEquals(new float[] {0, 0, 1, 1}, prune(w, ones(w), 0.5)[0]);
    }

    @Test
    void aLaterRoundKeepsWhatWasPrunedAndPrunesAmongTheRest() {
        // index 1 was pruned (its weight since rewound to 9); the round prunes the smallest kept
        float[][] w = {{3, 9, 2, -4}};
        float[][] before = {{1, 0, 1, 1}};
        assertArrayEquals(new float[] {1, 0, 0, 1}, prune(w, before, 0.5)[0]);
        assertArrayEquals(new float[] {1, 0, 1, 1}, prune(w, before, 0.1)[0],
                "a lower target never revives a pruned weight");
    }

    @Test
    void globalRanksAcrossLayersWhileLayerwisePrunesEachAlike() {
        float[][] w = {{0.1f, 0.15f}, {0.2f, 0.3f, 4, 6}};
        float[][] global = prune(w, ones(w), 0.5);
        assertArrayEquals(new float[] {0, 0}, global[0]);
        assertArrayEquals(new float[] {0, 1, 1, 1}, global[1]);
        assertArrayEquals(new float[] {0, 1}, prune(new float[][] {w[0]},
                new float[][] {{1, 1}}, 0.5)[0]);
        assertArrayEquals(new float[] {0, 0, 1, 1}, prune(new float[][] {w[1]},
                new float[][] {{1, 1, 1, 1}}, 0.5)[0]);
    }

    @Test
    void prunedWeightsStayExactlyZeroThroughTrainingAndTheMaskRoundTrips() throws Exception {
        ImageDataset train = new DatasetResolver().resolve("fashion-mnist-small", s -> { })
                .train();
        ImageDataset slice = train.select(IntStream.range(0, 256).toArray());
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet net = Architecture.MLP.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            Mask mask = MagnitudePruning.global(net, 0.8, null, m);
            // LeNet-300-100: 784*300 + 300*100 + 100*10 = 266,200 prunable weights
            assertEquals(266_200, mask.total());
            assertEquals(Math.round(0.2 * 266_200), mask.kept());
            assertEquals(3, mask.tensors().size(), "weights only, no biases");
            mask.apply(net);
            TrainConfig tc = new TrainConfig(2, 64, OptimizerConfig.adam(1e-2),
                    new LrSchedule.Constant(), Augmentation.NONE, 1, 0, List.of());
            try (TrainingLoop loop = new TrainingLoop(net, tc, m)) {
                loop.hook(mask.hook());
                loop.fit(data, null, 1, 0, (e, i) -> { });
            }
            for (Map.Entry<String, NDArray> e : mask.tensors().entrySet()) {
                NDArray w = net.namedParameters().get(e.getKey()).getArray();
                NDArray dropped = w.mul(e.getValue().neg().add(1));
                assertEquals(0f, dropped.abs().max().getFloat(), 0f, e.getKey());
                assertTrue(w.abs().sum().getFloat() > 0, "the kept weights trained");
            }
            mask.save(tmp);
            Mask back = Mask.load(tmp.resolve(Mask.FILE), net, m);
            assertEquals(mask.tensors().keySet(), back.tensors().keySet());
            for (String k : mask.tensors().keySet()) {
                assertArrayEquals(mask.tensors().get(k).toFloatArray(),
                        back.tensors().get(k).toFloatArray(), 0f, k);
            }
            // a second, global round prunes among the survivors, up to 90% in all
            Mask next = MagnitudePruning.global(net, 0.9, back, m);
            assertEquals(Math.round(0.1 * 266_200), next.kept());
            for (String k : mask.tensors().keySet()) {
                NDArray revived = next.tensors().get(k).mul(mask.tensors().get(k).neg().add(1));
                assertEquals(0f, revived.sum().getFloat(), 0f, k + ": nothing revived");
            }
            // the output layer at half the rate, as in the lottery-ticket paper
            Mask lw = MagnitudePruning.layerwise(net, n -> n.startsWith("head") ? 0.1 : 0.2,
                    null, m);
            Map<String, Double> s = lw.sparsityByParameter();
            assertEquals(0.1, s.get("head.weight"), 1e-9);
            assertEquals(0.2, s.get("layer1.fc.weight"), 1e-9);
        }
    }

    @Test
    void badMasksAndSparsitiesAreRefusedNamingTheProblem() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.MLP.build(new int[] {1, 28, 28}, 10,
                    ModelOptions.DEFAULT).initialize(m, 1);
            assertThrows(IllegalArgumentException.class,
                    () -> MagnitudePruning.global(net, 1.0, null, m));
            assertThrows(IllegalArgumentException.class,
                    () -> MagnitudePruning.layerwise(net, n -> -0.1, null, m));
            new Mask(Map.of("head.weight", m.ones(new Shape(10, 99)))).save(tmp);
            BadFileException e = assertThrows(BadFileException.class,
                    () -> Mask.load(tmp.resolve(Mask.FILE), net, m));
            assertTrue(e.getMessage().contains("head.weight has shape (10, 99)"), e.getMessage());
            new Mask(Map.of("head.weight", m.ones(new Shape(10, 100)).mul(2))).save(tmp);
            e = assertThrows(BadFileException.class,
                    () -> Mask.load(tmp.resolve(Mask.FILE), net, m));
            assertTrue(e.getMessage().contains("values other than 0 and 1"), e.getMessage());
            Files.writeString(tmp.resolve(Mask.FILE), "not safetensors");
            assertThrows(BadFileException.class, () -> Mask.load(tmp.resolve(Mask.FILE), net, m));
        }
    }
}
