package dev.graft.train;

import ai.djl.ndarray.NDManager;
import dev.graft.data.Examples;

/**
 * What an objective adds to the cost of a training epoch: chunks of training with it and
 * without it (plain cross-entropy) alternate on the same images, so both see the same load on a
 * shared machine ({@link Benchmark#sideBySideRatio}).
 */
public final class EpochCost {

    /** Rounds of the side-by-side timing (the first is warm-up). */
    public static final int ROUNDS = 7;
    /** Optimizer steps in each timed chunk, at least. */
    static final int STEPS = 20;
    /**
     * Shortest timed chunk of plain training: a network so cheap that {@link #STEPS} steps take
     * less gets longer chunks (an mlp's 20 steps last ~80 ms, where a scheduler's hiccup moves
     * the ratio by 0.3).
     */
    static final double MIN_SECONDS = 0.5;

    private EpochCost() {}

    /**
     * Images per timed chunk: {@link #STEPS} batches, or as many whole batches as {@code plain}
     * needs to train for {@link #MIN_SECONDS} (at most the training set).
     */
    public static int chunk(TrainingLoop plain, Examples train, int batch,
            NDManager manager) {
        int total = train.size();
        int n = Math.min(total, STEPS * batch);
        try (NDManager m = manager.newSubManager(); Examples head = train.head(n, m)) {
            secondsPerImage(plain, head); // warm-up
            double seconds = secondsPerImage(plain, head) * n;
            if (seconds >= MIN_SECONDS) {
                return n;
            }
            long batches = (long) Math.ceil(n * MIN_SECONDS / seconds / batch);
            return (int) Math.min(total, batches * batch);
        }
    }

    /** {@code candidate}'s seconds per training image over {@code plain}'s, side by side. */
    public static double ratio(TrainingLoop plain, TrainingLoop candidate, Examples chunk) {
        return Benchmark.sideBySideRatio(() -> secondsPerImage(plain, chunk),
                () -> secondsPerImage(candidate, chunk), ROUNDS);
    }

    private static double secondsPerImage(TrainingLoop loop, Examples data) {
        return 1 / loop.fit(data, null, 1, Double.NEGATIVE_INFINITY, (e, improved) -> { })
                .history().get(0).imagesPerSecond();
    }
}
