package dev.graft.adapt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * Each loss against the value its reference code computes in PyTorch on the same inputs
 * ({@code bench/adapt_losses.py} prints them).
 */
class AdaptLossesTest {

    /** {@code sin(a i + b j + 0.3)}, as the script's {@code grid}. */
    static NDArray grid(NDManager m, int rows, int cols, double a, double b) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                v[i * cols + j] = (float) Math.sin(a * i + b * j + 0.3);
            }
        }
        return m.create(v).reshape(rows, cols);
    }

    private static void near(double expected, NDArray actual) {
        assertEquals(expected, actual.getFloat(), 2e-5 * Math.max(1, Math.abs(expected)));
    }

    @Test
    void matchTheReferenceImplementations() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray fs = grid(m, 6, 4, 0.7, 1.3);
            NDArray ft = grid(m, 6, 4, 1.1, 0.4).mul(1.5f).add(0.2f);
            NDArray logits = grid(m, 6, 3, 0.9, 2.1).mul(3);
            near(1.3469798545030431, AdaptLosses.coral(fs, ft));
            near(0.7217170632735719, AdaptLosses.mkMmd(fs, ft));
            near(0.5034751515900389, AdaptLosses.mcc(logits, AdaptLosses.MCC_TEMPERATURE));
            near(-0.6922691940105474, AdaptLosses.informationMaximization(logits));
            near(0.747602509642107, AdaptLosses.domainAdversarial(fs.get(":, 0"),
                    ft.get(":, 1")));
            near(0.02569671787226951, AdaptLosses.pseudoLabel(logits, logits, 0.9));
            assertEquals(0.007374737719623443, Validator.snd(logits.softmax(1)), 2e-6);
        }
    }

    @Test
    void alignmentLossesVanishBetweenIdenticalBatches() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray f = grid(m, 8, 5, 0.3, 0.8);
            assertEquals(0, AdaptLosses.coral(f, f).getFloat(), 1e-6);
            // MK-MMD's unbiased estimate of identical batches is 2/(n-1) minus 1/n^2 x the
            // diagonal's 5 kernels x 2: ~0 only up to TLL's constant, so compare with a shift
            float same = AdaptLosses.mkMmd(f, f).getFloat();
            float shifted = AdaptLosses.mkMmd(f, f.add(2)).getFloat();
            assertTrue(shifted > same + 0.5, same + " vs " + shifted);
        }
    }

    @Test
    void reversalKeepsValuesAndFlipsGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, -2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = AdaptLosses.reverseGradient(x, 0.5);
                assertEquals(-2, y.getFloat(1), 1e-6);
                gc.backward(y.sum());
            }
            float[] g = x.getGradient().toFloatArray();
            for (float v : g) {
                assertEquals(-0.5, v, 1e-6);
            }
        }
        assertEquals(0, AdaptLosses.reversalCoefficient(0), 1e-12);
        // Ganin et al.: 2 / (1 + e^-10 p) - 1; at p = 0.1, 2 / (1 + e^-1) - 1 = 0.46212
        assertEquals(0.462117, AdaptLosses.reversalCoefficient(0.1), 1e-6);
        assertTrue(AdaptLosses.reversalCoefficient(1) > 0.9999);
    }

    @Test
    void informationMaximizationScoresACollapsedModelAtZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            // every example certain of class 0: no entropy, no diversity
            NDArray collapsed = m.create(new float[] {1, 0, 1, 0}).reshape(2, 2);
            assertEquals(0, -AdaptLosses.informationMaximizationOfProbabilities(collapsed)
                    .getFloat(), 1e-4);
            // certain and spread over both classes: diversity ln 2, entropy 0
            NDArray diverse = m.create(new float[] {1, 0, 0, 1}).reshape(2, 2);
            assertEquals(Math.log(2), -AdaptLosses.informationMaximizationOfProbabilities(
                    diverse).getFloat(), 1e-4);
        }
    }

    @Test
    void pseudoLabelsSkipUnconfidentExamples() {
        try (NDManager m = NDManager.newBaseManager()) {
            // row 0: p = softmax(5, 0) -> 0.9933 >= 0.95; row 1: softmax(0.1, 0) -> 0.525 < 0.95
            NDArray z = m.create(new float[] {5, 0, 0.1f, 0}).reshape(2, 2);
            double ce0 = Math.log(1 + Math.exp(-5));
            near(ce0 / 2, AdaptLosses.pseudoLabel(z, z, 0.95));
        }
    }
}
