package dev.graft.multitask;

import java.util.Arrays;

/**
 * The point of the convex hull of K vectors closest to the origin, from their Gram matrix:
 * Sener and Koltun 2018's {@code MinNormSolver.find_min_norm_element} (the projected-gradient
 * solver of their code, as LibMTL ports it): the best pair first, exact for two vectors; for
 * more, steps along the negative gradient projected onto the simplex, each followed by the
 * exact line search between the current and the new point, at most 250 of them, until the
 * weights move by less than 1e-5.
 */
final class MinNormSolver {

    static final int MAX_ITER = 250;
    static final double STOP_CRIT = 1e-5;

    private MinNormSolver() {}

    /** The weights (on the simplex) of the min-norm combination. */
    static double[] solve(double[][] gram) {
        int n = gram.length;
        double[] sol = new double[n];
        if (n == 1) {
            sol[0] = 1;
            return sol;
        }
        double dmin = 1e8;
        int bi = 0;
        int bj = 1;
        double bc = 0.5;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double[] cd = fromTwo(gram[i][i], gram[i][j], gram[j][j]);
                if (cd[1] < dmin) {
                    dmin = cd[1];
                    bi = i;
                    bj = j;
                    bc = cd[0];
                }
            }
        }
        sol[bi] = bc;
        sol[bj] = 1 - bc;
        if (n < 3) {
            return sol;
        }
        for (int iter = 0; iter < MAX_ITER; iter++) {
            double[] dir = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    dir[i] -= gram[i][j] * sol[j];
                }
            }
            double[] next = nextPoint(sol, dir);
            double v1v1 = quad(gram, sol, sol);
            double v1v2 = quad(gram, sol, next);
            double v2v2 = quad(gram, next, next);
            double nc = fromTwo(v1v1, v1v2, v2v2)[0];
            double change = 0;
            double[] updated = new double[n];
            for (int i = 0; i < n; i++) {
                updated[i] = nc * sol[i] + (1 - nc) * next[i];
                change += Math.abs(updated[i] - sol[i]);
            }
            if (change < STOP_CRIT) {
                return sol;
            }
            sol = updated;
        }
        return sol;
    }

    /**
     * The min-norm point {@code gamma v1 + (1 - gamma) v2} of two vectors from their dot
     * products: {@code {gamma, |point|^2}}, with the code's 0.999 and 0.001 at the ends.
     */
    static double[] fromTwo(double v1v1, double v1v2, double v2v2) {
        if (v1v2 >= v1v1) {
            return new double[] {0.999, v1v1};
        }
        if (v1v2 >= v2v2) {
            return new double[] {0.001, v2v2};
        }
        double gamma = -((v1v2 - v2v2) / (v1v1 + v2v2 - 2 * v1v2));
        return new double[] {gamma, v2v2 + gamma * (v1v2 - v2v2)};
    }

    private static double quad(double[][] gram, double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                s += a[i] * b[j] * gram[i][j];
            }
        }
        return s;
    }

    private static double[] nextPoint(double[] cur, double[] grad) {
        int n = cur.length;
        double mean = Arrays.stream(grad).sum() / n;
        double[] proj = new double[n];
        for (int i = 0; i < n; i++) {
            proj[i] = grad[i] - mean;
        }
        // the reference's order: 1 unless a weight heading down would reach 0 (then the first
        // such step, even past 1), then no further than a weight heading up reaching 1
        double down = Double.POSITIVE_INFINITY;
        double up = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double tm = proj[i] < 0 ? -cur[i] / proj[i] : proj[i] > 0 ? (1 - cur[i]) / proj[i]
                    : Double.NaN;
            if (tm > 1e-7) {
                if (proj[i] < 0) {
                    down = Math.min(down, tm);
                } else {
                    up = Math.min(up, tm);
                }
            }
        }
        double t = Math.min(Double.isInfinite(down) ? 1 : down, up);
        double[] next = new double[n];
        for (int i = 0; i < n; i++) {
            next[i] = proj[i] * t + cur[i];
        }
        return projectToSimplex(next);
    }

    static double[] projectToSimplex(double[] y) {
        int m = y.length;
        double[] sorted = y.clone();
        Arrays.sort(sorted);
        double tmpsum = 0;
        double tmaxF = (Arrays.stream(y).sum() - 1) / m;
        for (int i = 0; i < m - 1; i++) {
            tmpsum += sorted[m - 1 - i];
            double tmax = (tmpsum - 1) / (i + 1.0);
            if (tmax > sorted[m - 2 - i]) {
                tmaxF = tmax;
                break;
            }
        }
        double[] out = new double[m];
        for (int i = 0; i < m; i++) {
            out[i] = Math.max(y[i] - tmaxF, 0);
        }
        return out;
    }
}
