package dev.graft.cli;

import dev.graft.adapt.AdaptReport;
import dev.graft.adapt.Adaptation;
import dev.graft.adapt.Method;
import dev.graft.adapt.Recipe;
import dev.graft.adapt.Validator;
import dev.graft.data.DomainShift;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft adapt}: domain adaptation without target labels. */
@Command(name = "adapt", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Adapt a model trained on a labelled source domain to a target domain",
            "whose labels are never read (transductive transfer), with several methods, and",
            "compare them on the target's test split.", "",
            "Every method starts from --model and trains --epochs passes over the source (each",
            "step one source batch and one target batch of the same size); shot passes over the",
            "target alone.", "",
            "The methods and the domain shifts are listed at the end."},
        footer = {"", "Examples:",
            "  graft pretrain --data mnist --arch convnet --epochs 5 --out runs/mnist",
            "  graft adapt --model runs/mnist/model --target optdigits --seeds 3",
            "  graft adapt --model runs/fm/model --target fashion-mnist:invert"
                + " --methods source-only,adabn --json"})
final class AdaptCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT", description = "The source"
            + " model's checkpoint folder (e.g. graft pretrain --data mnist --out runs/m:"
            + " runs/m/model).")
    Path model;

    @Option(names = "--target", required = true, paramLabel = "DATA", description = "The target"
            + " domain: a dataset name or folder with the source's classes, e.g. optdigits or"
            + " fashion-mnist:invert; its training split is used without labels, its test split"
            + " evaluates.")
    String target;

    @Option(names = "--source", paramLabel = "DATA", description = "The labelled source data"
            + " (default: the data --model was trained on).")
    String source;

    @Option(names = "--methods", defaultValue = "source-only,oracle,adabn,self-training,fixmatch,"
            + "coral,mmd,dann,mcc,shot,label-propagation,tsvm,em", paramLabel = "LIST",
            description = "Methods to run (default: every method listed at the end, none"
                    + " combined).")
    String methods;

    @Option(names = "--seeds", defaultValue = "1", description = "Repetitions of every method"
            + " (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--select", defaultValue = "im", paramLabel = "VALIDATOR",
            description = "How to pick a method without target labels: im (information"
            + " maximization: diverse, confident target predictions), entropy, snd (soft"
            + " neighbourhood density, Saito et al. 2021), source-accuracy (default:"
            + " ${DEFAULT-VALUE}; the README says how each chose).")
    String select;

    @Option(names = "--trade-off", defaultValue = "1", description = "Weight of each method's"
            + " term against source cross-entropy (default: ${DEFAULT-VALUE}).")
    double tradeOff;

    @Option(names = "--threshold", defaultValue = "0.95", description = "self-training's"
            + " confidence threshold (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--no-epoch-cost", description = "Skip timing each joint method against"
            + " plain training, side by side (7 rounds of 20 steps each: two to three minutes a"
            + " method for a convnet, once per run folder; a later run into the folder adds it).")
    boolean noEpochCost;

    @Mixin
    TaskOption head;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        model = head.resolve(model, common::log);
        Adaptation.Config config = new Adaptation.Config(model, source, target,
                Recipe.parseList(methods), seeds, tradeOff, threshold, Validator.parse(select),
                train.toConfig(common.seed, 5));
        Path dir = RunNames.stableFolder(common.out, "adapt", target.replace(':', '_'), config);
        common.log("run folder: " + dir);
        Adaptation.Result r = new Adaptation(common::log).progress(common.progress())
                .epochCost(!noEpochCost).run(config, dir);
        common.print(r, AdaptReport.text(config, r) + "report: "
                + dir.resolve(dev.graft.report.Report.FILE) + "\n");
        return 0;
    }

    /** The help's method list and the domain shifts, from their registries. */
    static String footer() {
        return "\nMethods (--methods, comma-separated; adabn+METHOD combines):\n"
                + String.join("\n", Method.help())
                + "\n\nDomain shifts, written after a dataset name (any command):\n"
                + DomainShift.describeAll();
    }
}
