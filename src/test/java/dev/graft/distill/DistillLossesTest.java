package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every distillation term on hand-worked examples: values, invariances, gradient direction. */
class DistillLossesTest {

    NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    NDArray rows(float[][] v) {
        return m.create(v);
    }

    /** p_t = (0.75, 0.25), p_s = (0.5, 0.5): KL = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.130812. */
    @Test
    void responseIsTheTemperatureScaledKlDivergence() {
        NDArray s = rows(new float[][] {{0, 0}});
        NDArray t = rows(new float[][] {{(float) Math.log(3), 0}});
        assertEquals(0.130812, DistillLosses.response(s, t, 1).getFloat(), 1e-5);
        // T = 2: p_t = (sqrt3, 1) / (sqrt3 + 1); 4 * KL = 0.145363
        assertEquals(0.145363, DistillLosses.response(s, t, 2).getFloat(), 1e-5);
        assertEquals(0, DistillLosses.response(t, t, 4).getFloat(), 1e-6);
    }

    /** d/ds of T^2 KL is T (p_s - p_t): (-0.25, +0.25) at T = 1. */
    @Test
    void responseGradientPullsTheStudentTowardTheTeacher() {
        NDArray s = rows(new float[][] {{0, 0}});
        NDArray t = rows(new float[][] {{(float) Math.log(3), 0}});
        float[] g = gradient(s, x -> DistillLosses.response(x, t, 1));
        assertEquals(-0.25, g[0], 1e-5);
        assertEquals(0.25, g[1], 1e-5);
        g = gradient(s, x -> DistillLosses.response(x, t, 2));
        assertEquals(2 * (0.5 - Math.sqrt(3) / (Math.sqrt(3) + 1)), g[0], 1e-5);
    }

    @Test
    void badTemperatureIsRefused() {
        NDArray s = rows(new float[][] {{0, 0}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistillLosses.response(s, s, 0));
        assertTrue(e.getMessage().contains("--temperature"), e.getMessage());
    }

    @Test
    void hintIsTheMeanSquaredError() {
        assertEquals(2.5, DistillLosses.hint(rows(new float[][] {{1, 2}}),
                rows(new float[][] {{0, 0}})).getFloat(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> DistillLosses.hint(
                rows(new float[][] {{1, 2}}), rows(new float[][] {{0, 0, 0}})));
    }

    /** Attention (1, 0, 0, 0) vs (0, 0, 0, 1): squared differences 1 + 1 over 4 positions. */
    @Test
    void attentionComparesNormalizedSpatialMaps() {
        NDArray s = m.create(new float[] {1, 0, 0, 0}, new Shape(1, 1, 2, 2));
        NDArray t = m.create(new float[] {0, 0, 0, 1}, new Shape(1, 1, 2, 2));
        assertEquals(0.5, DistillLosses.attention(s, t).getFloat(), 1e-6);
        // channel count and scale do not matter, only where the energy is
        NDArray wide = m.create(new float[] {3, 0, 0, 0, -3, 0, 0, 0, 3, 0, 0, 0},
                new Shape(1, 3, 2, 2));
        assertEquals(0, DistillLosses.attention(s, wide).getFloat(), 1e-6);
    }

    /**
     * Points 0, 1, 3 (distances 1, 3, 2; mean 2) vs 0, 1, 2 (1, 2, 1; mean 4/3): normalized
     * differences -0.25, 0, +0.25, each twice in the 3 x 3 matrix; Huber 0.5 d^2 summed = 0.125,
     * over 9 entries.
     */
    @Test
    void rkdDistanceComparesMeanNormalizedDistances() {
        NDArray s = rows(new float[][] {{0}, {1}, {3}});
        NDArray t = rows(new float[][] {{0}, {1}, {2}});
        assertEquals(0.125 / 9, DistillLosses.rkdDistance(s, t).getFloat(), 1e-6);
        // scale-free: a teacher twice as spread out, in more dimensions, teaches the same
        NDArray t2 = rows(new float[][] {{0, 0}, {0, 2}, {0, 6}});
        assertEquals(0, DistillLosses.rkdDistance(s, t2).getFloat(), 1e-6);
    }

    /**
     * Right triangle (0,0), (1,0), (0,1) vs equilateral: the cosines at the vertices are 0,
     * 1/sqrt2, 1/sqrt2 vs 0.5 each, each entry twice in the 3 x 3 x 3 tensor.
     */
    @Test
    void rkdAngleComparesTheAnglesOfTriplets() {
        NDArray s = rows(new float[][] {{0, 0}, {1, 0}, {0, 1}});
        NDArray t = rows(new float[][] {{0, 0}, {1, 0}, {0.5f, (float) (Math.sqrt(3) / 2)}});
        double expected = (0.5 * 0.25 * 2 + 0.5 * Math.pow(Math.sqrt(0.5) - 0.5, 2) * 4) / 27;
        assertEquals(expected, DistillLosses.rkdAngle(s, t).getFloat(), 1e-6);
        // rotated, scaled and moved: the same angles
        NDArray moved = rows(new float[][] {{5, 5}, {5, 8}, {2, 5}});
        assertEquals(0, DistillLosses.rkdAngle(s, moved).getFloat(), 1e-6);
    }

    /** Coincident examples (e.g. dead ReLU embeddings) give finite values and gradients. */
    @Test
    void coincidentExamplesStayFinite() {
        NDArray s = rows(new float[][] {{0, 0}, {0, 0}, {1, 2}, {3, 1}});
        NDArray t = rows(new float[][] {{1, 0}, {0, 1}, {1, 1}, {2, 0}});
        for (float g : gradient(s, x -> DistillLosses.rkdAngle(x, t).add(
                DistillLosses.rkdDistance(x, t)))) {
            assertTrue(Float.isFinite(g));
        }
        assertTrue(Float.isFinite(DistillLosses.rkdAngle(s, t).getFloat()));
    }

    /**
     * Near-duplicates (Fashion-MNIST has them): two embeddings 0.1% apart, |e|^2 ~ 100. Their
     * difference is below what float32's Gram form resolves, so they must count as coincident:
     * every cosine stays a cosine and the gradient stays small. (With the old threshold, 5e-7 of
     * the squared norms, this pair counted as distinct and its "cosines" were rounding noise.)
     */
    @Test
    void nearDuplicateExamplesDoNotTurnAnglesIntoNoise() {
        java.util.Random r = new java.util.Random(5);
        int n = 64;
        int d = 100;
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat() < 0.5f ? 0 : 2 * r.nextFloat();
        }
        for (int j = 0; j < d; j++) {
            v[d + j] = v[j] * (1 + 1e-3f * (j % 2 == 0 ? 1 : -1));
        }
        NDArray e = m.create(v, new Shape(n, d));
        float[] cos = DistillLosses.angles(e).toFloatArray();
        for (float c : cos) {
            assertTrue(Math.abs(c) <= 1.001f, "cosine " + c);
        }
        NDArray t = m.randomUniform(0f, 1f, new Shape(n, 8));
        float max = 0;
        for (float g : gradient(e, x -> DistillLosses.rkdAngle(x, t).mul(50f))) {
            max = Math.max(max, Math.abs(g));
        }
        assertTrue(max < 1, "largest gradient " + max);
    }

    /** One gradient step on the student lowers every relation and feature term. */
    @Test
    void aGradientStepLowersEveryTerm() {
        NDArray s = m.randomNormal(new Shape(6, 4));
        NDArray t = m.randomNormal(new Shape(6, 5));
        NDArray sMap = m.randomNormal(new Shape(2, 3, 4, 4));
        NDArray tMap = m.randomNormal(new Shape(2, 5, 4, 4));
        assertDescends(s, x -> DistillLosses.rkdDistance(x, t));
        assertDescends(s, x -> DistillLosses.rkdAngle(x, t));
        assertDescends(sMap, x -> DistillLosses.attention(x, tMap));
        assertDescends(s, x -> DistillLosses.hint(x, s.add(1)));
    }

    @Test
    void poolToAveragesByAWholeFactor() {
        NDArray a = m.arange(16f).reshape(1, 1, 4, 4);
        assertEquals(new Shape(1, 1, 2, 2), DistillLosses.poolTo(a, 2, 2).getShape());
        assertEquals(2.5f, DistillLosses.poolTo(a, 2, 2).getFloat(0, 0, 0, 0), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> DistillLosses.poolTo(a, 3, 3));
    }

    private void assertDescends(NDArray x0, java.util.function.UnaryOperator<NDArray> loss) {
        NDArray x = x0.duplicate();
        float before = loss.apply(x).getFloat();
        float[] g = gradient(x, loss);
        NDArray stepped = x.sub(m.create(g, x.getShape()).mul(1e-2f));
        float after = loss.apply(stepped).getFloat();
        assertTrue(after < before, "loss " + before + " -> " + after + " after a descent step");
    }

    private float[] gradient(NDArray x0, java.util.function.UnaryOperator<NDArray> loss) {
        NDArray x = x0.duplicate();
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.apply(x));
        }
        return x.getGradient().toFloatArray();
    }
}
