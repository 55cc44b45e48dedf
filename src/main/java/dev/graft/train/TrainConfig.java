package dev.graft.train;

import dev.graft.data.Augmentation;
import java.util.List;

/**
 * How to train.
 *
 * @param epochs passes over the training set
 * @param batchSize examples per optimizer step
 * @param optimizer optimizer family and peak learning rate
 * @param schedule learning-rate multiplier per step
 * @param augmentation applied to training batches only
 * @param seed root seed for shuffling and dropout
 * @param patience stop after this many epochs without a better validation accuracy; 0 never
 * @param groups per-stage settings; stages not listed train at the base rate
 */
public record TrainConfig(int epochs, int batchSize, OptimizerConfig optimizer,
        LrSchedule schedule, Augmentation augmentation, long seed, int patience,
        List<ParamGroup> groups) {

    public TrainConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be at least 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1, got "
                    + batchSize);
        }
        if (patience < 0) {
            throw new IllegalArgumentException("--patience must be >= 0, got " + patience);
        }
        groups = List.copyOf(groups);
    }

    /** The same training under another seed (shuffling, dropout). */
    public TrainConfig withSeed(long newSeed) {
        return new TrainConfig(epochs, batchSize, optimizer, schedule, augmentation, newSeed,
                patience, groups);
    }
}
