package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorDatasetTest {

    @Test
    void normalizesEachChannelWithItsOwnStatistics() {
        // two 2-channel 1x2 images; channel 0: mean 0.5, std 0.5; channel 1: mean 0, std 0.25
        byte[] px = {0, (byte) 255, 51, 0, (byte) 255, 0, 0, 51};
        ImageDataset d = new ImageDataset("t", px, new int[] {1, 0}, 2, 1, 2, List.of("a", "b"));
        Normalization norm = new Normalization(new float[] {0.5f, 0f}, new float[] {0.5f, 0.25f});
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset t = TensorDataset.of(d, norm, m)) {
            // (x / 255 - mean) / std: 0 -> -1, 255 -> 1 on channel 0; 51 -> 0.8, 0 -> 0 on ch. 1
            float[] x = t.range(0, 2, m).x().toFloatArray();
            assertArrayEquals(new float[] {-1, 1, 0.8f, 0, 1, -1, 0, 0.8f}, x, 1e-6f);
            assertArrayEquals(new long[] {1, 0}, t.batch(new int[] {0, 1}, m).y().toLongArray());
            assertEquals(2, t.size());
        }
    }
}
