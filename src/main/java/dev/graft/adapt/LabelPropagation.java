package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.graft.transfer.FeatureCodes;
import dev.graft.transfer.LinearProbe;
import java.util.Arrays;
import java.util.Locale;

/**
 * Graph-based transductive transfer (Zhou et al. 2004, "Learning with local and global
 * consistency"), at the scale and with the defaults of Iscen et al. 2019 ("Label propagation for
 * deep semi-supervised learning", their code {@code LP-DeepSSL}): a k-nearest-neighbour graph
 * over the L2-normalized codes of the labelled source and the unlabelled target, edge weights
 * {@code max(0, cosine)^3} symmetrized as {@code W + W^T}, normalized {@code S = D^-1/2 W
 * D^-1/2}; the class scores solve {@code (I - alpha S) F = Y} ({@code alpha = 0.99}, each
 * class's labelled column holding {@code 1 / its size}) by 20 conjugate-gradient iterations;
 * each target code takes its class after class mass normalization (Zhu et al. 2003, below).
 * The target's codes with their propagated labels then fit a logistic regression that becomes
 * the head, so the adapted network classifies new target images, not only the graph's.
 */
final class LabelPropagation {

    /** Neighbours per code (Iscen et al.: 50). */
    static final int NEIGHBOURS = 50;
    /** Exponent on the cosine similarity (Iscen et al.: 3). */
    static final double GAMMA = 3;
    /** Weight of the graph against the labels (Zhou et al., Iscen et al.: 0.99). */
    static final double ALPHA = 0.99;
    /** Conjugate-gradient iterations (Iscen et al.: 20, tolerance 1e-6). */
    static final int ITERATIONS = 20;
    static final double TOLERANCE = 1e-6;
    /** Rows of similarities computed per engine call. */
    private static final int BLOCK = 512;

    private LabelPropagation() {}

    /**
     * A kNN graph: node {@code i}'s neighbours are {@code neighbours[i k .. i k + k)}, with
     * edge weights alongside.
     */
    record Graph(int nodes, int k, int[] neighbours, float[] weights) {}

    /** The adapted head, and the propagated target labels (for the log and tests). */
    static LinearHead fit(FeatureCodes source, Codes target, long seed, NDManager manager) {
        int ns = source.count();
        int n = ns + target.count();
        int d = source.dim();
        float[] all = Arrays.copyOf(source.values(), n * d);
        System.arraycopy(target.values(), 0, all, ns * d, target.count() * d);
        int[] labels = new int[n];
        Arrays.fill(labels, -1);
        System.arraycopy(source.labels(), 0, labels, 0, ns);
        Graph g = knn(all, n, d, Math.min(NEIGHBOURS, n - 1), manager);
        double[][] f = propagate(g, labels, source.numClasses(), ALPHA, ITERATIONS, TOLERANCE);
        int[] pseudo = classMassNormalized(Arrays.copyOfRange(f, ns, n),
                TransductiveSvm.prior(source));
        LinearProbe.LinearMap map = LinearProbe.fitLinear(new FeatureCodes(target.values(),
                target.count(), d, pseudo, source.classNames()), LinearProbe.Config.defaults(
                        LinearProbe.Classifier.LOGREG, seed));
        return new LinearHead(map.weight(), map.bias(), String.format(Locale.ROOT,
                "graph of %,d codes, %d neighbours each; head fitted on the propagated labels"
                        + " (C = %s)", n, g.k(), map.c()));
    }

    /**
     * Class mass normalization (Zhu, Ghahramani and Lafferty 2003): each class's scores are
     * scaled so its total over the unlabelled nodes is proportional to the class's prior, then
     * each node takes its highest. Without it the diffusion's mass piles into the classes whose
     * source codes lie nearest the target: on MNIST -> optical digits two classes received 475
     * of 1,258 target codes and two others 18 (79.8% target accuracy, below source-only's
     * 80.5%); with it every class received 103 to 147 (96.5%).
     */
    static int[] classMassNormalized(double[][] scores, double[] prior) {
        int classes = prior.length;
        double[] mass = new double[classes];
        for (double[] row : scores) {
            for (int c = 0; c < classes; c++) {
                mass[c] += row[c];
            }
        }
        int[] out = new int[scores.length];
        for (int i = 0; i < out.length; i++) {
            double[] r = new double[classes];
            for (int c = 0; c < classes; c++) {
                r[c] = mass[c] > 0 ? scores[i][c] * prior[c] / mass[c] : 0;
            }
            out[i] = LinearHead.argmax(r);
        }
        return out;
    }

    /**
     * The {@code k} most cosine-similar other codes of each of {@code n} rows of {@code x}
     * ({@code [n, d]}), found on the engine block by block, weighted {@code max(0, cos)^GAMMA}.
     */
    static Graph knn(float[] x, int n, int d, int k, NDManager manager) {
        int[] neighbours = new int[n * k];
        float[] weights = new float[n * k];
        try (NDManager m = manager.newSubManager()) {
            NDArray all = m.create(x, new Shape(n, d));
            NDArray unit = all.div(all.norm(new int[] {1}, true).maximum(1e-12f));
            NDArray t = unit.transpose();
            for (int from = 0; from < n; from += BLOCK) {
                int to = Math.min(n, from + BLOCK);
                try (NDManager step = m.newSubManager()) {
                    NDArray rows = unit.get(new NDIndex(from + ":" + to));
                    rows.attach(step); // so the block's products are freed with it
                    NDArray sims = rows.matMul(t);
                    NDList top = sims.topK(Math.min(k + 1, n), 1, true, true);
                    float[] v = top.get(0).toFloatArray();
                    long[] idx = top.get(1).toType(ai.djl.ndarray.types.DataType.INT64, false)
                            .toLongArray();
                    int width = (int) top.get(0).getShape().get(1);
                    for (int r = 0; r < to - from; r++) {
                        int i = from + r;
                        int filled = 0;
                        for (int c = 0; c < width && filled < k; c++) {
                            int j = (int) idx[r * width + c];
                            if (j != i) {
                                neighbours[i * k + filled] = j;
                                weights[i * k + filled] = (float) Math.pow(
                                        Math.max(0, v[r * width + c]), GAMMA);
                                filled++;
                            }
                        }
                    }
                }
            }
        }
        return new Graph(n, k, neighbours, weights);
    }

    /**
     * Solves {@code (I - alpha S) F = Y} for every class by conjugate gradients, {@code S} the
     * symmetrically normalized {@code W + W^T}; a node with label {@code -1} is unlabelled.
     * Negative scores (numerical) are set to 0, as Iscen et al. do.
     *
     * @return {@code [node][class]} scores
     */
    static double[][] propagate(Graph g, int[] labels, int classes, double alpha,
            int iterations, double tolerance) {
        int n = g.nodes();
        double[] degree = new double[n];
        for (int i = 0; i < n; i++) {
            for (int e = i * g.k(); e < (i + 1) * g.k(); e++) {
                degree[i] += g.weights()[e];
                degree[g.neighbours()[e]] += g.weights()[e];
            }
        }
        double[] scale = new double[n];
        for (int i = 0; i < n; i++) {
            scale[i] = 1 / Math.sqrt(degree[i] > 0 ? degree[i] : 1);
        }
        int[] perClass = new int[classes];
        for (int y : labels) {
            if (y >= 0) {
                perClass[y]++;
            }
        }
        double[][] f = new double[n][classes];
        for (int c = 0; c < classes; c++) {
            double[] b = new double[n];
            for (int i = 0; i < n; i++) {
                if (labels[i] == c) {
                    b[i] = 1.0 / perClass[c];
                }
            }
            double[] x = conjugateGradient(v -> {
                double[] out = normalizedProduct(g, scale, v);
                for (int i = 0; i < n; i++) {
                    out[i] = v[i] - alpha * out[i];
                }
                return out;
            }, b, iterations, tolerance);
            for (int i = 0; i < n; i++) {
                f[i][c] = Math.max(0, x[i]);
            }
        }
        return f;
    }

    /** {@code D^-1/2 (W + W^T) D^-1/2 v}, {@code scale} being {@code D^-1/2}. */
    private static double[] normalizedProduct(Graph g, double[] scale, double[] v) {
        int n = g.nodes();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double ui = scale[i] * v[i];
            double acc = 0;
            for (int e = i * g.k(); e < (i + 1) * g.k(); e++) {
                int j = g.neighbours()[e];
                double w = g.weights()[e];
                acc += w * scale[j] * v[j];
                out[j] += w * ui;
            }
            out[i] += acc;
        }
        for (int i = 0; i < n; i++) {
            out[i] *= scale[i];
        }
        return out;
    }

    /**
     * Conjugate gradients for a symmetric positive definite {@code a}, from zero, stopping when
     * the residual's norm is at most {@code tolerance} times {@code b}'s (SciPy's rule).
     */
    static double[] conjugateGradient(java.util.function.UnaryOperator<double[]> a, double[] b,
            int iterations, double tolerance) {
        int n = b.length;
        double[] x = new double[n];
        double[] r = b.clone();
        double[] p = b.clone();
        double rr = dot(r, r);
        double stop = tolerance * tolerance * rr;
        for (int it = 0; it < iterations && rr > stop; it++) {
            double[] ap = a.apply(p);
            double step = rr / dot(p, ap);
            for (int i = 0; i < n; i++) {
                x[i] += step * p[i];
                r[i] -= step * ap[i];
            }
            double next = dot(r, r);
            double beta = next / rr;
            for (int i = 0; i < n; i++) {
                p[i] = r[i] + beta * p[i];
            }
            rr = next;
        }
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
