package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** FixMatch's augmentations: each operation by hand on small images. */
class RandAugmentTest {

    @Test
    void levelOperationsFollowPil() {
        // level round(0.3 x 255) = 77 = 0b01001101: four bits keep 64; 0.5 -> 128 stays
        float[] p = RandAugment.posterize(new float[] {0.3f, 0.5f}, 4);
        assertArrayEquals(new float[] {64 / 255f, 128 / 255f}, p, 1e-7f);
        // solarize at 128: 200 -> 55, 100 stays
        float[] s = RandAugment.solarize(new float[] {200 / 255f, 100 / 255f}, 128);
        assertArrayEquals(new float[] {55 / 255f, 100 / 255f}, s, 1e-7f);
        assertArrayEquals(new float[] {0, 0.5f, 1}, RandAugment.autoContrast(new float[] {0.2f,
            0.4f, 0.6f}, 1, 1, 3), 1e-6f);
    }

    @Test
    void equalizeSpreadsTwoLevelsToTheEnds() {
        // 784 pixels, half at level 10, half at 20: step (784 - 392) / 255 = 1, so level 10
        // maps to 0 and level 20 to 255 (PIL's lookup table)
        float[] a = new float[784];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 2 == 0 ? 10 : 20) / 255f;
        }
        float[] e = RandAugment.equalize(a, 1, 28, 28);
        assertEquals(0f, e[0], 1e-7f);
        assertEquals(1f, e[1], 1e-7f);
        // fewer than 256 pixels of the other levels: PIL leaves the image as it is
        assertArrayEquals(new float[] {0.1f, 0.2f}, RandAugment.equalize(new float[] {0.1f,
            0.2f}, 1, 1, 2));
    }

    @Test
    void geometryAndCutout() {
        float[] row = {0.1f, 0.2f, 0.3f, 0.4f};
        // output x reads input x + 1: one step left, black coming in
        assertArrayEquals(new float[] {0.2f, 0.3f, 0.4f, 0}, RandAugment.affine(row, 1, 1, 4,
                new double[] {1, 0, 1, 0, 1, 0}), 1e-7f);
        float[] img = new float[64];
        float[] cut = RandAugment.cutout(img, 1, 8, 8, 4, new SplittableRandom(1));
        int grey = 0;
        for (float v : cut) {
            grey += v > 0 ? 1 : 0;
        }
        assertTrue(grey > 0 && grey <= 16, "grey pixels " + grey);
        // the smoothing kernel leaves a constant image (and the border) as it is
        float[] flat = new float[9];
        java.util.Arrays.fill(flat, 0.4f);
        assertArrayEquals(flat, RandAugment.smooth(flat, 1, 3, 3), 1e-6f);
    }

    @Test
    void viewsKeepShapeRangeAndNormalization() {
        Normalization norm = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        // a constant image: every weak view is the same image, back in normalized units
        float[] x = new float[2 * 16];
        java.util.Arrays.fill(x, 1.2f);
        float[] weak = RandAugment.batch(x, 2, 1, 4, 4, norm, false, new SplittableRandom(3));
        assertArrayEquals(x, weak, 1e-5f);
        SplittableRandom rng = new SplittableRandom(4);
        for (int t = 0; t < 50; t++) {
            float[] img = new float[3 * 8 * 8];
            for (int i = 0; i < img.length; i++) {
                img[i] = (float) rng.nextDouble();
            }
            float[] s = RandAugment.strong(img, 3, 8, 8, rng);
            assertEquals(img.length, s.length);
            for (float v : s) {
                assertTrue(v >= 0 && v <= 1, "value " + v);
            }
        }
    }
}
