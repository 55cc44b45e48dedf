package dev.graft.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Locale;

/**
 * Optimizer settings shared by every parameter group (each group scales the learning rate and
 * may override the weight decay).
 *
 * @param kind SGD (with momentum), Adam (L2 added to the gradient) or AdamW (decoupled decay)
 * @param learningRate the peak learning rate the schedule multiplies
 * @param momentum SGD momentum (Adam's beta1 is {@code beta1})
 * @param weightDecay L2 penalty (Adam, SGD) or decoupled decay rate (AdamW)
 * @param clipGradNorm the largest global L2 norm of a step's gradients (all trained parameters
 *     together), larger ones scaled down to it as PyTorch's {@code clip_grad_norm_}; 0 = no
 *     clipping (left out of the JSON then, so older configs keep their hashes)
 */
public record OptimizerConfig(Kind kind, double learningRate, double momentum, boolean nesterov,
        double beta1, double beta2, double epsilon, double weightDecay,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) double clipGradNorm) {

    /** The optimizer families. */
    public enum Kind {
        SGD,
        ADAM,
        ADAMW;

        /** Parses {@code sgd}, {@code adam} or {@code adamw}. */
        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown optimizer '" + s
                        + "'; choose sgd, adam or adamw");
            }
        }
    }

    public OptimizerConfig {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("--lr must be positive, got " + learningRate);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("--weight-decay must be >= 0, got " + weightDecay);
        }
        if (!(clipGradNorm >= 0) || Double.isInfinite(clipGradNorm)) {
            throw new IllegalArgumentException("--clip-grad-norm must be >= 0 (0 = off), got "
                    + clipGradNorm);
        }
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", "
                    + beta2);
        }
    }

    /** PyTorch's Adam defaults with the given learning rate. */
    public static OptimizerConfig adam(double lr) {
        return new OptimizerConfig(Kind.ADAM, lr, 0, false, 0.9, 0.999, 1e-8, 0, 0);
    }

    /** PyTorch's AdamW defaults (decay 0.01) with the given learning rate. */
    public static OptimizerConfig adamW(double lr) {
        return new OptimizerConfig(Kind.ADAMW, lr, 0, false, 0.9, 0.999, 1e-8, 0.01, 0);
    }

    /** SGD with the given learning rate and momentum. */
    public static OptimizerConfig sgd(double lr, double momentum) {
        return new OptimizerConfig(Kind.SGD, lr, momentum, false, 0.9, 0.999, 1e-8, 0, 0);
    }

    public OptimizerConfig withWeightDecay(double wd) {
        return new OptimizerConfig(kind, learningRate, momentum, nesterov, beta1, beta2, epsilon,
                wd, clipGradNorm);
    }

    public OptimizerConfig withClipGradNorm(double maxNorm) {
        return new OptimizerConfig(kind, learningRate, momentum, nesterov, beta1, beta2, epsilon,
                weightDecay, maxNorm);
    }
}
