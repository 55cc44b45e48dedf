package dev.graft.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.ChannelGroup;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removing filters and units: hand-worked selections, and equivalence with the network it came from. */
class FilterPruningTest {

    private static final int[] FASHION = {1, 28, 28};

    @TempDir
    Path tmp;

    @Test
    void rowsAreRankedByL1NormAndKeptInOrder() {
        // rows of a [4, 2] weight: |.|_1 = 3, 0.5, 7, 3
        double[] norm = FilterPruning.l1Rows(new float[] {1, -2, 0.5f, 0, -3, 4, 3, 0}, 4);
        assertArrayEquals(new double[] {3, 0.5, 7, 3}, norm, 1e-9);
        assertArrayEquals(new int[] {0, 2}, FilterPruning.strongest(norm, 2), "tie: lower index");
        assertArrayEquals(new int[] {0, 2, 3}, FilterPruning.strongest(norm, 3));
    }

    @Test
    void selectionAlongTheFirstTwoDimensionsAndChannelBlocks() {
        // a [2, 3, 2] tensor holding 0..11
        float[] t = new float[12];
        for (int i = 0; i < 12; i++) {
            t[i] = i;
        }
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11},
                FilterPruning.select(t, new long[] {2, 3, 2}, 0, new int[] {1}));
        assertArrayEquals(new float[] {0, 1, 4, 5, 6, 7, 10, 11},
                FilterPruning.select(t, new long[] {2, 3, 2}, 1, new int[] {0, 2}));
        assertArrayEquals(new int[] {2, 3, 6, 7}, FilterPruning.blocks(new int[] {1, 3}, 2));
    }

    /**
     * The shrunk network computes what the original computes once the removed channels are cut
     * off from the layers that read them: for the convnet, a linear layer after a flatten
     * included.
     */
    @Test
    void theShrunkNetworkEqualsTheOriginalWithTheRemovedChannelsCutOff() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Architecture arch : List.of(Architecture.CONVNET, Architecture.MLP)) {
                StagedNet net = arch.build(FASHION, 10, ModelOptions.DEFAULT).initialize(m, 5);
                List<Integer> full = arch.layerWidths(net.options());
                List<Integer> widths = new ArrayList<>();
                full.forEach(w -> widths.add(w * 3 / 5));
                List<int[]> kept = FilterPruning.strongest(net, widths);
                StagedNet small = FilterPruning.shrink(net, kept, m);
                assertEquals(widths, arch.layerWidths(small.options()));
                assertTrue(small.parameterCount() < 0.65 * net.parameterCount(), arch.id() + " "
                        + small.parameterCount() + " of " + net.parameterCount());
                // cut the removed channels off in the original: zero the consumers' columns
                List<ChannelGroup> groups = arch.channelGroups(FASHION);
                Map<String, Parameter> params = net.namedParameters();
                for (int g = 0; g < groups.size(); g++) {
                    Set<Integer> keep = new java.util.HashSet<>();
                    for (int k : kept.get(g)) {
                        keep.add(k);
                    }
                    for (ChannelGroup.Consumer c : groups.get(g).consumers()) {
                        NDArray w = params.get(c.parameter()).getArray();
                        long[] shape = w.getShape().getShape();
                        float[] data = w.toFloatArray();
                        long inner = data.length / (shape[0] * shape[1]);
                        for (int i = 0; i < data.length; i++) {
                            long column = i / inner % shape[1];
                            if (!keep.contains((int) (column / c.blockSize()))) {
                                data[i] = 0;
                            }
                        }
                        w.set(data);
                    }
                }
                NDArray x = m.randomNormal(net.batchInputShape(8));
                ParameterStore ps = new ParameterStore(m, false);
                float[] want = net.forward(ps, new NDList(x), false).head().toFloatArray();
                float[] got = small.forward(ps, new NDList(x), false).head().toFloatArray();
                assertArrayEquals(want, got, 1e-4f, arch.id());
                // and it round-trips through a checkpoint, its widths in model.json
                Checkpoint.save(tmp.resolve(arch.id()), small, spec(small), null);
                StagedNet back = Checkpoint.load(tmp.resolve(arch.id()), m).net();
                assertArrayEquals(got, back.forward(ps, new NDList(x), false).head()
                        .toFloatArray(), 0f);
            }
        }
    }

    private static dev.graft.model.ModelSpec spec(StagedNet net) {
        return new dev.graft.model.ModelSpec(dev.graft.model.ModelSpec.FORMAT_VERSION,
                net.architecture().id(), net.options(), net.inputShape(), net.numClasses(), null,
                dev.graft.data.Normalization.identity(net.inputShape()[0]), net.stageNames(),
                Checkpoint.parameterShapes(net), null);
    }

    @Test
    void widthsAreChosenForAShareOfTheMultiplyAdds() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.CONVNET.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            long dense = net.multiplyAdds();
            List<Integer> w = FilterPruning.widthsForMultiplyAdds(net, dense, 0.5, 1);
            long half = Architecture.CONVNET.build(FASHION, 10, net.options().withWidths(w))
                    .initialize(m, 0).multiplyAdds();
            assertTrue(half <= dense / 2 && half > 0.45 * dense, half + " of " + dense);
            // conv-to-conv cost is quadratic in the width: about 1/sqrt(2) of each layer stays
            assertEquals(23, w.get(1), 1);
            // in steps of 16 where channels feed a convolution (stage1.0 to stage2.0)
            List<Integer> aligned = FilterPruning.widthsForMultiplyAdds(net, dense, 0.5, 16);
            for (int g = 0; g < 3; g++) {
                assertEquals(0, aligned.get(g) % 16, aligned.toString());
            }
            long alignedMacs = Architecture.CONVNET.build(FASHION, 10,
                    net.options().withWidths(aligned)).initialize(m, 0).multiplyAdds();
            assertTrue(alignedMacs <= dense / 2 && alignedMacs > 0.45 * dense,
                    "the budget is filled after rounding: " + alignedMacs + " of " + dense
                            + " with " + aligned);
        }
    }

    @Test
    void scalingRoundsToStepsAndNeverGrowsALayer() {
        int[] step = {16, 16, 1};
        assertEquals(List.of(16, 12, 50), FilterPruning.scaled(List.of(32, 12, 100), step, 0.5));
        assertEquals(List.of(32, 12, 90), FilterPruning.scaled(List.of(32, 12, 100), step, 0.9),
                "12 * 0.9 rounds to one step of 16, capped at the 12 it has");
        assertEquals(List.of(16, 12, 1), FilterPruning.scaled(List.of(32, 12, 100), step, 0));
    }

    @Test
    void resnetIsRefusedNamingTheResidualSum() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.RESNET18.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            GraftException e = assertThrows(GraftException.class,
                    () -> FilterPruning.strongest(net, List.of()));
            assertTrue(e.getMessage().contains("tied across residual sums"), e.getMessage());
            StagedNet mlp = Architecture.MLP.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> FilterPruning.strongest(mlp, List.of(301, 100)));
            assertTrue(bad.getMessage().contains("layer1.fc has 300 channels"),
                    bad.getMessage());
        }
    }
}
