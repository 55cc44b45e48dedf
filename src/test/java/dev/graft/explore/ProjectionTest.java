package dev.graft.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProjectionTest {

    @Test
    void principalAxesFollowTheSpread() {
        // points on the line y = 2x (plus a little noise in z): the first axis is (1, 2, 0) / sqrt 5
        int n = 50;
        float[] rows = new float[n * 3];
        for (int i = 0; i < n; i++) {
            rows[3 * i] = i;
            rows[3 * i + 1] = 2 * i;
            rows[3 * i + 2] = i % 2 == 0 ? 0.01f : -0.01f;
        }
        Pca pca = Pca.fit(rows, n, 3, 2);
        double sign = Math.signum(pca.axes()[0][0]);
        assertEquals(1 / Math.sqrt(5), sign * pca.axes()[0][0], 1e-9);
        assertEquals(2 / Math.sqrt(5), sign * pca.axes()[0][1], 1e-9);
        assertEquals(24.5, pca.mean()[0], 1e-9);
        assertTrue(pca.explained() > 0.999999, "explained " + pca.explained());
        // the second row sits one step along the line from the first: sqrt(5) apart
        double[][] p = pca.project(rows, n);
        assertEquals(Math.sqrt(5), Math.abs(p[1][0] - p[0][0]), 1e-6);
    }

    @Test
    void tsneCalibratesEachRowToThePerplexity() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 60;
        double[][] dist = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                dist[i][j] = dist[j][i] = 10 * rng.nextDouble();
            }
        }
        double[][] p = Tsne.conditional(dist, 10);
        for (double[] row : p) {
            double h = 0;
            double sum = 0;
            for (double v : row) {
                sum += v;
                h -= v > 0 ? v * Math.log(v) : 0;
            }
            assertEquals(1.0, sum, 1e-9);
            assertEquals(Math.log(10), h, 1e-4);
        }
    }

    @Test
    void tsneKeepsSeparatedGroupsApart() {
        // three groups in 10 dimensions: in the embedding each point's nearest neighbour is
        // of its own group
        SplittableRandom rng = new SplittableRandom(5);
        int n = 90;
        int d = 10;
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i * d + j] = (float) ((j == i % 3 ? 20 : 0) + rng.nextDouble());
            }
        }
        double[][] y = Tsne.embed(x, n, d);
        for (int i = 0; i < n; i++) {
            int nearest = -1;
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double dx = y[i][0] - y[j][0];
                double dy = y[i][1] - y[j][1];
                if (j != i && dx * dx + dy * dy < best) {
                    best = dx * dx + dy * dy;
                    nearest = j;
                }
            }
            assertEquals(i % 3, nearest % 3, "row " + i);
        }
    }
}
