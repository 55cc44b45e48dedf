package dev.graft.cli;

import dev.graft.train.TrainConfig;
import picocli.CommandLine.Option;

/** Options of a compression step that fine-tunes on the model's own task. */
final class CompressOptions {

    @Option(names = "--no-finetune", description = "Skip fine-tuning, to measure the step alone"
            + " (by default it fine-tunes for --epochs, 2 unless given).")
    boolean noFineTune;

    @Option(names = "--data", description = "Dataset (default: the one the model was trained"
            + " on); the model's classes are selected by name.")
    String data;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Share of each class"
            + " held out to choose the fine-tuning's best epoch; 0 keeps the last"
            + " (default: ${DEFAULT-VALUE}).")
    double valFraction;

    /** The fine-tuning to run, or null with --no-finetune. */
    TrainConfig fineTune(TrainOptions train, long seed) {
        return noFineTune ? null : train.toConfig(seed, 2);
    }
}
