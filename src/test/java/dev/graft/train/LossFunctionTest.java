package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class LossFunctionTest {

    @Test
    void crossEntropyIsTheMeanNegativeLogLikelihood() {
        try (NDManager m = NDManager.newBaseManager()) {
            // row 1: -log(e^3 / (e^1 + e^2 + e^3)) = 0.4076059644
            // row 2: uniform logits, -log(1/3) = 1.0986122887
            float v = LossFunction.crossEntropy().compute(
                    m.create(new float[] {1, 2, 3, 0, 0, 0}, new Shape(2, 3)),
                    m.create(new long[] {2, 0}), null).getFloat();
            assertEquals((0.4076059644 + 1.0986122887) / 2, v, 1e-6);
        }
    }
}
