package dev.graft.adapt;

/**
 * A classifier of codes that is one linear map, {@code logits = weight x + bias}, so it can
 * become the network's head ({@link dev.graft.model.StagedNet#setLinearHead}).
 *
 * @param weight row-major {@code [classes, dim]}
 * @param bias {@code [classes]}
 * @param summary what the fit did, for the log
 */
record LinearHead(float[] weight, float[] bias, String summary) {

    int classes() {
        return bias.length;
    }

    /** The logits of one code row of {@code codes}. */
    double[] logits(float[] codes, int row, int dim) {
        double[] out = new double[bias.length];
        for (int k = 0; k < out.length; k++) {
            double s = bias[k];
            for (int j = 0; j < dim; j++) {
                s += weight[k * dim + j] * codes[row * dim + j];
            }
            out[k] = s;
        }
        return out;
    }

    /** The predicted class of every row of {@code codes}. */
    int[] predict(Codes codes) {
        int[] out = new int[codes.count()];
        for (int i = 0; i < out.length; i++) {
            out[i] = argmax(logits(codes.values(), i, codes.dim()));
        }
        return out;
    }

    /**
     * This head with its logits divided by the temperature that minimizes the cross-entropy of
     * {@code heldOut}, labelled codes it was not fitted on (temperature scaling, Guo et al.
     * 2017; searched in [0.01, 100], where codes it separates perfectly leave it): the same
     * predictions, with probabilities on the scale of a head trained by cross-entropy. An
     * SVM's margins are otherwise on a scale of their own, and the validators that read
     * probabilities (entropy, information maximization, SND) would rank the scale rather than
     * the adaptation: on MNIST -> optical digits the SVM head's IM score was 0.87 against
     * a trained head's 1.6-2.2, at 97.6% accuracy.
     */
    LinearHead calibrated(dev.graft.transfer.FeatureCodes heldOut) {
        int n = heldOut.count();
        double[][] z = new double[n][];
        for (int i = 0; i < n; i++) {
            z[i] = logits(heldOut.values(), i, heldOut.dim());
        }
        // golden-section search on log T, the cross-entropy being unimodal in it
        double lo = Math.log(1e-2);
        double hi = Math.log(1e2);
        double ratio = (Math.sqrt(5) - 1) / 2;
        double a = hi - ratio * (hi - lo);
        double b = lo + ratio * (hi - lo);
        double fa = crossEntropy(z, heldOut.labels(), Math.exp(a));
        double fb = crossEntropy(z, heldOut.labels(), Math.exp(b));
        for (int it = 0; it < 60; it++) {
            if (fa <= fb) {
                hi = b;
                b = a;
                fb = fa;
                a = hi - ratio * (hi - lo);
                fa = crossEntropy(z, heldOut.labels(), Math.exp(a));
            } else {
                lo = a;
                a = b;
                fa = fb;
                b = lo + ratio * (hi - lo);
                fb = crossEntropy(z, heldOut.labels(), Math.exp(b));
            }
        }
        double t = Math.exp((lo + hi) / 2);
        float[] w = new float[weight.length];
        float[] c = new float[bias.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (weight[i] / t);
        }
        for (int k = 0; k < c.length; k++) {
            c[k] = (float) (bias[k] / t);
        }
        return new LinearHead(w, c, String.format(java.util.Locale.ROOT,
                "%s; temperature %.3g on the source codes", summary, t));
    }

    /** Mean cross-entropy of {@code softmax(z / t)} against {@code labels}. */
    static double crossEntropy(double[][] z, int[] labels, double t) {
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z[i]) {
                max = Math.max(max, v / t);
            }
            double s = 0;
            for (double v : z[i]) {
                s += Math.exp(v / t - max);
            }
            sum += max + Math.log(s) - z[i][labels[i]] / t;
        }
        return z.length == 0 ? 0 : sum / z.length;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int k = 1; k < v.length; k++) {
            if (v[k] > v[best]) {
                best = k;
            }
        }
        return best;
    }
}
