package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentationTest {

    @Test
    void cropShiftsEachImageByAtMostThePadding() {
        try (NDManager m = NDManager.newBaseManager()) {
            int b = 16;
            float[] v = new float[b * 8 * 8];
            for (int i = 0; i < b; i++) {
                v[i * 64 + 3 * 8 + 4] = 1; // one bright pixel at (3, 4)
            }
            NDArray x = m.create(v, new Shape(b, 1, 8, 8));
            float[] out = new Augmentation(2, false).apply(x, new SplittableRandom(1), m)
                    .toFloatArray();
            assertEquals(v.length, out.length);
            java.util.Set<Integer> positions = new java.util.HashSet<>();
            for (int i = 0; i < b; i++) {
                int found = -1;
                for (int p = 0; p < 64; p++) {
                    if (out[i * 64 + p] == 1f) {
                        found = p;
                    }
                }
                int r = found / 8;
                int c = found % 8;
                assertTrue(Math.abs(r - 3) <= 2 && Math.abs(c - 4) <= 2, "moved too far: " + found);
                positions.add(found);
            }
            assertTrue(positions.size() > 3, "images should get different offsets");
        }
    }

    @Test
    void flipMirrorsSomeImagesAndKeepsTheOthers() {
        try (NDManager m = NDManager.newBaseManager()) {
            int b = 32;
            float[] v = new float[b * 4];
            for (int i = 0; i < b; i++) {
                v[i * 4] = 1; // [1, 0, 0, 0] in a 1x1x4 row
            }
            float[] out = new Augmentation(0, true).apply(m.create(v, new Shape(b, 1, 1, 4)),
                    new SplittableRandom(3), m).toFloatArray();
            int flipped = 0;
            for (int i = 0; i < b; i++) {
                boolean kept = out[i * 4] == 1 && out[i * 4 + 3] == 0;
                boolean mirrored = out[i * 4] == 0 && out[i * 4 + 3] == 1;
                assertTrue(kept || mirrored);
                flipped += mirrored ? 1 : 0;
            }
            assertTrue(flipped > 4 && flipped < b - 4, "flipped " + flipped + " of " + b);
        }
    }
}
