package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        LinearProbe.Result r = LinearProbe.fit(blobs(60, 1), blobs(100, 2),
                LinearProbe.Config.defaults(kind, 3));
        assertTrue(r.testAccuracy() > 0.95, kind + " test accuracy " + r.testAccuracy());
        assertEquals(5, r.validationByC().size());
        assertEquals(kind == LinearProbe.Classifier.SOFTMAX, r.iterations() != null);
    }

    /** The folded map predicts what the probe predicts, on raw codes, for 3 and for 2 classes. */
    @ParameterizedTest
    @EnumSource(LinearProbe.Classifier.class)
    void linearMapAgreesWithTheProbe(LinearProbe.Classifier kind) {
        for (int classes : new int[] {3, 2}) {
            FeatureCodes train = blobs(20, 5);
            FeatureCodes test = blobs(50, 6);
            if (classes == 2) {
                train = train.select(indicesBelow(train.labels(), 2));
                test = test.select(indicesBelow(test.labels(), 2));
                train = new FeatureCodes(train.values(), train.count(), train.dim(),
                        train.labels(), List.of("a", "b"));
                test = new FeatureCodes(test.values(), test.count(), test.dim(), test.labels(),
                        List.of("a", "b"));
            }
            LinearProbe.Config cfg = LinearProbe.Config.defaults(kind, 3);
            LinearProbe.LinearMap map = LinearProbe.fitLinear(train, cfg);
            int d = test.dim();
            int correct = 0;
            for (int i = 0; i < test.count(); i++) {
                int best = 0;
                double bestLogit = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    double z = map.bias()[c];
                    for (int j = 0; j < d; j++) {
                        z += map.weight()[c * d + j] * test.values()[i * d + j];
                    }
                    if (z > bestLogit) {
                        bestLogit = z;
                        best = c;
                    }
                }
                correct += best == test.labels()[i] ? 1 : 0;
            }
            LinearProbe.Result r = LinearProbe.fit(train, test, cfg);
            assertEquals(r.c(), map.c());
            assertEquals(r.testAccuracy(), (double) correct / test.count(), 1e-12,
                    kind + " with " + classes + " classes");
        }
    }

    /** Blobs so far apart that every C classifies the validation codes alike: the largest wins. */
    @Test
    void tiedValidationAccuraciesChooseTheWeakestRegularization() {
        FeatureCodes far = blobs(20, 12);
        float[] v = far.values().clone();
        for (int i = 0; i < far.count(); i++) {
            v[i * far.dim() + far.labels()[i]] += 40;
        }
        FeatureCodes codes = new FeatureCodes(v, far.count(), far.dim(), far.labels(),
                far.classNames());
        LinearProbe.Result r = LinearProbe.fit(codes, null, LinearProbe.Config.defaults(
                LinearProbe.Classifier.LOGREG, 2));
        assertEquals(5, r.validationByC().size());
        r.validationByC().values().forEach(acc -> assertEquals(1.0, acc, "all tie: " + r));
        assertEquals(10.0, r.c());
    }

    @Test
    void aSingleCIsUsedWithoutValidationFits() {
        LinearProbe.Result r = LinearProbe.fit(blobs(20, 3), blobs(20, 4), LinearProbe.Config
                .defaults(LinearProbe.Classifier.LOGREG, 1).withGrid(new double[] {0.5}));
        assertEquals(0.5, r.c());
        assertTrue(r.validationByC().isEmpty(), "nothing to choose, nothing validated");
    }

    @Test
    void oneExamplePerClassFitsWithTheDefaultC() {
        FeatureCodes one = blobs(1, 7);
        LinearProbe.Result r = LinearProbe.fit(one, blobs(30, 8), LinearProbe.Config.defaults(
                LinearProbe.Classifier.LOGREG, 1));
        assertEquals(1.0, r.c());
        assertTrue(r.validationByC().isEmpty());
        assertEquals(1.0, r.trainAccuracy());
        assertTrue(r.testAccuracy() > 0.4, "one-shot blobs, chance 1/3: " + r.testAccuracy());
    }

    private static int[] indicesBelow(int[] labels, int k) {
        return java.util.stream.IntStream.range(0, labels.length).filter(i -> labels[i] < k)
                .toArray();
    }

    @Test
    void standardizerCentresAndScalesByHand() {
        // dimension 0: values 1, 3 -> mean 2, variance 1; dimension 1: constant 5 -> variance 0;
        // mean variance 0.5; pooled with 50 pseudo-codes: dimension 0's variance (2 * 1 + 50 *
        // 0.5) / 52 = 27/52, so z = +-1 / sqrt(27/52) = +-1.38778; dimension 1 only centred
        FeatureCodes c = new FeatureCodes(new float[] {1, 5, 3, 5}, 2, 2, new int[] {0, 1},
                List.of("a", "b"));
        assertArrayEquals(new float[] {-1.38778f, 0, 1.38778f, 0},
                Standardizer.fit(c).apply(c).values(), 1e-5f);
        // with many codes the shrinkage vanishes: 10,000 codes alternating 1 and 3 -> z = +-1
        int n = 10_000;
        float[] v = new float[2 * n];
        for (int i = 0; i < n; i++) {
            v[2 * i] = i % 2 == 0 ? 1 : 3;
            v[2 * i + 1] = 5;
        }
        FeatureCodes many = new FeatureCodes(v, n, 2, new int[n], List.of("a"));
        float[] z = Standardizer.fit(many).apply(many).values();
        assertEquals(-1, z[0], 3e-3); // 1 / sqrt((n + 25) / (n + 50)) = 1.00125
        assertEquals(1, z[2], 3e-3);
        assertEquals(0, z[1], 0);
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
        FeatureCodes other = new FeatureCodes(new float[6], 2, 3, new int[] {0, 1},
                List.of("a", "b", "c"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinearProbe.fit(blobs(10, 1), other, LinearProbe.Config.defaults(
                        LinearProbe.Classifier.LOGREG, 1)));
        assertTrue(e.getMessage().contains("dimension 3 but the training codes 8"),
                e.getMessage());
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
