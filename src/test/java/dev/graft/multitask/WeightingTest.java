package dev.graft.multitask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.graft.io.GraftException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each weighting's loss and weights against values worked out by hand. */
class WeightingTest {

    static List<NDArray> losses(NDManager m, float... v) {
        return java.util.stream.IntStream.range(0, v.length).mapToObj(i -> m.create(v[i]))
                .toList();
    }

    @Test
    void equalWeightsSumTheLosses() {
        try (NDManager m = NDManager.newBaseManager()) {
            Weighting.Balance b = Weighting.EQUAL.start(2, 0, m);
            assertEquals(0.9f + 2.1f, b.combine(losses(m, 0.9f, 2.1f)).getFloat(), 1e-6f);
            assertArrayEquals(new double[] {1, 1}, b.weights());
        }
    }

    /**
     * UW at s = -0.5: each loss weighs 1 / (2 e^-0.5) = 0.8244, plus s / 2 = -0.25 each; the
     * gradient of the loss with respect to s_k is -L_k / (2 e^s_k) + 1/2.
     */
    @Test
    void uncertaintyWeightingLearnsLogVariances() {
        try (NDManager m = NDManager.newBaseManager()) {
            Weighting.Balance b = Weighting.UNCERTAINTY.start(2, 0, m);
            double w = 1 / (2 * Math.exp(-0.5));
            assertArrayEquals(new double[] {w, w}, b.weights(), 1e-6);
            NDArray loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                loss = b.combine(losses(m, 0.9f, 2.1f));
                gc.backward(loss);
            }
            assertEquals(w * 0.9 - 0.25 + w * 2.1 - 0.25, loss.getFloat(), 1e-5);
            float[] grad = b.parameters().get("weighting.log_variance").getArray()
                    .getGradient().toFloatArray();
            assertEquals(-0.9 * w + 0.5, grad[0], 1e-5);
            assertEquals(-2.1 * w + 0.5, grad[1], 1e-5);
        }
    }

    /**
     * DWA: weights 1 until two epochs are over; then with losses (1.0, 2.0) and (0.8, 1.0) the
     * ratios are 0.8 and 0.5, and the weights 2 softmax((0.8, 0.5) / 2) = (1.0748, 0.9252).
     */
    @Test
    void dynamicWeightAverageFollowsTheLossRatios() {
        try (NDManager m = NDManager.newBaseManager()) {
            Weighting.Balance b = Weighting.DWA.start(2, 0, m);
            b.epochEnd(new double[] {1.0, 2.0});
            assertArrayEquals(new double[] {1, 1}, b.weights(), "one epoch: no ratio yet");
            b.epochEnd(new double[] {0.8, 1.0});
            double e1 = Math.exp(0.4);
            double e2 = Math.exp(0.25);
            double[] want = {2 * e1 / (e1 + e2), 2 * e2 / (e1 + e2)};
            assertArrayEquals(want, b.weights(), 1e-9);
            assertEquals(1.0748, want[0], 1e-4);
            assertEquals(want[0] * 3 + want[1] * 4, b.combine(losses(m, 3f, 4f)).getFloat(),
                    1e-5);
        }
    }

    @Test
    void unknownWeightingsAreNamed() {
        GraftException e = assertThrows(GraftException.class, () -> Weighting.byId("nash-mtl"));
        assertTrue(e.getMessage().contains("equal, uw, dwa, gradnorm, pcgrad, mgda-ub"),
                e.getMessage());
    }

    /** Three task gradients of five numbers, as in bench/mtl_weightings_ref.py. */
    static final float[][] G3 = {
        {1.0f, -2.0f, 0.5f, 3.0f, -1.0f},
        {-0.5f, 1.0f, 2.0f, -1.0f, 0.0f},
        {2.0f, 0.5f, -1.5f, 0.5f, 1.0f}};

    static NDArray rows(NDManager m, float[][] g) {
        return m.create(g);
    }

    /**
     * Two vectors (1, 0) and (0, 2): |c (1, 0) + (1 - c)(0, 2)|^2 = c^2 + 4 (1 - c)^2 is least
     * at c = 0.8. Three and two of G3: the values LibMTL's solver gives
     * (bench/mtl_weightings_ref.py).
     */
    @Test
    void minNormSolverMatchesTheReference() {
        assertArrayEquals(new double[] {0.8, 0.2}, MinNormSolver.solve(new double[][] {{1, 0},
            {0, 4}}), 1e-12);
        try (NDManager m = NDManager.newBaseManager()) {
            double[][] gram = Weighting.gram(rows(m, G3));
            assertArrayEquals(new double[] {0.1802082055, 0.4808443888, 0.3389474057},
                    MinNormSolver.solve(gram), 1e-6);
            double[][] two = {{gram[0][0], gram[0][1]}, {gram[1][0], gram[1][1]}};
            assertArrayEquals(new double[] {0.3524590164, 0.6475409836},
                    MinNormSolver.solve(two), 1e-7);
        }
        // the simplex projection: (0.5, 0.5, 0.5) -> a third each; (2, 0, 0) -> (1, 0, 0)
        assertArrayEquals(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0},
                MinNormSolver.projectToSimplex(new double[] {0.5, 0.5, 0.5}), 1e-12);
        assertArrayEquals(new double[] {1, 0, 0},
                MinNormSolver.projectToSimplex(new double[] {2, 0, 0}), 1e-12);
    }

    /**
     * (1, 0) and (-1, 1) conflict (dot -1): the first becomes (1, 0) + 0.5 (-1, 1) = (0.5, 0.5),
     * the second (-1, 1) + (1, 0) = (0, 1); their sum (0.5, 1.5) is 2 g1 + 1.5 g2. Three of G3
     * in fixed orders: LibMTL's values.
     */
    @Test
    void pcGradProjectsConflictingGradients() {
        double[] weight = new double[2];
        double[] c = Weighting.PcGrad.project(new double[][] {{1, -1}, {-1, 2}},
                new int[][] {{1, 0}, {0, 1}}, weight);
        assertArrayEquals(new double[] {2, 1.5}, c, 1e-7);
        assertArrayEquals(new double[] {2, 1.5}, weight, 1e-7);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray g = rows(m, G3);
            double[] w = new double[3];
            double[] coef = Weighting.PcGrad.project(Weighting.gram(g), new int[][] {{2, 0, 1},
                {1, 2, 0}, {0, 1, 2}}, w);
            assertArrayEquals(new double[] {1.2696985720, 2.3599999978, 1.5161290316}, w, 1e-5);
            assertArrayEquals(new float[] {3.1219566363f, 0.5786673695f, 3.0806557343f,
                2.2071602341f, 0.2464304596f}, Weighting.weightedRows(g, coef).toFloatArray(),
                    1e-5f);
        }
    }

    /**
     * GradNorm sums the losses until its first epoch is over; then, from s = (1.2, 0.7, 1.0),
     * the gradients of G3, losses (0.8, 1.1, 0.3) against first-epoch means (2, 1.5, 1): the
     * combined gradient, the gradient of s and the weights LibMTL computes.
     */
    @Test
    void gradNormMatchesTheReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            Weighting.Balance b = Weighting.GRADNORM.start(3, 0, m);
            assertFalse(b.gradients().active(), "equal weights in the first epoch");
            assertArrayEquals(new double[] {1, 1, 1}, b.weights());
            b.epochEnd(new double[] {2, 1.5, 1});
            assertTrue(b.gradients().active());
            b.parameters().get("weighting.loss_scale").getArray().set(new float[] {1.2f, 0.7f,
                1.0f});
            NDArray combined;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                combined = b.gradients().combine(rows(m, G3), new double[] {0.8, 1.1, 0.3}, gc);
            }
            assertArrayEquals(new float[] {2.8873541186f, -1.2173169769f, 0.5998922680f,
                3.4670506470f, -0.2242264433f}, combined.toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {2.4496707963f, -3.3197490603f, 0.8700782640f},
                    b.parameters().get("weighting.loss_scale").getArray().getGradient()
                            .toFloatArray(), 1e-5f);
            assertArrayEquals(new double[] {1.2369800567, 0.7502663299, 1.0127536134},
                    b.weights(), 1e-6);
        }
    }
}
