package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {

    /** 1x1 images whose pixel equals 10 * label + index-within-class; labels 0,1,2 x count. */
    static ImageDataset toy(int perClass) {
        int n = 3 * perClass;
        byte[] px = new byte[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            px[i] = (byte) (10 * labels[i] + i / 3);
        }
        return new ImageDataset("toy", px, labels, 1, 1, 1, List.of("a", "b", "c"));
    }

    @Test
    void withClassesRelabelsInTheOrderGiven() {
        ImageDataset sub = toy(4).withClasses(2, 0);
        assertEquals(List.of("c", "a"), sub.classNames());
        assertEquals(8, sub.size());
        for (int i = 0; i < sub.size(); i++) {
            int original = sub.pixel(i) / 10;
            assertEquals(original == 2 ? 0 : 1, sub.label(i));
        }
        assertThrows(IllegalArgumentException.class, () -> toy(2).withClasses(3));
        assertThrows(IllegalArgumentException.class, () -> toy(2).withClasses(1, 1));
    }

    @Test
    void shotsTakeExactlyKPerClassAndAreSeeded() {
        ImageDataset d = toy(10);
        ImageDataset a = d.sampleShots(3, 1);
        assertArrayEquals(new int[] {3, 3, 3}, a.classCounts());
        assertEquals(a.fingerprint(), d.sampleShots(3, 1).fingerprint());
        assertNotEquals(a.fingerprint(), d.sampleShots(3, 2).fingerprint());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.sampleShots(11, 1));
        assertTrue(e.getMessage().contains("--shots 11 is more than class 0"), e.getMessage());
    }

    @Test
    void holdOutIsStratifiedAndDisjoint() {
        ImageDataset.Split s = toy(10).holdOut(0.2, 5);
        assertArrayEquals(new int[] {2, 2, 2}, s.validation().classCounts());
        assertArrayEquals(new int[] {8, 8, 8}, s.train().classCounts());
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (ImageDataset d : List.of(s.train(), s.validation())) {
            for (int i = 0; i < d.size(); i++) {
                assertTrue(seen.add(d.pixel(i)), "image in both splits");
            }
        }
        assertEquals(0, toy(3).holdOut(0, 1).validation().size());
    }

    @Test
    void normalizationMatchesHandComputedMoments() {
        // pixels 0 and 255 -> values 0 and 1: mean 0.5, population std 0.5
        ImageDataset d = new ImageDataset("t", new byte[] {0, (byte) 255}, new int[] {0, 1}, 1, 1,
                1, List.of("x", "y"));
        Normalization n = Normalization.fit(d);
        assertEquals(0.5f, n.mean()[0], 1e-6f);
        assertEquals(0.5f, n.std()[0], 1e-6f);
    }
}
