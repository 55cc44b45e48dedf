package dev.graft.cli;

import dev.graft.model.ModelOptions;
import dev.graft.train.Pretrain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft pretrain}: train an architecture from scratch. */
@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an architecture from scratch (the source model for transfer).", "",
            "Trains on a dataset or a class subset of it, validating on a held-out share.",
            "Writes DIR/model (best checkpoint), DIR/last (for --resume), DIR/metrics.jsonl",
            "and DIR/run.json.", ""},
        footer = {"", "Examples:",
            "  graft pretrain --arch convnet --epochs 3",
            "  graft pretrain --arch resnet18 --classes 0-4 --augment crop+flip --out runs/src",
            "  graft pretrain --data fashion-mnist-small --arch mlp --epochs 5 --json"})
final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--arch", defaultValue = "convnet", description = "Architecture: mlp, "
            + "convnet or resnet18 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--width", defaultValue = "1", description = "Channel multiplier for "
            + "convnet, e.g. 0.25 or 2 (default: ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--stem", defaultValue = "auto", description = "resnet18 first layer: "
            + "small (3x3 stride 1, no max-pool), imagenet (7x7 stride 2 + max-pool), or auto "
            + "(small below 64 pixels) (default: ${DEFAULT-VALUE}).")
    String stem;

    @Option(names = "--resume", description = "Continue the run in --out from its last "
            + "finished epoch.")
    boolean resume;

    @Mixin
    TaskOptions task;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        Pretrain.Config config = new Pretrain.Config(task.data != null ? task.data
                : "fashion-mnist", task.classes, task.shots, task.valFraction, arch,
                new ModelOptions(width, parseStem(stem)), train.toConfig(common.seed));
        if (resume && common.out == null) {
            throw new IllegalArgumentException("--resume needs --out DIR, the run to continue");
        }
        Path dir = RunNames.folder(common.out, "pretrain", arch, config);
        Pretrain.Result r = new Pretrain(common::log).progress(common.progress())
                .run(config, dir, resume);
        common.print(r, String.format("test accuracy %.2f%% (loss %.4f) after %d epoch(s), "
                + "best epoch %d, %,.0f training images/s%ncheckpoint: %s%n", 100 * r.testAccuracy(),
                r.testLoss(), r.epochs(), r.bestEpoch(), r.trainImagesPerSecond(),
                r.checkpoint()));
        return 0;
    }

    static Boolean parseStem(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> null;
            case "small" -> true;
            case "imagenet" -> false;
            default -> throw new IllegalArgumentException("--stem " + s
                    + " is not one of auto, small, imagenet");
        };
    }
}
