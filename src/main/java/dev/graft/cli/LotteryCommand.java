package dev.graft.cli;

import dev.graft.compress.Pruning;
import dev.graft.lottery.Lottery;
import dev.graft.lottery.LotteryReport;
import dev.graft.model.ModelOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft lottery}: iterative magnitude pruning with rewinding, and its controls. */
@Command(name = "lottery", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = LotteryCommand.PaperDefaults.class,
        description = {"Find lottery tickets: sparse subnetworks that train as well as the dense"
            + " network.", "",
            "Iterative magnitude pruning (Frankle and Carbin 2019): initialize and keep the initial",
            "weights; train (round 0, dense); prune --rate of the remaining weights of every layer",
            "by magnitude (the output layer at --output-rate, or all ranked together with --scope",
            "global); reset the survivors to their initial values, or to their values at iteration",
            "--rewind (late rewinding, Frankle et al. 2019), and train again; repeat --rounds times.",
            "--one-shot prunes the dense network straight to each round's sparsity instead.", "",
            "Every round also trains two controls of the same sparsity: the ticket's mask on a new",
            "random initialization (random reinit) and a random mask with as many weights per",
            "layer on the rewound weights (random mask); --no-controls skips them. Every run is",
            "traced every --eval-every iterations; the early-stopping iteration is the one of",
            "least validation loss, as in the paper.", "",
            "--from CKPT finds tickets in a pretrained network instead: its weights are the",
            "initialization (a new head for the target classes), training is on the target task.",
            "",
            "Defaults follow the paper's LeNet-300-100 setup (Adam 1.2e-3, batch 60, constant",
            "rate, 20%% per round, output layer 10%%). Writes DIR/round-NN/ (each round's ticket:",
            "weights, mask.safetensors, round.json), DIR/init/, DIR/report.html; --resume",
            "continues after the last finished round.", ""},
        footer = {"", "Examples:",
            "  graft lottery --arch mlp --rounds 10",
            "  graft lottery --arch convnet --rounds 8 --scope global --rewind 500",
            "  graft lottery --from runs/src/model --classes 5-9 --rounds 5 --epochs 3",
            "  graft lottery --data fashion-mnist-small --arch mlp --rounds 3 --epochs 2 --json",
            ""})
final class LotteryCommand implements Callable<Integer> {

    /** The paper's training setup for LeNet-300-100, as the defaults of the training options. */
    static final class PaperDefaults extends OptionDefaults {
        PaperDefaults() {
            super(Map.of("--epochs", "10", "--batch-size", "60", "--lr", "1.2e-3", "--schedule",
                    "constant"));
        }
    }

    @Option(names = "--arch", description = "Architecture to find tickets in, from random"
            + " initialization: mlp (LeNet-300-100), convnet or resnet18 (default: mlp unless"
            + " --from).")
    String arch;

    @Option(names = "--width", defaultValue = "1", description = "Channel multiplier for "
            + "convnet (default: ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--from", paramLabel = "CKPT", description = "A pretrained checkpoint to"
            + " find tickets in, trained on the target task given by --data / --classes.")
    Path from;

    @Option(names = "--rounds", defaultValue = "10", description = "Prune-rewind-train rounds"
            + " after the dense run (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--rate", defaultValue = "0.2", description = "Share of the remaining"
            + " weights pruned per round, in (0, 1) (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--output-rate", paramLabel = "RATE", description = "That share for the"
            + " output layer, layer-wise (default: half of --rate, as in the paper).")
    Double outputRate;

    @Option(names = "--scope", defaultValue = "layerwise", description = "layerwise (each layer"
            + " its rate) or global (all weights ranked together) (default: ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--rewind", defaultValue = "0", paramLabel = "ITER", description = "Reset"
            + " survivors to their values at this iteration of the dense run; 0 = at"
            + " initialization (default: ${DEFAULT-VALUE}).")
    long rewind;

    @Option(names = "--one-shot", description = "Prune the dense network straight to each"
            + " round's sparsity, not the previous round's ticket.")
    boolean oneShot;

    @Option(names = "--no-controls", description = "Skip the random-reinit and random-mask"
            + " controls (a third of the time).")
    boolean noControls;

    @Option(names = "--eval-every", defaultValue = "100", paramLabel = "ITER", description =
            "Iterations between traced evaluations (validation loss, test accuracy)"
            + " (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--resume", description = "Continue the run in --out after its last"
            + " finished round.")
    boolean resume;

    @Mixin
    TaskOptions task;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        if (resume && common.out == null) {
            throw new IllegalArgumentException("--resume needs --out DIR, the run to continue");
        }
        String architecture = from == null ? (arch != null ? arch : "mlp") : null;
        if (from != null && arch != null) {
            throw new IllegalArgumentException("--arch and --from exclude each other: --from"
                    + " takes the pretrained network's architecture");
        }
        Lottery.Config config = new Lottery.Config(architecture, from == null
                ? new ModelOptions(width, null) : null, from, task.data, task.classes,
                task.shots, task.valFraction, rounds, rate, outputRate != null ? outputRate
                        : rate / 2, Pruning.Scope.parse(scope), rewind, oneShot, !noControls,
                evalEvery, train.toConfig(common.seed, 10));
        Path dir = RunNames.folder(common.out, "lottery", from != null ? "pretrained"
                : architecture, config);
        Lottery.Result r = new Lottery(common::log).progress(common.progress())
                .run(config, dir, resume);
        common.print(r, LotteryReport.text(r) + "report: " + dir.resolve("report.html") + "\n");
        return 0;
    }
}
