package dev.graft.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What one epoch measured; one line of {@code metrics.jsonl}.
 *
 * @param imagesPerSecond training throughput, optimizer steps only (no validation, no saving)
 * @param peakRssMb peak resident memory of the process during the epoch (native + heap)
 * @param skippedSteps steps whose gradients were not finite, left out of the weights
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EpochMetrics(
        @JsonProperty("event") String event,
        @JsonProperty("epoch") int epoch,
        @JsonProperty("steps") long steps,
        @JsonProperty("train_loss") double trainLoss,
        @JsonProperty("train_accuracy") double trainAccuracy,
        @JsonProperty("val_loss") Double valLoss,
        @JsonProperty("val_accuracy") Double valAccuracy,
        @JsonProperty("learning_rate") double learningRate,
        @JsonProperty("images_per_second") double imagesPerSecond,
        @JsonProperty("seconds") double seconds,
        @JsonProperty("peak_rss_mb") double peakRssMb,
        @JsonProperty("heap_used_mb") double heapUsedMb,
        @JsonProperty("skipped_steps") int skippedSteps) {}
