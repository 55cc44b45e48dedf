package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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
    public static NDArray maskedMean(NDArray hidden, NDArray mask) {
        NDArray m = mask.expandDims(2);
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
    }

    /**
     * A stage's output as one vector per example, whatever the modality: feature maps
     * {@code [batch, c, h, w]} averaged over space, a text stage's tokens {@code [batch, tokens,
     * width]} averaged over the tokens its batch's mask keeps ({@link #maskedMean}; the mask is
     * the inputs' second array and every text stage hands it on unchanged), vectors as they are.
     * What alignment losses, hints and relations compare.
     *
     * @param inputs the batch's inputs the stage output was computed from
     */
    public static NDArray embedding(NDArray stageOutput, NDList inputs) {
        Shape s = stageOutput.getShape();
        return switch (s.dimension()) {
            case 4 -> stageOutput.reshape(s.get(0), s.get(1), -1).mean(new int[] {2});
            case 3 -> {
                if (inputs.size() < 2) {
                    throw new IllegalArgumentException("tokens " + s + " need their batch's"
                            + " mask to be pooled; the inputs hold " + inputs.size() + " array");
                }
                yield maskedMean(stageOutput, inputs.get(1).toType(DataType.FLOAT32, false));
            }
            default -> stageOutput;
        };
    }

    /** The shape {@link #embedding} gives a stage output of shape {@code s}. */
    public static Shape embeddingShape(Shape s) {
        return s.dimension() == 4 ? new Shape(s.get(0), s.get(1))
                : s.dimension() == 3 ? new Shape(s.get(0), s.get(2)) : s;
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
