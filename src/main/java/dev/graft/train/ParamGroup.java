package dev.graft.train;

/**
 * How one stage (or the head) trains: learning-rate multiplier, weight decay, frozen or not.
 *
 * @param stage a stage name or {@code head}
 * @param lrMultiplier multiplies the scheduled learning rate (discriminative rates)
 * @param weightDecay overrides the optimizer's weight decay; null keeps it
 * @param frozen a frozen stage is not updated and runs in inference mode (BatchNorm fixed)
 */
public record ParamGroup(String stage, double lrMultiplier, Double weightDecay, boolean frozen) {

    public ParamGroup {
        if (!(lrMultiplier >= 0)) {
            throw new IllegalArgumentException("learning-rate multiplier of " + stage
                    + " must be >= 0, got " + lrMultiplier);
        }
    }

    /** A trainable group at the base rate. */
    public static ParamGroup trainable(String stage) {
        return new ParamGroup(stage, 1, null, false);
    }
}
