package dev.graft.explore;

/**
 * Exact t-SNE (van der Maaten and Hinton 2008) into two dimensions, with scikit-learn's
 * defaults ({@code TSNE(method="exact")}): perplexity 30, affinities from squared Euclidean
 * distances calibrated by binary search, early exaggeration 12 for the first 250 of 1,000
 * iterations, momentum 0.5 then 0.8, learning rate {@code max(n / 12 / 4, 50)} ("auto"),
 * delta-bar-delta gains (+0.2, x0.8, at least 0.01), started from the first two principal
 * components scaled to a standard deviation of 1e-4. Quadratic in the rows: meant for a sample
 * of a few thousand.
 */
public final class Tsne {

    public static final double PERPLEXITY = 30;
    static final double EXAGGERATION = 12;
    static final int ITERATIONS = 1000;
    static final int EXPLORATION = 250;
    private static final double EPS = Math.ulp(1.0);

    private Tsne() {}

    /** The 2-D embedding of {@code n} rows of {@code d}, {@code [n][2]}. */
    public static double[][] embed(float[] rows, int n, int d) {
        if (n < 3) {
            throw new IllegalArgumentException("t-SNE needs at least 3 rows, got " + n);
        }
        double perplexity = Math.min(PERPLEXITY, (n - 1) / 3.0);
        double[][] p = jointProbabilities(rows, n, d, perplexity);
        double[][] y = Pca.fit(rows, n, d, Math.min(2, d)).project(rows, n);
        if (y[0].length < 2) {
            double[][] padded = new double[n][2];
            for (int i = 0; i < n; i++) {
                padded[i][0] = y[i][0];
            }
            y = padded;
        }
        double mean0 = 0;
        for (double[] r : y) {
            mean0 += r[0] / n;
        }
        double sd = 0;
        for (double[] r : y) {
            sd += (r[0] - mean0) * (r[0] - mean0) / n;
        }
        sd = Math.sqrt(sd);
        for (double[] r : y) {
            r[0] = sd > 0 ? r[0] / sd * 1e-4 : 0;
            r[1] = sd > 0 ? r[1] / sd * 1e-4 : 0;
        }
        double rate = Math.max(n / EXAGGERATION / 4, 50);
        double[][] update = new double[n][2];
        double[][] gains = new double[n][2];
        for (double[] g : gains) {
            g[0] = 1;
            g[1] = 1;
        }
        double[][] grad = new double[n][2];
        for (int it = 0; it < ITERATIONS; it++) {
            boolean early = it < EXPLORATION;
            double exaggeration = early ? EXAGGERATION : 1;
            double momentum = early ? 0.5 : 0.8;
            // q_ij = w_ij / sum w, w_ij = 1 / (1 + |y_i - y_j|^2)
            double sumW = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double dx = y[i][0] - y[j][0];
                    double dy = y[i][1] - y[j][1];
                    sumW += 2 / (1 + dx * dx + dy * dy);
                }
            }
            for (int i = 0; i < n; i++) {
                double gx = 0;
                double gy = 0;
                for (int j = 0; j < n; j++) {
                    if (j == i) {
                        continue;
                    }
                    double dx = y[i][0] - y[j][0];
                    double dy = y[i][1] - y[j][1];
                    double wij = 1 / (1 + dx * dx + dy * dy);
                    double q = Math.max(wij / sumW, EPS);
                    double f = (exaggeration * p[i][j] - q) * wij;
                    gx += f * dx;
                    gy += f * dy;
                }
                grad[i][0] = 4 * gx;
                grad[i][1] = 4 * gy;
            }
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < 2; c++) {
                    boolean same = update[i][c] * grad[i][c] < 0;
                    gains[i][c] = Math.max(0.01, same ? gains[i][c] + 0.2 : gains[i][c] * 0.8);
                    update[i][c] = momentum * update[i][c] - rate * gains[i][c] * grad[i][c];
                    y[i][c] += update[i][c];
                }
            }
        }
        return y;
    }

    /**
     * Symmetric affinities {@code (p_j|i + p_i|j) / 2n}, each conditional distribution's
     * bandwidth found by binary search so its entropy is {@code log(perplexity)} (scikit-learn's
     * {@code _binary_search_perplexity}: 100 steps, tolerance 1e-5).
     */
    static double[][] jointProbabilities(float[] rows, int n, int d, double perplexity) {
        double[][] dist = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                for (int x = 0; x < d; x++) {
                    double v = rows[i * d + x] - rows[j * d + x];
                    s += v * v;
                }
                dist[i][j] = s;
                dist[j][i] = s;
            }
        }
        double[][] cond = conditional(dist, perplexity);
        double[][] p = new double[n][n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                p[i][j] = cond[i][j] + cond[j][i];
                sum += p[i][j];
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                p[i][j] = i == j ? 0 : Math.max(p[i][j] / sum, EPS);
            }
        }
        return p;
    }

    /** Each row's {@code p_j|i} at the bandwidth giving entropy {@code log(perplexity)}. */
    static double[][] conditional(double[][] dist, double perplexity) {
        int n = dist.length;
        double target = Math.log(perplexity);
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            double beta = 1;
            double lo = Double.NEGATIVE_INFINITY;
            double hi = Double.POSITIVE_INFINITY;
            double[] row = out[i];
            for (int step = 0; step < 100; step++) {
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    row[j] = j == i ? 0 : Math.exp(-dist[i][j] * beta);
                    sum += row[j];
                }
                if (sum == 0) {
                    sum = EPS;
                }
                double weighted = 0;
                for (int j = 0; j < n; j++) {
                    row[j] /= sum;
                    weighted += dist[i][j] * row[j];
                }
                double entropy = Math.log(sum) + beta * weighted;
                double diff = entropy - target;
                if (Math.abs(diff) <= 1e-5) {
                    break;
                }
                if (diff > 0) {
                    lo = beta;
                    beta = hi == Double.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = lo == Double.NEGATIVE_INFINITY ? beta / 2 : (beta + lo) / 2;
                }
            }
        }
        return out;
    }
}
