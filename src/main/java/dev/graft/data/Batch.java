package dev.graft.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * One batch as a network reads it: the inputs the dataset builds ({@code [batch, c, h, w]}
 * images, or token ids and mask {@code [batch, tokens]}) and int64 labels {@code [batch]}.
 */
public record Batch(NDList inputs, NDArray y) {

    /** An image batch. */
    public Batch(NDArray x, NDArray y) {
        this(new NDList(x), y);
    }

    /** The one input tensor of an image batch. */
    public NDArray x() {
        if (inputs.size() != 1) {
            throw new IllegalStateException("this batch holds " + inputs.size() + " inputs"
                    + " (token ids and a mask), not one image tensor");
        }
        return inputs.head();
    }

    public int size() {
        return (int) y.size();
    }
}
