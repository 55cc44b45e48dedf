package dev.graft.cli;

import dev.graft.data.Augmentation;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.TrainConfig;
import java.util.List;
import picocli.CommandLine.Option;

/** Options of anything that runs the training loop. */
final class TrainOptions {

    @Option(names = "--epochs", description = "Passes over the training set (default: 3;"
            + " transfer and lottery: 10).")
    Integer epochs;

    @Option(names = {"--batch-size", "-b"}, defaultValue = "128", description = "Images per "
            + "optimizer step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd (with momentum), "
            + "adam, or adamw (decoupled weight decay) (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate "
            + "(default: ${DEFAULT-VALUE}).")
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
            + "schedule: constant, cosine, one-cycle (PyTorch OneCycleLR) or stlr (ULMFiT's "
            + "slanted triangular) (default: ${DEFAULT-VALUE}).")
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
        OptimizerConfig.Kind kind = OptimizerConfig.Kind.parse(optimizer);
        OptimizerConfig opt = new OptimizerConfig(kind, lr, kind == OptimizerConfig.Kind.SGD
                ? momentum : 0, false, 0.9, 0.999, 1e-8, weightDecay, clipGradNorm);
        return new TrainConfig(epochs != null ? epochs : defaultEpochs, batchSize, opt, LrSchedule.parse(schedule, warmup),
                augmentation(augment), seed, patience, List.of());
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
