package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

/** One or two steps on a two-element parameter, checked against hand-computed values. */
class OptimizerTest {

    /** Runs {@code steps} updates of w = [1, 2] with loss sum(g0 * w), so the gradient is g0. */
    static float[] run(OptimizerConfig cfg, float[] g0, int steps, double lr) {
        return run(cfg, g0, steps, lr, false);
    }

    static float[] run(OptimizerConfig cfg, float[] g0, int steps, double lr, boolean anchor) {
        try (NDManager m = NDManager.newBaseManager();
                Optimizer opt = new Optimizer(cfg, m)) {
            Parameter p = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                    .build();
            p.setArray(m.create(new float[] {1, 2}));
            p.getArray().setRequiresGradient(true);
            if (anchor) {
                opt.anchor("w", p);
            }
            NDArray g = m.create(g0);
            for (int i = 0; i < steps; i++) {
                try (NDManager step = m.newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = p.getArray().mul(g).sum();
                        loss.attach(step);
                        gc.backward(loss);
                    }
                    opt.update("w", p, lr, cfg.weightDecay(), step);
                }
            }
            return p.getArray().toFloatArray();
        }
    }

    @Test
    void adamFirstStepMovesByTheLearningRateAgainstTheGradientSign() {
        // step 1: m = 0.1 g, v = 0.001 g^2, so m / (1 - 0.9) / sqrt(v / (1 - 0.999)) = sign(g)
        float[] w = run(OptimizerConfig.adam(0.1), new float[] {0.5f, -4f}, 1, 0.1);
        assertArrayEquals(new float[] {0.9f, 2.1f}, w, 1e-6f);
    }

    @Test
    void adamWithConstantGradientKeepsStepsOfSizeLr() {
        float[] w = run(OptimizerConfig.adam(0.01), new float[] {3f, -1f}, 3, 0.01);
        assertArrayEquals(new float[] {0.97f, 2.03f}, w, 1e-5f);
    }

    @Test
    void adamWDecaysTheWeightsBeforeTheAdamStep() {
        // w *= 1 - lr * wd = 1 - 0.1 * 0.5 = 0.95, then -lr * sign(g)
        float[] w = run(OptimizerConfig.adamW(0.1).withWeightDecay(0.5), new float[] {1f, 1f}, 1,
                0.1);
        assertArrayEquals(new float[] {0.95f - 0.1f, 1.9f - 0.1f}, w, 1e-6f);
    }

    @Test
    void sgdMomentumAccumulatesTheVelocity() {
        // buf1 = g; w1 = w - lr g; buf2 = 0.9 g + g = 1.9 g; w2 = w1 - lr 1.9 g
        float[] w = run(OptimizerConfig.sgd(0.1, 0.9), new float[] {1f, -2f}, 2, 0.1);
        assertArrayEquals(new float[] {1 - 0.1f - 0.19f, 2 + 0.2f + 0.38f}, w, 1e-6f);
    }

    @Test
    void sgdWeightDecayAddsToTheGradient() {
        // g' = g + wd w = [0 + 0.5, 0 + 1]; w -= 0.1 g'
        float[] w = run(OptimizerConfig.sgd(0.1, 0).withWeightDecay(0.5), new float[] {0f, 0f},
                1, 0.1);
        assertArrayEquals(new float[] {0.95f, 1.9f}, w, 1e-6f);
    }

    @Test
    void l2spDecaysTowardTheStartingWeights() {
        // at the start w = w0, so the decay term is 0 and a zero gradient moves nothing
        float[] still = run(OptimizerConfig.sgd(0.1, 0).withWeightDecay(0.5),
                new float[] {0f, 0f}, 3, 0.1, true);
        assertArrayEquals(new float[] {1f, 2f}, still, 0f);
        // step 1: w1 = w0 - 0.1 * 1; step 2: g = 1 + 0.5 * (w1 - w0) = 0.95, w2 = w1 - 0.095
        float[] w = run(OptimizerConfig.sgd(0.1, 0).withWeightDecay(0.5), new float[] {1f, 1f},
                2, 0.1, true);
        assertArrayEquals(new float[] {0.805f, 1.805f}, w, 1e-6f);
    }
}
