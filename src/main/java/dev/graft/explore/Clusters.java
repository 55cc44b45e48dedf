package dev.graft.explore;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * k-means on codes and the measures of a clustering: silhouette (without labels), normalized
 * mutual information and adjusted Rand index (against labels), with scikit-learn's definitions
 * ({@code KMeans}, {@code silhouette_score}, {@code normalized_mutual_info_score} with the
 * arithmetic mean, {@code adjusted_rand_score}).
 */
public final class Clusters {

    /** Lloyd iterations per run, at most (scikit-learn: 300). */
    static final int MAX_ITERATIONS = 300;

    private Clusters() {}

    /**
     * A clustering.
     *
     * @param assignment each row's cluster
     * @param inertia the sum of squared distances to the assigned centres
     */
    public record KMeans(int k, int[] assignment, double[][] centres, double inertia,
            int iterations) {}

    /**
     * The best of {@code restarts} k-means runs (lowest inertia), each seeded by k-means++
     * (Arthur and Vassilvitskii 2007) and iterated until no row changes cluster.
     */
    public static KMeans kMeans(float[] rows, int n, int d, int k, int restarts, long seed) {
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k = " + k + " clusters of " + n + " codes");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        KMeans best = null;
        for (int r = 0; r < restarts; r++) {
            KMeans run = lloyd(rows, n, d, plusPlus(rows, n, d, k, rng.split()));
            if (best == null || run.inertia() < best.inertia()) {
                best = run;
            }
        }
        return best;
    }

    private static double[][] plusPlus(float[] rows, int n, int d, int k, SplittableRandom rng) {
        double[][] centres = new double[k][];
        centres[0] = row(rows, rng.nextInt(n), d);
        double[] near = new double[n];
        Arrays.fill(near, Double.POSITIVE_INFINITY);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                near[i] = Math.min(near[i], squared(rows, i, centres[c - 1], d));
                total += near[i];
            }
            double pick = rng.nextDouble() * total;
            int chosen = n - 1;
            for (int i = 0; i < n; i++) {
                pick -= near[i];
                if (pick < 0) {
                    chosen = i;
                    break;
                }
            }
            centres[c] = row(rows, chosen, d);
        }
        return centres;
    }

    private static KMeans lloyd(float[] rows, int n, int d, double[][] centres) {
        int k = centres.length;
        int[] assignment = new int[n];
        Arrays.fill(assignment, -1);
        double inertia = 0;
        int it = 0;
        while (it < MAX_ITERATIONS) {
            it++;
            boolean changed = false;
            inertia = 0;
            for (int i = 0; i < n; i++) {
                int bestC = 0;
                double bestD = Double.POSITIVE_INFINITY;
                for (int c = 0; c < k; c++) {
                    double dist = squared(rows, i, centres[c], d);
                    if (dist < bestD) {
                        bestD = dist;
                        bestC = c;
                    }
                }
                inertia += bestD;
                if (assignment[i] != bestC) {
                    assignment[i] = bestC;
                    changed = true;
                }
            }
            if (!changed) {
                break;
            }
            double[][] sums = new double[k][d];
            int[] counts = new int[k];
            for (int i = 0; i < n; i++) {
                counts[assignment[i]]++;
                for (int j = 0; j < d; j++) {
                    sums[assignment[i]][j] += rows[i * d + j];
                }
            }
            for (int c = 0; c < k; c++) {
                if (counts[c] > 0) { // an emptied cluster keeps its centre
                    for (int j = 0; j < d; j++) {
                        centres[c][j] = sums[c][j] / counts[c];
                    }
                }
            }
        }
        return new KMeans(k, assignment, centres, inertia, it);
    }

    /**
     * Mean silhouette {@code (b - a) / max(a, b)} over the rows, {@code a} the mean distance to
     * the rest of the row's cluster, {@code b} the smallest mean distance to another cluster; a
     * row alone in its cluster scores 0.
     */
    public static double silhouette(float[] rows, int n, int d, int[] clusters) {
        int k = Arrays.stream(clusters).max().orElse(0) + 1;
        int[] size = new int[k];
        for (int c : clusters) {
            size[c]++;
        }
        double total = 0;
        double[] sum = new double[k];
        for (int i = 0; i < n; i++) {
            Arrays.fill(sum, 0);
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    sum[clusters[j]] += Math.sqrt(squared(rows, i, rows, j, d));
                }
            }
            int own = clusters[i];
            if (size[own] <= 1) {
                continue;
            }
            double a = sum[own] / (size[own] - 1);
            double b = Double.POSITIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                if (c != own && size[c] > 0) {
                    b = Math.min(b, sum[c] / size[c]);
                }
            }
            if (Double.isFinite(b)) {
                total += (b - a) / Math.max(a, b);
            }
        }
        return total / n;
    }

    /** Normalized mutual information, the arithmetic mean of the entropies normalizing. */
    public static double nmi(int[] a, int[] b) {
        long[][] t = contingency(a, b);
        int n = a.length;
        double mi = 0;
        double[] ra = rowSums(t);
        double[] cb = colSums(t);
        for (int i = 0; i < t.length; i++) {
            for (int j = 0; j < t[i].length; j++) {
                if (t[i][j] > 0) {
                    mi += (double) t[i][j] / n * Math.log((double) t[i][j] * n / (ra[i] * cb[j]));
                }
            }
        }
        double ha = entropy(ra, n);
        double hb = entropy(cb, n);
        if (ha == 0 && hb == 0) {
            return 1; // both a single cluster: identical
        }
        return Math.max(0, mi) / ((ha + hb) / 2);
    }

    /** Adjusted Rand index (Hubert and Arabie 1985). */
    public static double ari(int[] a, int[] b) {
        long[][] t = contingency(a, b);
        double pairs = 0;
        for (long[] r : t) {
            for (long v : r) {
                pairs += choose2(v);
            }
        }
        double rows = Arrays.stream(rowSums(t)).map(Clusters::choose2).sum();
        double cols = Arrays.stream(colSums(t)).map(Clusters::choose2).sum();
        double expected = rows * cols / choose2(a.length);
        double max = (rows + cols) / 2;
        return max == expected ? 1 : (pairs - expected) / (max - expected);
    }

    private static double choose2(double v) {
        return v * (v - 1) / 2;
    }

    private static long[][] contingency(int[] a, int[] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("two labellings of " + a.length + " and "
                    + b.length + " rows");
        }
        int ka = Arrays.stream(a).max().orElse(0) + 1;
        int kb = Arrays.stream(b).max().orElse(0) + 1;
        long[][] t = new long[ka][kb];
        for (int i = 0; i < a.length; i++) {
            t[a[i]][b[i]]++;
        }
        return t;
    }

    private static double[] rowSums(long[][] t) {
        double[] s = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            for (long v : t[i]) {
                s[i] += v;
            }
        }
        return s;
    }

    private static double[] colSums(long[][] t) {
        double[] s = new double[t[0].length];
        for (long[] r : t) {
            for (int j = 0; j < r.length; j++) {
                s[j] += r[j];
            }
        }
        return s;
    }

    private static double entropy(double[] counts, int n) {
        double h = 0;
        for (double c : counts) {
            if (c > 0) {
                h -= c / n * Math.log(c / n);
            }
        }
        return h;
    }

    private static double[] row(float[] rows, int i, int d) {
        double[] r = new double[d];
        for (int j = 0; j < d; j++) {
            r[j] = rows[i * d + j];
        }
        return r;
    }

    private static double squared(float[] rows, int i, double[] c, int d) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            double v = rows[i * d + j] - c[j];
            s += v * v;
        }
        return s;
    }

    private static double squared(float[] a, int i, float[] b, int j, int d) {
        double s = 0;
        for (int x = 0; x < d; x++) {
            double v = a[i * d + x] - b[j * d + x];
            s += v * v;
        }
        return s;
    }
}
