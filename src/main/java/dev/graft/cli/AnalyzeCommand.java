package dev.graft.cli;

import dev.graft.analysis.Analysis;
import dev.graft.analysis.AnalysisReport;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code graft analyze}: what a pretrained checkpoint transfers. */
@Command(name = "analyze", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = AnalyzeCommand.Defaults.class,
        description = {"Measure what a pretrained checkpoint transfers to a target task.", "",
            "Fine-tunes the checkpoint on the target from its pretrained weights (P1, P2: two",
            "seeds) and trains the same architecture from random init (R1, R2), then:", "",
            "  shuffle      P and R on targets cut into b x b blocks and shuffled per image, for",
            "               every block size b (--block-sizes): whatever benefit survives small",
            "               blocks comes from low-level statistics, not from reused features;",
            "  landscape    test loss and accuracy on the straight line P1-P2 and R1-R2",
            "               (BatchNorm statistics re-estimated at every point), barrier heights;",
            "  criticality  each module of P1 and R1 moved back toward its starting value,",
            "               alpha = 0 (start) .. 1 (trained), the rest kept: a heat map each;",
            "  similarity   linear CKA between the stages of P1-P2, R1-R2, P1-R1, and distances",
            "               in parameter space, between them and from their starting weights;",
            "  checkpoints  the source architecture pretrained again on the checkpoint's task,",
            "               every epoch's weights fine-tuned on the target.", "",
            "WHAT is all (the default) or a comma-separated list. Writes DIR/report.html (one",
            "page, every part) and DIR/run.json; prints what the paper's findings look like here.",
            ""},
        footer = {"", "Examples:",
            "  graft analyze all --model runs/demo/source/model --classes 5-9",
            "  graft analyze landscape,similarity --model runs/src/model --classes 5-9 --shots 100",
            "  graft analyze shuffle --model runs/src/model --classes 5-9 --block-sizes 28,7,1",
            ""})
final class AnalyzeCommand implements Callable<Integer> {

    /** Short fine-tuning runs on a few hundred images per class by default. */
    static final class Defaults extends OptionDefaults {
        Defaults() {
            super(Map.of("--epochs", "5"));
        }
    }

    @Parameters(index = "0", defaultValue = "all", paramLabel = "WHAT", description = "all, or"
            + " any of shuffle, landscape, criticality, similarity, checkpoints (default:"
            + " ${DEFAULT-VALUE}).")
    String what;

    @Option(names = "--model", required = true, paramLabel = "CKPT", description =
            "Pretrained checkpoint folder (the source model).")
    Path model;

    @Option(names = "--data", description = "Target dataset name or folder (default: the"
            + " model's dataset).")
    String data;

    @Option(names = "--classes", description = "Target classes, relabelled 0..k-1: 5-9, 5,6,7,"
            + " or class names (default: all).")
    String classes;

    @Option(names = "--shots", defaultValue = "500", description = "Labelled target images per"
            + " class for every run; 0 = all (default: ${DEFAULT-VALUE}).")
    int shots;

    @Option(names = "--block-sizes", split = ",", paramLabel = "B", description = "Block sides"
            + " for shuffle, each dividing the image side (default: every divisor, e.g. 28, 14,"
            + " 7, 4, 2, 1).")
    List<Integer> blockSizes;

    @Option(names = "--steps", defaultValue = "10", description = "Intervals on each"
            + " interpolation line (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--cka-images", defaultValue = "1000", paramLabel = "N", description =
            "Test images whose representations CKA compares (default: ${DEFAULT-VALUE}).")
    int ckaImages;

    @Option(names = "--alphas", split = ",", defaultValue = "0,0.25,0.5,0.75,1",
            description = "Points on each module's path from its start (0) to trained (1)"
                    + " (default: ${DEFAULT-VALUE}).")
    double[] alphas;

    @Option(names = "--source-epochs", defaultValue = "5", description = "Pretraining epochs"
            + " kept for checkpoints (default: ${DEFAULT-VALUE}).")
    int sourceEpochs;

    @Mixin
    TaskOption head;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        model = head.resolve(model, common::log);
        Analysis.Config config = new Analysis.Config(model, data, classes, shots == 0 ? null
                : shots, Analysis.Part.parse(what), blockSizes, steps, ckaImages,
                Arrays.copyOf(alphas, alphas.length), sourceEpochs, train.toConfig(common.seed,
                        5));
        Path dir = RunNames.folder(common.out, "analyze", what.replace(',', '_'), config);
        Analysis.Result r = new Analysis(common::log).progress(common.progress())
                .run(config, dir);
        common.print(r, AnalysisReport.text(r) + "report: " + dir.resolve("report.html") + "\n");
        return 0;
    }
}
