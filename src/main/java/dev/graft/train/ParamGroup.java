package dev.graft.train;

/**
 * How one stage (or the head) trains: learning-rate multiplier, weight decay, frozen or not.
 *
 * @param stage a stage name or {@code head}
 * @param lrMultiplier multiplies the scheduled learning rate (discriminative rates)
 * @param weightDecay overrides the optimizer's weight decay; null keeps it
 * @param frozen a frozen stage is not updated and runs in inference mode (BatchNorm fixed)
 * @param decayToStart L2-SP: weight decay pulls toward the weights the run started from (the
 *     pretrained ones) instead of toward zero
 */
public record ParamGroup(String stage, double lrMultiplier, Double weightDecay, boolean frozen,
        boolean decayToStart) {

    public ParamGroup {
        if (!(lrMultiplier >= 0)) {
            throw new IllegalArgumentException("learning-rate multiplier of " + stage
                    + " must be >= 0, got " + lrMultiplier);
        }
        if (weightDecay != null && !(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay of " + stage + " must be >= 0, got "
                    + weightDecay);
        }
    }

    /** A group decaying toward zero. */
    public ParamGroup(String stage, double lrMultiplier, Double weightDecay, boolean frozen) {
        this(stage, lrMultiplier, weightDecay, frozen, false);
    }

    /** A trainable group at the base rate. */
    public static ParamGroup trainable(String stage) {
        return new ParamGroup(stage, 1, null, false);
    }

    /** A frozen group. */
    public static ParamGroup frozen(String stage) {
        return new ParamGroup(stage, 1, null, true);
    }
}
