package dev.graft.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Texts as token ids, held on the host; a batch pads its texts to the longest among them:
 * {@code ids [batch, tokens]} and {@code mask [batch, tokens]} (1 for a real token, 0 for
 * padding), both int64, with labels {@code [batch]}.
 */
public final class TokenizedText implements Examples {

    /** The id padding carries; the mask hides it from the network. */
    static final long PAD = 0;

    private final long[][] ids;
    private final int[] labels;
    private final int numClasses;
    private final int truncated;

    /**
     * @param ids every text's token ids, special tokens included
     * @param truncated how many texts were cut to the tokenizer's length
     */
    public TokenizedText(long[][] ids, int[] labels, int numClasses, int truncated) {
        if (ids.length != labels.length) {
            throw new IllegalArgumentException(ids.length + " texts but " + labels.length
                    + " labels");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i].length == 0) {
                throw new IllegalArgumentException("text " + i + " has no tokens");
            }
        }
        this.ids = ids;
        this.labels = labels.clone();
        this.numClasses = numClasses;
        this.truncated = truncated;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    /** The number of tokens of text {@code i}. */
    public int length(int i) {
        return ids[i].length;
    }

    /** How many texts the tokenizer cut to its length. */
    public int truncated() {
        return truncated;
    }

    @Override
    public Batch batch(int[] indices, NDManager target) {
        int longest = 1;
        for (int i : indices) {
            longest = Math.max(longest, ids[i].length);
        }
        long[] x = new long[indices.length * longest];
        long[] mask = new long[x.length];
        long[] y = new long[indices.length];
        for (int r = 0; r < indices.length; r++) {
            long[] t = ids[indices[r]];
            java.util.Arrays.fill(x, r * longest + t.length, (r + 1) * longest, PAD);
            System.arraycopy(t, 0, x, r * longest, t.length);
            java.util.Arrays.fill(mask, r * longest, r * longest + t.length, 1L);
            y[r] = labels[indices[r]];
        }
        Shape shape = new Shape(indices.length, longest);
        NDArray idArray = target.create(x, shape);
        NDArray maskArray = target.create(mask, shape);
        return new Batch(new NDList(idArray, maskArray), target.create(y));
    }

    @Override
    public TokenizedText head(int n, NDManager parent) {
        if (n < 1 || n > size()) {
            throw new IllegalArgumentException("head(" + n + ") of " + size() + " texts");
        }
        return new TokenizedText(java.util.Arrays.copyOf(ids, n), java.util.Arrays.copyOf(
                labels, n), numClasses, 0);
    }

    @Override
    public Batch range(int from, int to, NDManager target) {
        int[] idx = new int[to - from];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = from + i;
        }
        return batch(idx, target);
    }

    /** Length-grouped batches ({@link EpochOrder#lengthGrouped}): texts pad to their batch. */
    @Override
    public java.util.List<int[]> trainingBatches(int batchSize, java.util.SplittableRandom rng) {
        return EpochOrder.lengthGrouped(size(), batchSize, rng, i -> ids[i].length);
    }

    /** Shortest texts first (stable), so a batch of neighbours pads little. */
    @Override
    public int[] inferenceOrder() {
        return java.util.stream.IntStream.range(0, ids.length).boxed()
                .sorted(java.util.Comparator.comparingInt(i -> ids[i].length))
                .mapToInt(Integer::intValue).toArray();
    }

    @Override
    public void close() {
        // host arrays only
    }
}
