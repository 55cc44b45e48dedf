package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.UnlabeledDataset;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.train.Objective;
import dev.graft.train.StepHook;
import java.util.List;

/**
 * SHOT (Liang et al. 2020), source-free: the network trains on target examples alone with its
 * head frozen, minimizing information maximization ({@link AdaptLosses#informationMaximization})
 * plus {@link #BETA} times cross-entropy against pseudo-labels from clustering the target's
 * features, re-clustered before every epoch ({@link #cluster}).
 */
final class ShotObjective implements Objective, StepHook {

    /** Weight of the pseudo-label term (SHOT's {@code cls_par}). */
    static final double BETA = 0.3;

    private final UnlabeledDataset target;
    private final String featureStage;
    private final long stepsPerEpoch;
    private final int batch;
    private int[] pseudo;

    ShotObjective(StagedNet net, UnlabeledDataset target, long stepsPerEpoch, int batch,
            NDManager manager) {
        this.target = target;
        this.featureStage = net.stageNames().get(net.stageNames().size() - 1);
        this.stepsPerEpoch = stepsPerEpoch;
        this.batch = batch;
        this.pseudo = labels(net, manager);
    }

    /** The pseudo-labels, by target example. */
    int[] pseudoLabels() {
        return pseudo.clone();
    }

    @Override
    public NDArray compute(Step step) {
        int[] idx = step.indices();
        long[] y = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            y[i] = pseudo[idx[i]];
        }
        NDArray labels = step.manager().create(y);
        NDArray logp = step.logits().logSoftmax(1);
        NDArray ce = logp.mul(labels.oneHot((int) step.logits().getShape().get(1)))
                .sum(new int[] {1}).neg().mean();
        return AdaptLosses.informationMaximization(step.logits()).add(ce.mul((float) BETA));
    }

    @Override
    public void afterStep(StagedNet net, int epoch, long globalStep, NDManager step) {
        if (globalStep % stepsPerEpoch == 0) {
            pseudo = labels(net, step);
        }
    }

    /** Clusters the target's features as they are now. */
    private int[] labels(StagedNet net, NDManager manager) {
        int n = target.size();
        float[][] features = new float[n][];
        float[][] probs = new float[n][];
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            try (NDManager m = manager.newSubManager()) {
                ParameterStore ps = new ParameterStore(m, false);
                NDArray x = target.range(from, to, m);
                List<NDArray> all = net.forwardAll(ps, x, Pooling.AVERAGE);
                NDArray f = all.get(net.stageNames().indexOf(featureStage));
                NDArray p = all.get(all.size() - 1).softmax(1);
                int d = (int) f.getShape().get(1);
                int k = (int) p.getShape().get(1);
                float[] fv = f.toFloatArray();
                float[] pv = p.toFloatArray();
                for (int i = 0; i < to - from; i++) {
                    features[from + i] = java.util.Arrays.copyOfRange(fv, i * d, (i + 1) * d);
                    probs[from + i] = java.util.Arrays.copyOfRange(pv, i * k, (i + 1) * k);
                }
            }
        }
        return cluster(features, probs);
    }

    /**
     * SHOT's {@code obtain_label}: features get a constant 1 appended and are scaled to unit
     * length; class centroids are the features weighted by the predicted probabilities; each
     * example takes its nearest centroid by cosine distance; then centroids of those hard
     * labels, and the nearest again. Classes no example predicts get no centroid.
     *
     * @param features {@code [n][d]}
     * @param probs {@code [n][k]} predicted probabilities
     */
    static int[] cluster(float[][] features, float[][] probs) {
        int n = features.length;
        int k = probs[0].length;
        int d = features[0].length + 1;
        double[][] f = new double[n][d];
        for (int i = 0; i < n; i++) {
            double norm = 1;
            for (float v : features[i]) {
                norm += (double) v * v;
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d - 1; j++) {
                f[i][j] = features[i][j] / norm;
            }
            f[i][d - 1] = 1 / norm;
        }
        boolean[] present = new boolean[k];
        for (float[] p : probs) {
            present[argMax(p)] = true;
        }
        double[][] weights = new double[n][k];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < k; c++) {
                weights[i][c] = probs[i][c];
            }
        }
        int[] labels = nearest(f, centroids(f, weights, k), present);
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(weights[i], 0);
            weights[i][labels[i]] = 1;
        }
        return nearest(f, centroids(f, weights, k), present);
    }

    private static double[][] centroids(double[][] f, double[][] w, int k) {
        int d = f[0].length;
        double[][] c = new double[k][d];
        double[] mass = new double[k];
        for (int i = 0; i < f.length; i++) {
            for (int j = 0; j < k; j++) {
                mass[j] += w[i][j];
                for (int e = 0; e < d; e++) {
                    c[j][e] += w[i][j] * f[i][e];
                }
            }
        }
        for (int j = 0; j < k; j++) {
            for (int e = 0; e < d; e++) {
                c[j][e] /= 1e-8 + mass[j];
            }
        }
        return c;
    }

    /** Each example's nearest present centroid by cosine distance. */
    private static int[] nearest(double[][] f, double[][] c, boolean[] present) {
        double[] cn = new double[c.length];
        for (int j = 0; j < c.length; j++) {
            double s = 0;
            for (double v : c[j]) {
                s += v * v;
            }
            cn[j] = Math.sqrt(s);
        }
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c.length; j++) {
                if (!present[j]) {
                    continue;
                }
                double dot = 0;
                for (int e = 0; e < f[i].length; e++) {
                    dot += f[i][e] * c[j][e];
                }
                double cos = dot / (cn[j] + 1e-12); // f[i] has unit length
                if (cos > best) {
                    best = cos;
                    out[i] = j;
                }
            }
        }
        return out;
    }

    private static int argMax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }
}
