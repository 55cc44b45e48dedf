package dev.graft.model;

/**
 * Architecture options that change a model's shape, stored in {@code model.json}.
 *
 * @param width channel multiplier for {@code convnet} (1 = 32/64 channels, 256 hidden units)
 * @param smallStem for {@code resnet18}: 3x3 stride-1 first convolution and no max-pool, for
 *     28x28 and 32x32 inputs; null chooses by input size (small below 64 pixels)
 */
public record ModelOptions(int width, Boolean smallStem) {

    public static final ModelOptions DEFAULT = new ModelOptions(1, null);

    public ModelOptions {
        if (width < 1) {
            throw new IllegalArgumentException("--width must be at least 1, got " + width);
        }
    }

    /** Whether the small-image ResNet stem applies to an input of this height and width. */
    public boolean useSmallStem(int[] inputShape) {
        return smallStem != null ? smallStem : Math.max(inputShape[1], inputShape[2]) < 64;
    }
}
