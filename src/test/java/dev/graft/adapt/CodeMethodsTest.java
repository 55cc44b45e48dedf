package dev.graft.adapt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.transfer.FeatureCodes;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The transductive methods on codes: their parts by hand, their whole on a known shift. */
class CodeMethodsTest {

    static final List<String> TWO = List.of("a", "b");

    @Test
    void conjugateGradientSolvesASmallSystem() {
        // [[4, 1], [1, 3]] x = [1, 2] has x = [1/11, 7/11]
        double[] x = LabelPropagation.conjugateGradient(v -> new double[] {4 * v[0] + v[1],
            v[0] + 3 * v[1]}, new double[] {1, 2}, 10, 1e-12);
        assertArrayEquals(new double[] {1.0 / 11, 7.0 / 11}, x, 1e-12);
    }

    @Test
    void labelsSpreadAlongAChainFromItsEnds() {
        // 0 - 1 - 2 - 3 - 4 = 5 (the last edge counted from both ends), node 0 of class a and
        // node 5 of class b: each half takes its end's class
        int[] next = {1, 2, 3, 4, 5, 4};
        float[] w = {1, 1, 1, 1, 1, 1};
        LabelPropagation.Graph g = new LabelPropagation.Graph(6, 1, next, w);
        int[] labels = {0, -1, -1, -1, -1, 1};
        double[][] local = LabelPropagation.propagate(g, labels, 2, 0.5, 50, 1e-12);
        for (int i = 0; i < 6; i++) {
            assertEquals(i < 3 ? 0 : 1, LinearHead.argmax(local[i]), "node " + i);
        }
        // at alpha 0.99 the diffusion is global: class b's seed, on the heavier edge, outweighs
        // a's everywhere, and class mass normalization restores the halves
        double[][] global = LabelPropagation.propagate(g, labels, 2, 0.99, 50, 1e-12);
        assertTrue(global[0][1] > global[0][0]);
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, LabelPropagation.classMassNormalized(
                global, new double[] {0.5, 0.5}));
    }

    @Test
    void nearestNeighboursAreByCosineAndExcludeTheNodeItself() {
        // three codes along x (lengths differ: cosine ignores length), one along y
        float[] x = {1, 0, 5, 0.1f, 2, 0.3f, 0, 1};
        try (NDManager m = NDManager.newBaseManager()) {
            LabelPropagation.Graph g = LabelPropagation.knn(x, 4, 2, 2, m);
            assertArrayEquals(new int[] {1, 2}, java.util.Arrays.copyOfRange(g.neighbours(), 0,
                    2));
            assertArrayEquals(new int[] {2, 1}, java.util.Arrays.copyOfRange(g.neighbours(), 6,
                    8));
            // cos(code 0, code 1) = 5 / sqrt(25.01), weighted by the cube
            assertEquals(Math.pow(5 / Math.sqrt(25.01), 3), g.weights()[0], 1e-5);
        }
    }

    @Test
    void classMassNormalizationGivesEachClassItsShare() {
        // class a holds 3.0 of the mass, b 1.0: scaled by 0.5 / mass the last two turn to b
        double[][] f = {{0.9, 0.1}, {0.8, 0.2}, {0.7, 0.3}, {0.6, 0.4}};
        assertArrayEquals(new int[] {0, 0, 1, 1}, LabelPropagation.classMassNormalized(f,
                new double[] {0.5, 0.5}));
    }

    @Test
    void transductiveLabelsKeepTheSourceProportions() {
        double[][] s = {{5, 1}, {4, 0}, {3, 2.9}};
        // room 2 for a, 1 for b: the third row is a's third best but b's best
        assertArrayEquals(new int[] {0, 0, 1}, TransductiveSvm.assign(s, new double[] {2.0 / 3,
            1.0 / 3}, 1));
        // a third of the rows: the most confident pair only
        assertArrayEquals(new int[] {0, -1, -1}, TransductiveSvm.assign(s, new double[] {1, 0},
                1.0 / 3));
    }

    @Test
    void temperatureScalingKeepsPredictionsAndIgnoresTheLogitScale() {
        Shift d = shift(200, 0, 2.0, 11); // classes overlap: a finite temperature
        LinearHead h = GaussianEm.fit(d.source(), d.target());
        LinearHead sharp = new LinearHead(scale(h.weight(), 10), scale(h.bias(), 10), "");
        LinearHead a = h.calibrated(d.source());
        LinearHead b = sharp.calibrated(d.source());
        for (int i = 0; i < a.weight().length; i++) {
            assertEquals(a.weight()[i], b.weight()[i], 1e-5 * Math.abs(a.weight()[i]));
        }
        assertArrayEquals(h.predict(d.target()), a.predict(d.target()));
        assertTrue(LinearHead.crossEntropy(logits(a, d.source()), d.source().labels(), 1)
                <= LinearHead.crossEntropy(logits(h, d.source()), d.source().labels(), 1)
                        + 1e-9);
    }

    /**
     * Two classes 4 apart with spread 0.5, the target moved 1.5 toward the second: the source's
     * boundary cuts off the upper tail of the target's first class (92% source-only); each
     * method moves the boundary with the target.
     */
    @Test
    void eachMethodFollowsAShiftThatFoolsTheSourceBoundary() {
        Shift d = shift(400, 1.5, 0.5, 3);
        double sourceOnly = accuracy(GaussianEm.fit(d.source(), d.target(), 0),
                d);
        assertTrue(sourceOnly < 0.95, "source-only " + sourceOnly);
        double em = accuracy(GaussianEm.fit(d.source(), d.target()), d);
        double tsvm = accuracy(TransductiveSvm.fit(d.source(), d.target(), 5), d);
        double lp;
        try (NDManager m = NDManager.newBaseManager()) {
            lp = accuracy(LabelPropagation.fit(d.source(), d.target(), 5, m), d);
        }
        String all = "source-only " + sourceOnly + ", em " + em + ", tsvm " + tsvm + ", label propagation " + lp;
        // the graph is the weakest here: the target's first class lies between the source's
        // two, and its upper tail links to the second's lower tail (0.82-0.90 over k 10-50 and
        // alpha 0.5-0.99; chance is 0.5)
        assertTrue(em > 0.98 && tsvm > 0.98 && lp > 0.85, all);
    }

    record Shift(FeatureCodes source, Codes target, int[] targetLabels) {}

    /**
     * {@code n} codes per domain, half of each class, each a value {@code v} (class mean 3 or 7,
     * plus {@code move} on the target) drawn as the unit vector at angle {@code v pi / 24}: the
     * angle orders codes as {@code v} does, for cosine similarity and for linear maps alike.
     */
    static Shift shift(int n, double move, double spread, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] s = new float[n * 2];
        float[] t = new float[n * 2];
        int[] ys = new int[n];
        int[] yt = new int[n];
        for (int i = 0; i < n; i++) {
            ys[i] = i % 2;
            yt[i] = i % 2;
            put(s, i, 4 * ys[i] + spread * gaussian(rng) + 3);
            put(t, i, 4 * yt[i] + spread * gaussian(rng) + 3 + move);
        }
        return new Shift(new FeatureCodes(s, n, 2, ys, TWO), new Codes(t, n, 2), yt);
    }

    static void put(float[] codes, int i, double v) {
        codes[2 * i] = (float) Math.cos(v * Math.PI / 24);
        codes[2 * i + 1] = (float) Math.sin(v * Math.PI / 24);
    }

    static double gaussian(SplittableRandom rng) {
        return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI
                * rng.nextDouble());
    }

    static double accuracy(LinearHead h, Shift d) {
        int[] p = h.predict(d.target());
        int ok = 0;
        for (int i = 0; i < p.length; i++) {
            ok += p[i] == d.targetLabels()[i] ? 1 : 0;
        }
        return (double) ok / p.length;
    }

    static float[] scale(float[] v, float s) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * s;
        }
        return out;
    }

    static double[][] logits(LinearHead h, FeatureCodes c) {
        double[][] z = new double[c.count()][];
        for (int i = 0; i < z.length; i++) {
            z[i] = h.logits(c.values(), i, c.dim());
        }
        return z;
    }
}
