package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The inference batch shrinks as activations grow, within [16, 256]. */
class InferenceBatchTest {

    @Test
    void batchKeepsTheLargestActivationUnder24Megabytes() {
        int[] image = {1, 28, 28};
        // convnet: stage1 has 32 * width channels at 28 x 28 before its pool: 100,352 bytes
        // per example at width 1, so 24 MB holds 250 -> 240; width 2 -> 112; width 8 -> 16
        assertEquals(240, Architecture.CONVNET.build(image, 10, new ModelOptions(1, null))
                .inferenceBatchSize());
        assertEquals(112, Architecture.CONVNET.build(image, 10, new ModelOptions(2, null))
                .inferenceBatchSize());
        assertEquals(16, Architecture.CONVNET.build(image, 10, new ModelOptions(8, null))
                .inferenceBatchSize());
        // a thinner convnet: 8 channels at width 0.25, capped at 256
        assertEquals(256, Architecture.CONVNET.build(image, 10, new ModelOptions(0.25, null))
                .inferenceBatchSize());
        // mlp: 300 floats per example, capped at 256
        assertEquals(256, Architecture.MLP.build(image, 10, ModelOptions.DEFAULT)
                .inferenceBatchSize());
    }
}
