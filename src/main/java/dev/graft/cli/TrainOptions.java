package dev.graft.cli;

import dev.graft.data.Augmentation;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.TrainConfig;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options of anything that runs the training loop. */
final class TrainOptions {

    /**
     * What a text encoder trains with when the command line does not say: AdamW at 5e-5,
     * batches of 32 (the rates BERT-family fine-tuning uses; an image network's Adam at 1e-3
     * wrecks a pretrained transformer in a few steps).
     */
    static final String TEXT_OPTIMIZER = "adamw";
    static final double TEXT_LR = 5e-5;
    static final int TEXT_BATCH = 32;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--epochs", description = "Passes over the training set (default: 3;"
            + " transfer and lottery: 10).")
    Integer epochs;

    @Option(names = {"--batch-size", "-b"}, defaultValue = "128", description = "Examples per "
            + "optimizer step (default: ${DEFAULT-VALUE}; text encoders: 32).")
    int batchSize;

    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd (with momentum), "
            + "adam, or adamw (decoupled weight decay) (default: ${DEFAULT-VALUE}; text encoders:"
            + " adamw).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate "
            + "(default: ${DEFAULT-VALUE}; text encoders: 5e-5).")
    double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum "
            + "(default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 penalty (sgd, "
            + "adam) or decoupled decay (adamw) (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--clip-grad-norm", defaultValue = "0", paramLabel = "MAX", description =
            "Scale a step's gradients down when their global L2 norm exceeds MAX, as PyTorch's"
            + " clip_grad_norm_; tames rare spikes of multi-term losses; 0 = off"
            + " (default: ${DEFAULT-VALUE}).")
    double clipGradNorm;

    @Option(names = "--schedule", defaultValue = "one-cycle", description = "Learning-rate "
            + "schedule: constant, linear (decay to 0), cosine, one-cycle (PyTorch OneCycleLR)"
            + " or stlr (ULMFiT's slanted triangular) (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "STEPS", description =
            "Linear warm-up steps before the schedule (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--augment", defaultValue = "none", description = "none, crop (random "
            + "crop after 2-pixel padding), flip (horizontal), or crop+flip "
            + "(default: ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--patience", defaultValue = "0", description = "Stop after this many "
            + "epochs without a better validation accuracy; 0 never stops early "
            + "(default: ${DEFAULT-VALUE}).")
    int patience;

    TrainConfig toConfig(long seed) {
        return toConfig(seed, 3);
    }

    /** The config, with {@code defaultEpochs} when --epochs is not given. */
    TrainConfig toConfig(long seed, int defaultEpochs) {
        return toConfig(seed, defaultEpochs, false);
    }

    /**
     * The config; for a text encoder, the optimizer, rate and batch size the command line does
     * not give are the text defaults.
     */
    TrainConfig toConfig(long seed, int defaultEpochs, boolean text) {
        String opt = text && !given("--optimizer") ? TEXT_OPTIMIZER : optimizer;
        double rate = text && !given("--lr") ? TEXT_LR : lr;
        int batch = text && !given("--batch-size") ? TEXT_BATCH : batchSize;
        // AdamW's decay is PyTorch's 0.01 unless given; L2 (adam, sgd) stays 0 unless given
        OptimizerConfig.Kind kind = OptimizerConfig.Kind.parse(opt);
        double decay = kind == OptimizerConfig.Kind.ADAMW && text && !given("--weight-decay")
                ? 0.01 : weightDecay;
        OptimizerConfig o = new OptimizerConfig(kind, rate, kind == OptimizerConfig.Kind.SGD
                ? momentum : 0, false, 0.9, 0.999, 1e-8, decay, clipGradNorm);
        return new TrainConfig(epochs != null ? epochs : defaultEpochs, batch, o,
                LrSchedule.parse(schedule, warmup), augmentation(augment), seed, patience,
                List.of());
    }

    /** True when the command line gave {@code option}. */
    private boolean given(String option) {
        return mixee != null && mixee.commandLine() != null
                && mixee.commandLine().getParseResult() != null
                && mixee.commandLine().getParseResult().hasMatchedOption(option);
    }

    static Augmentation augmentation(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "none" -> Augmentation.NONE;
            case "crop" -> new Augmentation(2, false);
            case "flip" -> new Augmentation(0, true);
            case "crop+flip", "flip+crop" -> new Augmentation(2, true);
            default -> throw new IllegalArgumentException("--augment " + s
                    + " is not one of none, crop, flip, crop+flip");
        };
    }
}
