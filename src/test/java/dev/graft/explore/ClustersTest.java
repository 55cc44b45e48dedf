package dev.graft.explore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The clustering measures against values worked out by hand (scikit-learn agrees). */
class ClustersTest {

    @Test
    void adjustedRandIndexByHand() {
        // pairs together in both: 1 of C(4,2) = 6; rows 2, cols 1 -> expected 1/3, max 3/2:
        // (1 - 1/3) / (3/2 - 1/3) = 4/7
        assertEquals(4.0 / 7, Clusters.ari(new int[] {0, 0, 1, 1}, new int[] {0, 0, 1, 2}),
                1e-12);
        assertEquals(1.0, Clusters.ari(new int[] {0, 0, 1, 1}, new int[] {1, 1, 0, 0}), 1e-12);
        // independent labellings of four rows: (0 - 1/3) / (1 - 1/3) = -1/2
        assertEquals(-0.5, Clusters.ari(new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1}), 1e-12);
    }

    @Test
    void normalizedMutualInformationByHand() {
        // the second refines the first: MI = H(a) = ln 2, H(b) = 1.5 ln 2, NMI = 1 / 1.25
        assertEquals(0.8, Clusters.nmi(new int[] {0, 0, 1, 1}, new int[] {0, 0, 1, 2}), 1e-12);
        assertEquals(0.0, Clusters.nmi(new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1}), 1e-12);
        assertEquals(1.0, Clusters.nmi(new int[] {2, 2, 0, 1}, new int[] {0, 0, 1, 2}), 1e-12);
    }

    @Test
    void silhouetteByHand() {
        // 0, 1 | 10, 11: s = 1 - 1/10.5 for the outer points, 1 - 1/9.5 for the inner ones
        float[] x = {0, 1, 10, 11};
        double expected = (2 * (1 - 1 / 10.5) + 2 * (1 - 1 / 9.5)) / 4;
        assertEquals(expected, Clusters.silhouette(x, 4, 1, new int[] {0, 0, 1, 1}), 1e-12);
        // a row alone in its cluster scores 0 and still counts: 0, 1 | 10 -> (s0 + s1 + 0) / 3
        float[] y = {0, 1, 10};
        assertEquals((1 - 1 / 10.0 + 1 - 1 / 9.0) / 3, Clusters.silhouette(y, 3, 1,
                new int[] {0, 0, 1}), 1e-12);
    }

    @Test
    void kMeansFindsSeparatedBlobs() {
        SplittableRandom rng = new SplittableRandom(1);
        int n = 300;
        float[] x = new float[n * 2];
        int[] truth = new int[n];
        double[][] centres = {{0, 0}, {10, 0}, {0, 10}};
        for (int i = 0; i < n; i++) {
            truth[i] = i % 3;
            x[2 * i] = (float) (centres[truth[i]][0] + rng.nextDouble() - 0.5);
            x[2 * i + 1] = (float) (centres[truth[i]][1] + rng.nextDouble() - 0.5);
        }
        Clusters.KMeans km = Clusters.kMeans(x, n, 2, 3, 3, 7);
        assertEquals(1.0, Clusters.ari(truth, km.assignment()), 1e-12);
        assertTrue(km.inertia() < n * 0.2, "inertia " + km.inertia());
        // the same seed, the same clustering
        assertArrayEquals(km.assignment(), Clusters.kMeans(x, n, 2, 3, 3, 7).assignment());
    }
}
