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
