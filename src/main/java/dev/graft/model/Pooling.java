package dev.graft.model;

/** How stage activations are reduced to one vector per example when features are extracted. */
public enum Pooling {
    /** Keep the activation map as it is: {@code [batch, c, h, w]} or {@code [batch, d]}. */
    NONE,
    /** Global average over space: {@code [batch, c, h, w] -> [batch, c]}. */
    AVERAGE,
    /** Flatten everything but the batch: {@code [batch, c, h, w] -> [batch, c*h*w]}. */
    FLATTEN;

    /**
     * The mean of a text stage's {@code hidden [batch, tokens, width]} over the tokens
     * {@code mask [batch, tokens]} keeps, {@code [batch, width]}: {@code sum(h * m) /
     * max(sum(m), 1e-9)}, as sentence-transformers pools.
     */
    public static ai.djl.ndarray.NDArray maskedMean(ai.djl.ndarray.NDArray hidden,
            ai.djl.ndarray.NDArray mask) {
        ai.djl.ndarray.NDArray m = mask.expandDims(2);
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
    }

    /** {@code --pooling}: avg (or average), flatten or none. */
    public static Pooling parse(String option) {
        return switch (option.toLowerCase(java.util.Locale.ROOT)) {
            case "avg", "average" -> AVERAGE;
            case "flatten" -> FLATTEN;
            case "none" -> NONE;
            default -> throw new IllegalArgumentException("--pooling " + option
                    + " is not one of avg, flatten, none");
        };
    }
}
