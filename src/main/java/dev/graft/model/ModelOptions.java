package dev.graft.model;

/**
 * Architecture options that change a model's shape, stored in {@code model.json}.
 *
 * @param width channel multiplier for {@code convnet} (1 = 32/64 channels, 256 hidden units;
 *     0.25 = 8/16 channels, 64 hidden units)
 * @param smallStem for {@code resnet18}: 3x3 stride-1 first convolution and no max-pool, for
 *     28x28 and 32x32 inputs; null chooses by input size (small below 64 pixels)
 */
public record ModelOptions(double width, Boolean smallStem) {

    public static final ModelOptions DEFAULT = new ModelOptions(1, null);

    public ModelOptions {
        if (!(width > 0 && width <= 64)) {
            throw new IllegalArgumentException("--width must be in (0, 64], got " + width);
        }
    }

    /** {@code base} channels scaled by the width, at least 1. */
    public int channels(int base) {
        return (int) Math.max(1, Math.round(base * width));
    }

    /** Whether the small-image ResNet stem applies to an input of this height and width. */
    public boolean useSmallStem(int[] inputShape) {
        return smallStem != null ? smallStem : Math.max(inputShape[1], inputShape[2]) < 64;
    }
}
