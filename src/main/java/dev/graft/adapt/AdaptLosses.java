package dev.graft.adapt;

import ai.djl.ndarray.NDArray;

/**
 * The alignment and target-side losses of the adaptation methods, each with its formula, in the
 * form Transfer-Learning-Library (TLL) and SHOT's reference code compute it; {@code
 * bench/adapt_losses.py} computes the same values in PyTorch for the tests.
 *
 * <p>Features are {@code [batch, d]}, logits {@code [batch, classes]}.
 */
public final class AdaptLosses {

    /** Bandwidth multipliers of DAN's kernels: {@code 2^k, k = -3..1} (TLL's examples). */
    static final double[] MMD_ALPHAS = {0.125, 0.25, 0.5, 1, 2};
    /** MCC's softmax temperature (Jin et al. 2020). */
    public static final double MCC_TEMPERATURE = 2.5;
    /** Guards logarithms of probabilities, as SHOT does. */
    static final float EPS = 1e-5f;

    private AdaptLosses() {}

    /**
     * Deep CORAL as TLL's {@code CorrelationAlignmentLoss}: {@code mean((mu_s - mu_t)^2) +
     * mean((C_s - C_t)^2)}, {@code C} the unbiased covariance {@code (f - mu)^T (f - mu) /
     * (n - 1)}. (Sun and Saenko's paper scales the covariance term by {@code 1 / (4 d^2)}
     * instead; TLL's mean over the {@code d^2} entries is the same up to the factor 4.)
     */
    public static NDArray coral(NDArray source, NDArray target) {
        NDArray ms = source.mean(new int[] {0}, true);
        NDArray mt = target.mean(new int[] {0}, true);
        NDArray cs = covariance(source, ms);
        NDArray ct = covariance(target, mt);
        return ms.sub(mt).square().mean().add(cs.sub(ct).square().mean());
    }

    private static NDArray covariance(NDArray f, NDArray mean) {
        NDArray c = f.sub(mean);
        return c.transpose().matMul(c).div(f.getShape().get(0) - 1);
    }

    /**
     * DAN's multi-kernel MMD between equal-sized batches, the unbiased quadratic estimate: with
     * {@code K} the sum of Gaussian kernels {@code exp(-|x - y|^2 / (2 alpha m))} over the joint
     * batch ({@code m} the mean squared distance of the batch, not differentiated, as TLL's
     * {@code GaussianKernel}), {@code sum_{i != j} (K_ss + K_tt) / (n (n - 1)) - 2 sum K_st /
     * n^2}, plus TLL's constant {@code 2 / (n - 1)}.
     */
    public static NDArray mkMmd(NDArray source, NDArray target) {
        long n = source.getShape().get(0);
        if (target.getShape().get(0) != n) {
            throw new IllegalArgumentException("MK-MMD compares batches of one size, got " + n
                    + " and " + target.getShape().get(0));
        }
        NDArray f = source.concat(target, 0);
        NDArray sq = f.square().sum(new int[] {1}, true);
        NDArray d2 = sq.add(sq.transpose()).sub(f.matMul(f.transpose()).mul(2)).maximum(0);
        NDArray mean = d2.mean().stopGradient();
        NDArray k = null;
        for (double alpha : MMD_ALPHAS) {
            NDArray ki = d2.div(mean.mul((float) (-2 * alpha))).exp();
            k = k == null ? ki : k.add(ki);
        }
        // the diagonal (an example with itself) is left out of the within-domain means
        NDArray offDiagonal = k.mul(f.getManager().eye((int) (2 * n)).neg().add(1));
        String s = "0:" + n;
        String t = n + ":";
        NDArray within = offDiagonal.get(s + "," + s).sum().add(offDiagonal.get(t + "," + t)
                .sum()).div((float) (n * (n - 1)));
        NDArray across = k.get(s + "," + t).sum().add(k.get(t + "," + s).sum())
                .div((float) (n * n));
        return within.sub(across).add(2f / (n - 1));
    }

    /**
     * Minimum class confusion (Jin et al. 2020) as TLL computes it: {@code p = softmax(z / T)};
     * each example weighted by {@code 1 + exp(-H(p))}, the weights scaled to sum to the batch
     * size; {@code C = (p * w)^T p}, each entry {@code C[i][j]} divided by the sum of row
     * {@code j} (TLL's broadcast); loss = the off-diagonal sum of {@code C} over the number of
     * classes.
     */
    public static NDArray mcc(NDArray logits, double temperature) {
        long b = logits.getShape().get(0);
        long k = logits.getShape().get(1);
        NDArray p = logits.div((float) temperature).softmax(1);
        NDArray h = entropyPerExample(p).stopGradient();
        NDArray w = h.neg().exp().add(1);
        w = w.mul(b).div(w.sum()).reshape(b, 1);
        NDArray c = p.mul(w).transpose().matMul(p);
        c = c.div(c.sum(new int[] {1}).reshape(1, k));
        NDArray trace = c.mul(c.getManager().eye((int) k)).sum();
        return c.sum().sub(trace).div(k);
    }

    /** {@code H(p_i) = -sum_c p_ic log(p_ic + eps)}, per example. */
    static NDArray entropyPerExample(NDArray p) {
        return p.mul(p.add(EPS).log()).sum(new int[] {1}).neg();
    }

    /**
     * SHOT's information maximization: the mean entropy of the predictions (each should be
     * confident) minus the entropy of their mean (together they should cover the classes).
     */
    public static NDArray informationMaximization(NDArray logits) {
        return informationMaximizationOfProbabilities(logits.softmax(1));
    }

    /** {@link #informationMaximization} of probabilities {@code [batch, classes]}. */
    static NDArray informationMaximizationOfProbabilities(NDArray p) {
        NDArray meanP = p.mean(new int[] {0});
        NDArray diversity = meanP.mul(meanP.add(EPS).log()).sum().neg();
        return entropyPerExample(p).mean().sub(diversity);
    }

    /**
     * DANN's domain loss on the discriminator's logits: binary cross-entropy with source
     * labelled 1 and target 0, the two halves averaged (TLL's {@code DomainAdversarialLoss}).
     */
    public static NDArray domainAdversarial(NDArray sourceLogits, NDArray targetLogits) {
        return bceWithLogits(sourceLogits, 1).add(bceWithLogits(targetLogits, 0)).mul(0.5f);
    }

    /** Mean binary cross-entropy of logits {@code z} against a constant label y. */
    private static NDArray bceWithLogits(NDArray z, int y) {
        // -[y log s(z) + (1 - y) log(1 - s(z))] = softplus(z) - y z, computed stably
        NDArray softplus = z.maximum(0).add(z.abs().neg().exp().add(1).log());
        return (y == 1 ? softplus.sub(z) : softplus).mean();
    }

    /**
     * DANN's reversal coefficient at training progress {@code p} in [0, 1] (Ganin et al. 2016):
     * {@code 2 / (1 + exp(-10 p)) - 1}, from 0 up towards 1.
     */
    public static double reversalCoefficient(double p) {
        return 2 / (1 + Math.exp(-10 * p)) - 1;
    }

    /**
     * The identity going forward and {@code -lambda} times the gradient going back (DANN's
     * gradient reversal layer): {@code x (-lambda) + stop(x (1 + lambda))}.
     */
    public static NDArray reverseGradient(NDArray x, double lambda) {
        return x.mul((float) -lambda).add(x.mul((float) (1 + lambda)).stopGradient());
    }

    /**
     * Mean cross-entropy of the examples whose largest probability reaches {@code threshold},
     * against that prediction (FixMatch's unlabelled term; the mean runs over the whole batch,
     * so a batch with few confident examples contributes little).
     *
     * @param teacherLogits the logits that label (not differentiated)
     * @param studentLogits the logits trained
     */
    public static NDArray pseudoLabel(NDArray teacherLogits, NDArray studentLogits,
            double threshold) {
        NDArray p = teacherLogits.stopGradient().softmax(1);
        NDArray confident = p.max(new int[] {1}).gte((float) threshold)
                .toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        NDArray labels = p.argMax(1);
        NDArray logp = studentLogits.logSoftmax(1);
        NDArray picked = logp.mul(labels.oneHot((int) studentLogits.getShape().get(1))).sum(
                new int[] {1});
        return picked.neg().mul(confident).mean();
    }
}
