package dev.graft.compress;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.model.StagedNet;
import dev.graft.train.Benchmark;

/**
 * Inference of a model as given and of its compressed form, timed side by side on the same
 * test images: the two alternate, so both see the same load on a shared machine.
 *
 * @param speedup how many times faster the compressed model is (median over the rounds)
 */
public record InferenceSpeed(
        @JsonProperty("batch_size") int batchSize,
        @JsonProperty("images") int images,
        @JsonProperty("given_images_per_second") double given,
        @JsonProperty("compressed_images_per_second") double compressed,
        @JsonProperty("speedup") double speedup) {

    /** Test images timed per round (a few seconds on a laptop). */
    static final int IMAGES = 2048;
    /** Batch size of the timing. */
    static final int BATCH = 64;

    public static InferenceSpeed measure(StagedNet given, StagedNet compressed, Examples test,
            NDManager manager) {
        int n = Math.min(IMAGES, test.size());
        double[] seconds = new double[2];
        double ratio = Benchmark.sideBySideRatio(
                () -> seconds[1] = Benchmark.inferenceSeconds(compressed, test, n, BATCH, manager),
                () -> seconds[0] = Benchmark.inferenceSeconds(given, test, n, BATCH, manager), 5);
        return new InferenceSpeed(BATCH, n, n / seconds[0], n / seconds[1], ratio);
    }

    /** One line for people. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "inference at batch %d, side by side on %,d"
                + " test images: %,.0f images/s given, %,.0f compressed (%.2fx)", batchSize,
                images, given, compressed, speedup);
    }
}
