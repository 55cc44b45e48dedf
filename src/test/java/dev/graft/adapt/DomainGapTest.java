package dev.graft.adapt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DomainGapTest {

    static float[] gaussian(int n, int d, double offset, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (CodeMethodsTest.gaussian(rng) + (i % d == 0 ? offset : 0));
        }
        return v;
    }

    @Test
    void proxyADistanceIsNearZeroForOneDistributionAndTwoForSeparatedOnes() {
        double same = DomainGap.proxyADistance(gaussian(400, 8, 0, 1), gaussian(400, 8, 0, 2),
                8, 3);
        double apart = DomainGap.proxyADistance(gaussian(400, 8, 0, 1), gaussian(400, 8, 20, 2),
                8, 3);
        assertTrue(same < 0.4, "same distribution: " + same);
        assertEquals(2.0, apart, 1e-9);
    }
}
