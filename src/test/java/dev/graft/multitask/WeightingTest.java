package dev.graft.multitask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
            Weighting.Balance b = Weighting.EQUAL.start(2, m);
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
            Weighting.Balance b = Weighting.UNCERTAINTY.start(2, m);
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
            Weighting.Balance b = Weighting.DWA.start(2, m);
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
        GraftException e = assertThrows(GraftException.class, () -> Weighting.byId("gradnorm"));
        assertTrue(e.getMessage().contains("equal, uw, dwa"), e.getMessage());
    }
}
