package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.io.BadFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LinearProbeTest {

    /** Three Gaussian blobs in 8 dimensions, centres 4 apart on the first three axes. */
    static FeatureCodes blobs(int perClass, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 3 * perClass;
        int d = 8;
        float[] v = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int j = 0; j < d; j++) {
                v[i * d + j] = (float) (rng.nextGaussian() + (j == y[i] ? 4 : 0) + 10);
            }
        }
        return new FeatureCodes(v, n, d, y, List.of("a", "b", "c"));
    }

    @ParameterizedTest
    @EnumSource(LinearProbe.Classifier.class)
    void everyClassifierSeparatesBlobs(LinearProbe.Classifier kind) {
        try (NDManager m = NDManager.newBaseManager()) {
            LinearProbe.Result r = LinearProbe.fit(blobs(60, 1), blobs(100, 2),
                    LinearProbe.Config.defaults(kind, 3), m);
            assertTrue(r.testAccuracy() > 0.95, kind + " test accuracy " + r.testAccuracy());
            assertEquals(5, r.validationByC().size());
        }
    }

    @Test
    void standardizerCentresAndScalesByHand() {
        // dimension 0: values 1, 3 -> mean 2, std 1; dimension 1: constant 5 -> centred only
        FeatureCodes c = new FeatureCodes(new float[] {1, 5, 3, 5}, 2, 2, new int[] {0, 1},
                List.of("a", "b"));
        assertArrayEquals(new float[] {-1, 0, 1, 0}, Standardizer.fit(c).apply(c).values(), 1e-6f);
    }

    @Test
    void stratifiedSplitTakesTheFractionOfEveryClass() {
        int[] labels = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2};
        int[][] s = LinearProbe.stratifiedSplit(labels, 3, 0.4, new SplittableRandom(1));
        assertEquals(12, s[0].length + s[1].length);
        int[] valPerClass = new int[3];
        for (int i : s[1]) {
            valPerClass[labels[i]]++;
        }
        assertArrayEquals(new int[] {2, 2, 1}, valPerClass);
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.stratifiedSplit(
                new int[] {0, 1, 1}, 2, 0.5, new SplittableRandom(1)));
    }

    @Test
    void codesOfAnotherDimensionAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            FeatureCodes other = new FeatureCodes(new float[6], 2, 3, new int[] {0, 1},
                    List.of("a", "b", "c"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LinearProbe.fit(blobs(10, 1), other, LinearProbe.Config.defaults(
                            LinearProbe.Classifier.LOGREG, 1), m));
            assertTrue(e.getMessage().contains("dimension 3 but the training codes 8"),
                    e.getMessage());
        }
    }

    @Test
    void codesRoundTripThroughSafetensors(@TempDir Path dir) {
        FeatureCodes c = blobs(4, 9);
        c.save(dir.resolve("train.safetensors"));
        FeatureCodes back = FeatureCodes.load(dir.resolve("train.safetensors"), c.classNames());
        assertArrayEquals(c.values(), back.values(), 0f);
        assertArrayEquals(c.labels(), back.labels());
        BadFileException e = assertThrows(BadFileException.class, () -> FeatureCodes.load(
                dir.resolve("train.safetensors"), List.of("only", "two")));
        assertTrue(e.getMessage().contains("label 2 is outside the 2 classes"), e.getMessage());
        assertTrue(assertThrows(BadFileException.class, () -> FeatureCodes.load(
                dir.resolve("test.safetensors"), c.classNames())).getMessage()
                .contains("graft extract"));
    }
}
