package dev.graft.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Examples without labels: a target domain as adaptation sees it. Built from the inputs alone
 * (the labels of the dataset it comes from are not copied), so code holding one cannot read
 * them; labels it needs to train on are its own ({@link #withLabels}: pseudo-labels).
 */
public final class UnlabeledDataset implements AutoCloseable {

    private static final List<String> NONE = List.of("unlabelled");

    private final TensorDataset inputs;
    private final String name;

    private UnlabeledDataset(TensorDataset inputs, String name) {
        this.inputs = inputs;
        this.name = name;
    }

    /** The inputs of {@code data}, normalized with {@code norm}; its labels are left behind. */
    public static UnlabeledDataset of(ImageDataset data, Normalization norm, NDManager parent) {
        if (data.size() == 0) {
            throw new IllegalArgumentException(data.name() + " holds no images");
        }
        ImageDataset inputsOnly = new ImageDataset(data.name(), data.rawPixels(),
                new int[data.size()], data.channels(), data.height(), data.width(), NONE);
        return new UnlabeledDataset(TensorDataset.of(inputsOnly, norm, parent), data.name());
    }

    public String name() {
        return name;
    }

    public int size() {
        return inputs.size();
    }

    /** {@code [channels, height, width]}. */
    public int[] inputShape() {
        return inputs.imageShape();
    }

    /** The examples at {@code indices}, {@code [n, c, h, w]}, owned by {@code target}. */
    public NDArray batch(int[] indices, NDManager target) {
        return inputs.batch(indices, target).x();
    }

    /** Examples {@code [from, to)} in order, owned by {@code target}. */
    public NDArray range(int from, int to, NDManager target) {
        return inputs.range(from, to, target).x();
    }

    /**
     * A labelled dataset of these inputs with labels the caller made (pseudo-labels), for
     * training on the target alone.
     */
    public TensorDataset withLabels(int[] labels, int numClasses, NDManager parent) {
        return inputs.relabelled(labels, numClasses, parent);
    }

    @Override
    public void close() {
        inputs.close();
    }
}
