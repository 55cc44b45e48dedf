package dev.graft.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * A dataset as one normalized float tensor {@code [count, channels, height, width]} plus an int64
 * label tensor {@code [count]}, so a batch is one gather by index rather than a loop over
 * samples.
 */
public final class TensorDataset implements Examples {

    private final NDManager manager;
    private final NDArray images;
    private final NDArray labels;
    private final int[] hostLabels;
    private final int numClasses;
    private final int[] imageShape;

    private TensorDataset(NDManager manager, NDArray images, NDArray labels, int[] hostLabels,
            int numClasses, int[] imageShape) {
        this.manager = manager;
        this.images = images;
        this.labels = labels;
        this.hostLabels = hostLabels;
        this.numClasses = numClasses;
        this.imageShape = imageShape;
    }

    /** Normalizes {@code data} with {@code norm} into tensors owned by a child of {@code parent}. */
    public static TensorDataset of(ImageDataset data, Normalization norm, NDManager parent) {
        if (norm.channels() != data.channels()) {
            throw new IllegalArgumentException("normalization has " + norm.channels()
                    + " channels but the data has " + data.channels());
        }
        // x' = x * scale - shift with scale = 1 / (255 std), shift = mean / std, per channel;
        // computed by the engine from the uint8 bytes, so no float copy of the set is made on
        // the Java heap
        int c = data.channels();
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            scale[ch] = 1f / (255f * norm.std()[ch]);
            shift[ch] = norm.mean()[ch] / norm.std()[ch];
        }
        int n = data.size();
        Shape shape = new Shape(n, c, data.height(), data.width());
        NDManager m = parent.newSubManager();
        NDArray images;
        try (NDManager tmp = m.newSubManager()) {
            NDArray bytes = tmp.create(java.nio.ByteBuffer.wrap(data.rawPixels()), shape,
                    ai.djl.ndarray.types.DataType.UINT8);
            images = bytes.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .muli(tmp.create(scale).reshape(1, c, 1, 1))
                    .subi(tmp.create(shift).reshape(1, c, 1, 1));
            images.attach(m);
        }
        int[] y = data.labels();
        long[] y64 = new long[n];
        for (int i = 0; i < n; i++) {
            y64[i] = y[i];
        }
        return new TensorDataset(m, images, m.create(y64), y, data.numClasses(),
                data.imageShape());
    }

    /**
     * A dataset of already-numeric examples (e.g. cached features), used as they are.
     *
     * @param values {@code labels.length * prod(shape)} values, row-major
     * @param shape one example's shape, {@code [channels, height, width]}
     */
    public static TensorDataset ofValues(float[] values, int[] shape, int[] labels,
            int numClasses, NDManager parent) {
        long per = (long) shape[0] * shape[1] * shape[2];
        if (per * labels.length != values.length) {
            throw new IllegalArgumentException(labels.length + " examples of shape "
                    + java.util.Arrays.toString(shape) + " need " + per * labels.length
                    + " values, got " + values.length);
        }
        long[] y64 = new long[labels.length];
        for (int i = 0; i < labels.length; i++) {
            y64[i] = labels[i];
        }
        NDManager m = parent.newSubManager();
        NDArray x = m.create(values, new Shape(labels.length, shape[0], shape[1], shape[2]));
        return new TensorDataset(m, x, m.create(y64), labels.clone(), numClasses, shape.clone());
    }

    @Override
    public int size() {
        return hostLabels.length;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    /** {@code [channels, height, width]}. */
    public int[] imageShape() {
        return imageShape.clone();
    }

    /** The label of example {@code i}. */
    @Override
    public int label(int i) {
        return hostLabels[i];
    }

    /** Gathers the examples at {@code indices} into arrays owned by {@code target}. */
    @Override
    public Batch batch(int[] indices, NDManager target) {
        long[] idx = new long[indices.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = indices[i];
        }
        NDArray index = target.create(idx);
        NDIndex select = new NDIndex("{}", index);
        return new Batch(images.get(target, select), labels.get(target, select));
    }

    /** Examples {@code [from, to)} in order, owned by {@code target}. */
    @Override
    public Batch range(int from, int to, NDManager target) {
        NDIndex slice = new NDIndex(from + ":" + to);
        return new Batch(images.get(target, slice), labels.get(target, slice));
    }

    /**
     * The first {@code n} examples as a dataset of their own (copies owned by a child of
     * {@code parent}); example {@code i} keeps index {@code i}.
     */
    @Override
    public TensorDataset head(int n, NDManager parent) {
        if (n < 1 || n > size()) {
            throw new IllegalArgumentException("head(" + n + ") of a dataset of " + size());
        }
        NDManager m = parent.newSubManager();
        NDIndex slice = new NDIndex("0:" + n);
        return new TensorDataset(m, images.get(m, slice), labels.get(m, slice),
                java.util.Arrays.copyOf(hostLabels, n), numClasses, imageShape);
    }

    /**
     * The examples at {@code indices}, in that order, as a dataset of their own (copies owned by
     * a child of {@code parent}).
     */
    public TensorDataset subset(int[] indices, NDManager parent) {
        NDManager m = parent.newSubManager();
        Batch b = batch(indices, m);
        int[] y = new int[indices.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = hostLabels[indices[i]];
        }
        return new TensorDataset(m, b.x(), b.y(), y, numClasses, imageShape);
    }

    /** These inputs with other labels (copies owned by a child of {@code parent}). */
    TensorDataset relabelled(int[] newLabels, int classes, NDManager parent) {
        if (newLabels.length != size()) {
            throw new IllegalArgumentException(newLabels.length + " labels for " + size()
                    + " examples");
        }
        long[] y64 = new long[newLabels.length];
        for (int i = 0; i < y64.length; i++) {
            if (newLabels[i] < 0 || newLabels[i] >= classes) {
                throw new IllegalArgumentException("label " + newLabels[i] + " of example " + i
                        + " is outside the " + classes + " classes");
            }
            y64[i] = newLabels[i];
        }
        NDManager m = parent.newSubManager();
        NDArray copy = images.duplicate();
        copy.attach(m);
        return new TensorDataset(m, copy, m.create(y64), newLabels.clone(), classes,
                imageShape);
    }

    @Override
    public void close() {
        manager.close();
    }
}
