package dev.graft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The order examples are visited in during one epoch: a seeded shuffle that depends only on
 * (seed, epoch), so a resumed run sees exactly the batches it would have seen.
 */
public final class EpochOrder {

    private EpochOrder() {}

    /** The random generator for one epoch of a run seeded with {@code seed}. */
    public static SplittableRandom random(long seed, int epoch) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1L)));
    }

    /**
     * Shuffled batches whose examples have similar lengths, as Hugging Face's
     * {@code group_by_length} draws them: a random permutation is cut into megabatches of
     * {@value #MEGABATCH} batches, each sorted by length, cut into batches, and the batches
     * are shuffled. Every example is drawn once per epoch, and a batch pads little.
     *
     * @param length the length (in tokens) of example {@code i}
     */
    public static List<int[]> lengthGrouped(int n, int batchSize, SplittableRandom rng,
            java.util.function.IntUnaryOperator length) {
        List<int[]> out = new ArrayList<>();
        int[] order = ImageDataset.permutation(n, rng);
        int mega = MEGABATCH * batchSize;
        for (int from = 0; from < n; from += mega) {
            int[] chunk = java.util.Arrays.stream(order, from, Math.min(n, from + mega)).boxed()
                    .sorted(java.util.Comparator.comparingInt(length::applyAsInt).reversed())
                    .mapToInt(Integer::intValue).toArray();
            for (int b = 0; b < chunk.length; b += batchSize) {
                out.add(java.util.Arrays.copyOfRange(chunk, b, Math.min(chunk.length,
                        b + batchSize)));
            }
        }
        int[] perm = ImageDataset.permutation(out.size(), rng);
        List<int[]> shuffled = new ArrayList<>(out.size());
        for (int p : perm) {
            shuffled.add(out.get(p));
        }
        return shuffled;
    }

    /** Batches per megabatch in {@link #lengthGrouped} (Hugging Face's default). */
    static final int MEGABATCH = 50;

    /** Shuffled batches of indices for one epoch; the last batch may be smaller. */
    public static List<int[]> batches(int n, int batchSize, SplittableRandom rng) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        int[] order = ImageDataset.permutation(n, rng);
        List<int[]> out = new ArrayList<>((n + batchSize - 1) / batchSize);
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            int[] b = new int[to - from];
            System.arraycopy(order, from, b, 0, b.length);
            out.add(b);
        }
        return out;
    }
}
