package dev.graft.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.model.Architecture;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.model.Weights;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The analysis measures on cases with known answers. */
class MeasuresTest {

    private static NDArray random(NDManager m, long seed, int n, int d) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return m.create(v, new Shape(n, d));
    }

    @Test
    void ckaOfARepresentationWithItselfIsOneAndIgnoresRotationAndScale() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = random(m, 1, 50, 8);
            assertEquals(1.0, Cka.linear(x, x), 1e-9);
            // a random orthogonal 8x8 matrix: Q of a QR decomposition, by Gram-Schmidt
            double[][] a = new double[8][8];
            SplittableRandom rng = new SplittableRandom(2);
            for (double[] row : a) {
                for (int j = 0; j < 8; j++) {
                    row[j] = rng.nextGaussian();
                }
            }
            float[] q = new float[64];
            for (int i = 0; i < 8; i++) {
                for (int k = 0; k < i; k++) {
                    double dot = 0;
                    for (int j = 0; j < 8; j++) {
                        dot += a[i][j] * a[k][j];
                    }
                    for (int j = 0; j < 8; j++) {
                        a[i][j] -= dot * a[k][j];
                    }
                }
                double norm = 0;
                for (int j = 0; j < 8; j++) {
                    norm += a[i][j] * a[i][j];
                }
                for (int j = 0; j < 8; j++) {
                    a[i][j] /= Math.sqrt(norm);
                    q[i * 8 + j] = (float) a[i][j];
                }
            }
            NDArray rotated = x.matMul(m.create(q, new Shape(8, 8))).mul(3.5f).add(7f);
            assertEquals(1.0, Cka.linear(x, rotated), 1e-5, "orthogonal, scaled and shifted");
            // an arbitrary (non-orthogonal) linear map changes it
            NDArray skewed = x.matMul(random(m, 3, 8, 8).mul(random(m, 4, 8, 8)));
            assertTrue(Cka.linear(x, skewed) < 0.95, "CKA is not invariant to any linear map");
            // unrelated representations of many examples are far apart
            assertTrue(Cka.linear(random(m, 5, 2000, 4), random(m, 6, 2000, 4)) < 0.02);
            // more features than examples (the Gram form): the feature form's value, in doubles
            NDArray wide = random(m, 7, 10, 30);
            NDArray other = random(m, 8, 10, 25);
            assertEquals(featureForm(wide, other), Cka.linear(wide, other), 1e-9);
            assertEquals(1.0, Cka.linear(wide, wide), 1e-9);
        }
    }

    /** {@code ||Y'X||^2 / (||X'X|| ||Y'Y||)} of centred columns, in plain doubles. */
    private static double featureForm(NDArray xa, NDArray ya) {
        double[][] x = centred(xa);
        double[][] y = centred(ya);
        return frob2(cross(y, x)) / Math.sqrt(frob2(cross(x, x)) * frob2(cross(y, y)));
    }

    private static double[][] centred(NDArray a) {
        int n = (int) a.getShape().get(0);
        int d = (int) a.getShape().get(1);
        float[] v = a.toFloatArray();
        double[][] out = new double[n][d];
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += v[i * d + j] / (double) n;
            }
            for (int i = 0; i < n; i++) {
                out[i][j] = v[i * d + j] - mean;
            }
        }
        return out;
    }

    private static double[][] cross(double[][] a, double[][] b) {
        double[][] out = new double[a[0].length][b[0].length];
        for (int k = 0; k < a.length; k++) {
            for (int i = 0; i < a[k].length; i++) {
                for (int j = 0; j < b[k].length; j++) {
                    out[i][j] += a[k][i] * b[k][j];
                }
            }
        }
        return out;
    }

    private static double frob2(double[][] a) {
        double s = 0;
        for (double[] r : a) {
            for (double v : r) {
                s += v * v;
            }
        }
        return s;
    }

    @Test
    void ckaMatchesAHandWorkedExample() {
        // x = [1, 2, 3] (one feature), y = [1, 3, 2]: centred x = [-1, 0, 1], y = [-1, 1, 0];
        // (y'x)^2 = 1, x'x = 2, y'y = 2, so CKA = 1 / (2 * 2) = 0.25
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3}, new Shape(3, 1));
            NDArray y = m.create(new float[] {1, 3, 2}, new Shape(3, 1));
            assertEquals(0.25, Cka.linear(x, y), 1e-12);
            assertThrows(IllegalArgumentException.class, () -> Cka.linear(x,
                    m.create(new float[] {1, 2}, new Shape(2, 1))), "different examples");
        }
    }

    private static StagedNet convnet(NDManager m, long seed) {
        return Architecture.byId("convnet").build(new int[] {1, 28, 28}, 3,
                ModelOptions.DEFAULT).initialize(m, seed);
    }

    private static TensorDataset images(NDManager m, int n) {
        SplittableRandom rng = new SplittableRandom(9);
        byte[] px = new byte[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int p = 0; p < 28 * 28; p++) {
                px[i * 784 + p] = (byte) rng.nextInt(256);
            }
        }
        ImageDataset d = new ImageDataset("noise", px, labels, 1, 28, 28,
                List.of("a", "b", "c"));
        return TensorDataset.of(d, Normalization.fit(d), m);
    }

    @Test
    void theBarrierOfAModelWithItselfIsZeroAndDifferentModelsAreRefused() {
        try (NDManager m = NDManager.newBaseManager(); TensorDataset data = images(m, 96)) {
            StagedNet a = convnet(m, 1);
            Interpolation self = Interpolation.between(a, a, 4, data, data, 3, m);
            assertEquals(5, self.points().size());
            assertEquals(0.0, self.lossBarrier(), 1e-6);
            assertEquals(0.0, self.errorBarrier(), 0);
            Interpolation two = Interpolation.between(a, convnet(m, 2), 2, data, data, 3, m);
            assertEquals(0.5, two.points().get(1).t());
            StagedNet mlp = Architecture.byId("mlp").build(new int[] {1, 28, 28}, 3,
                    ModelOptions.DEFAULT).initialize(m, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Interpolation.between(a, mlp, 2, data, data, 3, m));
            assertTrue(e.getMessage().contains("one architecture, got convnet and mlp"),
                    e.getMessage());
            StagedNet wide = Architecture.byId("convnet").build(new int[] {1, 28, 28}, 3,
                    new ModelOptions(2, null)).initialize(m, 1);
            e = assertThrows(IllegalArgumentException.class,
                    () -> ParameterDistance.between(a, wide));
            assertTrue(e.getMessage().contains("same shapes"), e.getMessage());
        }
    }

    @Test
    void barriersRiseAboveTheLineJoiningTheEnds() {
        // ends at loss 1 and 3; the middle at 4 is 2 above the line's 2
        Interpolation i = Interpolation.of(List.of(new Interpolation.Point(0, 1, 0.9),
                new Interpolation.Point(0.5, 4, 0.5), new Interpolation.Point(1, 3, 0.7)));
        assertEquals(2.0, i.lossBarrier(), 1e-12);
        // errors 0.1 and 0.3, line 0.2 in the middle, measured 0.5
        assertEquals(0.3, i.errorBarrier(), 1e-12);
        Interpolation convex = Interpolation.of(List.of(new Interpolation.Point(0, 1, 0.9),
                new Interpolation.Point(0.5, 0.5, 0.95), new Interpolation.Point(1, 1, 0.9)));
        assertEquals(0.0, convex.lossBarrier(), 0, "a path below its ends has no barrier");
    }

    @Test
    void parameterDistanceIsPerModuleAndZeroToItself() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet a = Architecture.byId("mlp").build(new int[] {1, 28, 28}, 3,
                    ModelOptions.DEFAULT).initialize(m, 1);
            StagedNet b = Architecture.byId("mlp").build(new int[] {1, 28, 28}, 3,
                    ModelOptions.DEFAULT).initialize(m, 1);
            ParameterDistance same = ParameterDistance.between(a, b);
            assertEquals(List.of("layer1", "layer2", "head"), List.copyOf(same.distance()
                    .keySet()));
            same.distance().values().forEach(d -> assertEquals(0.0, d));
            b.namedParameters().get("head.bias").getArray().addi(m.create(new float[] {3, 0,
                4}));
            ParameterDistance moved = ParameterDistance.between(a, b);
            assertEquals(5.0, moved.distance().get("head"), 1e-6, "sqrt(3^2 + 4^2)");
            assertEquals(0.0, moved.distance().get("layer1"));
        }
    }

    @Test
    void criticalityOfAModuleRewoundToItselfIsNothingAndTheHeadMatters() {
        try (NDManager m = NDManager.newBaseManager(); TensorDataset data = images(m, 60)) {
            StagedNet trained = convnet(m, 1);
            try (Weights same = Weights.of(trained, m)) {
                Criticality c = Criticality.of(trained, same, new double[] {0, 0.5, 1}, data,
                        m);
                assertEquals(List.of("stage1", "stage2", "stage3", "head"), c.modules());
                for (double[] row : c.accuracy()) {
                    for (double v : row) {
                        assertEquals(c.trainedAccuracy(), v, 0, "rewinding to itself");
                    }
                }
                Criticality layers = Criticality.ofLayers(trained, same, new double[] {0}, data,
                        m);
                assertEquals(List.of("stage1.0.conv", "stage1.1.conv", "stage2.0.conv",
                        "stage2.1.conv", "stage3.1", "head"), layers.modules(),
                        "every convolution and linear layer, BatchNorm left out");
            }
            // a head zeroed at the start: alpha 0 predicts class 0 for everything (1/3 here)
            StagedNet zero = convnet(m, 2);
            zero.namedParameters().forEach((name, p) -> {
                if (name.startsWith("head.")) {
                    p.getArray().muli(0);
                }
            });
            try (Weights start = Weights.of(zero, m)) {
                Criticality c = Criticality.of(trained, start, new double[] {0, 1}, data, m);
                assertEquals(20 / 60.0, c.accuracy()[3][0], 1e-12);
                assertEquals(c.trainedAccuracy(), c.accuracy()[3][1], 0);
                assertEquals(100 * (c.trainedAccuracy() - 1 / 3.0), c.drop(3), 1e-9);
                Criticality layers = Criticality.ofLayers(trained, start, new double[] {0, 1},
                        data, m);
                assertEquals(20 / 60.0, layers.accuracy()[5][0], 1e-12, "the head layer");
            }
        }
    }

    @Test
    void blockShufflingMovesWholeBlocksAndRefusesSizesThatDoNotDivide() {
        // a 4x4 image with pixel value = its position: 2x2 blocks keep their inner pattern
        byte[] px = new byte[16 * 2];
        for (int i = 0; i < 32; i++) {
            px[i] = (byte) (i % 16);
        }
        ImageDataset d = new ImageDataset("grid", px, new int[] {0, 1}, 1, 4, 4,
                List.of("a", "b"));
        ImageDataset s = d.blockShuffled(2, 5);
        assertEquals(d.size(), s.size());
        assertArrayEquals(d.labels(), s.labels());
        for (int img = 0; img < 2; img++) {
            for (int by = 0; by < 2; by++) {
                for (int bx = 0; bx < 2; bx++) {
                    int topLeft = s.pixel(img * 16L + by * 8 + bx * 2);
                    // whatever block landed here, it is whole: right +1, below +4
                    assertEquals(topLeft + 1, s.pixel(img * 16L + by * 8 + bx * 2 + 1));
                    assertEquals(topLeft + 4, s.pixel(img * 16L + by * 8 + bx * 2 + 4));
                    assertTrue(List.of(0, 2, 8, 10).contains(topLeft), "a block's corner");
                }
            }
        }
        int[] sorted = new int[16];
        for (int i = 0; i < 16; i++) {
            sorted[i] = s.pixel(i);
        }
        java.util.Arrays.sort(sorted);
        for (int i = 0; i < 16; i++) {
            assertEquals(i, sorted[i], "every pixel kept once");
        }
        ImageDataset whole = d.blockShuffled(4, 5);
        for (int i = 0; i < 32; i++) {
            assertEquals(d.pixel(i), whole.pixel(i), "a block the image's size moves nothing");
        }
        boolean moved = false;
        ImageDataset pixels = d.blockShuffled(1, 5);
        for (int i = 0; i < 16; i++) {
            moved |= pixels.pixel(i) != d.pixel(i);
        }
        assertTrue(moved);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.blockShuffled(3, 1));
        assertTrue(e.getMessage().contains("block size 3 does not divide the 4x4 images"),
                e.getMessage());
        assertTrue(e.getMessage().contains("[1, 2, 4]"), e.getMessage());
    }
}
