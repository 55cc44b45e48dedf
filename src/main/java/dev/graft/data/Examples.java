package dev.graft.data;

import ai.djl.ndarray.NDManager;

/**
 * Labelled examples ready for a network, whatever they are: {@link TensorDataset} for images,
 * {@link TokenizedText} for text. Everything that only batches examples (feature extraction,
 * evaluation, training) reads this.
 */
public interface Examples extends AutoCloseable {

    int size();

    int numClasses();

    /** The label of example {@code i}. */
    int label(int i);

    /** Gathers the examples at {@code indices} into arrays owned by {@code target}. */
    Batch batch(int[] indices, NDManager target);

    /**
     * The first {@code n} examples, as examples of their own (arrays, if any, owned by a
     * sub-manager of {@code parent}; closing the result frees them).
     */
    Examples head(int n, NDManager parent);

    /** Examples {@code [from, to)} in order, owned by {@code target}. */
    Batch range(int from, int to, NDManager target);

    /** One epoch's shuffled training batches: uniformly random, unless examples vary in size. */
    default java.util.List<int[]> trainingBatches(int batchSize, java.util.SplittableRandom rng) {
        return EpochOrder.batches(size(), batchSize, rng);
    }

    /**
     * The order in which inference batches these examples best: as stored, or, for texts,
     * shortest first, so each batch pads little.
     */
    default int[] inferenceOrder() {
        int[] order = new int[size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        return order;
    }

    @Override
    void close();
}
