package dev.graft.cli;

import dev.graft.data.MultiTaskData;
import dev.graft.model.ModelOptions;
import dev.graft.multitask.MultiTask;
import dev.graft.multitask.MultiTaskReport;
import dev.graft.multitask.Weighting;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft multitask}: one trunk, a head per task, the losses balanced. */
@Command(name = "multitask", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train one network on several tasks at once and compare it with a network",
            "per task.", "",
            "The first task is the network's own head; each further task gets a head of the",
            "same shape on the trunk's top stage, or with --head-stage on a lower stage, with",
            "its own copy of the stages above it (convnet --head-stage stage2: shared",
            "convolutions, a fully connected layer per task, as in Sener and Koltun's MultiMNIST",
            "network). Every step sums the task losses as the weighting says:",
            "  equal  every task weighs 1",
            "  uw     uncertainty weighting (Kendall et al. 2018): learned log-variances s,",
            "         sum L / (2 e^s) + s / 2 (LibMTL's form, s starting at -0.5)",
            "  dwa    dynamic weight average (Liu et al. 2019): K softmax(r / 2) of each task's",
            "         loss ratio over the last two epochs; 1 for the first two",
            "Three more work on each task's gradient instead (one backward pass per task):",
            "  gradnorm  GradNorm (Chen et al. 2018): weights K softmax(s), s learned so that",
            "            the tasks' gradient norms on the trunk follow their training rates",
            "            (alpha 1.5); equal weights in the first epoch",
            "  pcgrad    PCGrad (Yu et al. 2020): each task's trunk gradient loses its part",
            "            along any task gradient it conflicts with, in a random order",
            "  mgda-ub   MGDA-UB (Sener and Koltun 2018): the min-norm convex combination of",
            "            the tasks' gradients on the trunk's output (a pass through the heads)",
            "Beside them, single-task networks of the same architecture, initial trunk and",
            "training, one per task (--no-baselines skips them). Table: test accuracy per task",
            "(mean +- std over --seeds), delta m (LibMTL's average relative improvement over",
            "the single-task networks), each weighting's epoch time against equal weights.",
            "One checkpoint holds every task (DIR/<weighting>-seed<s>/model, model.json lists",
            "the tasks); each further task's network alone is written beside it as",
            "model-<task>, and every other command takes one task of it with --task NAME.",
            "report.html plots the weights and",
            "the losses per task over the epochs.", "",
            "Data: multi-fashion (two Fashion-MNIST garments on a 36x36 canvas, top-left and",
            "bottom-right, overlapping by maximum; tasks left, right) and multi-fashion+mnist",
            "(a garment and an MNIST digit; tasks garment, digit), each with -small for the",
            "bundled subsets; fashion-mnist+rotation (each garment turned by a seeded quarter",
            "turn; tasks class and rotation, a self-supervised auxiliary task; also -small).",
            "Or tasks on images of their own: datasets joined by commas, [TASK=]DATASET each",
            "(fashion-mnist,digit=mnist), one input shape; every step trains on a batch of each",
            "task's images, all in one forward pass; an epoch goes once through the first's.",
            ""},
        footer = {"", "Examples:",
            "  graft multitask --data multi-fashion --weighting equal,uw,dwa --epochs 10 --seeds 3",
            "  graft multitask --data multi-fashion-small --head-stage stage2 --weighting all",
            "  graft multitask --data fashion-mnist-small,mnist-small --head-stage stage2",
            "  graft multitask --data multi-fashion+mnist-small --epochs 3 --seeds 1 --json", ""})
final class MultitaskCommand implements Callable<Integer> {

    @Option(names = "--arch", defaultValue = "convnet", description = "Architecture: mlp,"
            + " convnet or resnet18 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--width", defaultValue = "1", description = "Channel multiplier for"
            + " convnet (default: ${DEFAULT-VALUE}).")
    double width;

    @Option(names = "--data", defaultValue = "multi-fashion", description = "Multi-task data:"
            + " multi-fashion, multi-fashion+mnist, fashion-mnist+rotation, or each with"
            + " -small (fashion-mnist-small+rotation); or [TASK=]DATASET,... for tasks on"
            + " images of their own (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--weighting", split = ",", defaultValue = "equal,uw,dwa", description =
            "Weightings to compare, comma-separated: equal, uw, dwa, gradnorm, pcgrad,"
            + " mgda-ub, or all (default: ${DEFAULT-VALUE}).")
    List<String> weightings;

    @Option(names = "--seeds", defaultValue = "3", description = "Repetitions of every network"
            + " (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--shots", paramLabel = "N", description = "Labelled training examples"
            + " per class of the first task, drawn afresh for each seed; every task keeps its"
            + " labels of them (tasks on images of their own: N per class of each) (default:"
            + " the whole training set). Small sets take more"
            + " --epochs: 10 per class of 10 classes is one step per epoch at batch 128.")
    Integer shots;

    @Option(names = "--head-stage", paramLabel = "STAGE", description = "The trunk stage the"
            + " further tasks' heads sit on; each task has its own copy of the stages above it"
            + " (convnet: stage1, stage2, stage3; mlp: layer1, layer2; resnet18: stem, layer1 to"
            + " layer4) (default: the top stage, every stage shared).")
    String headStage;

    @Option(names = "--no-baselines", description = "Skip the single-task networks (no delta"
            + " m then).")
    boolean noBaselines;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        if (!MultiTaskData.isMultiTask(data)) {
            throw new IllegalArgumentException("--data " + data + " is not a multi-task dataset;"
                    + " known: " + String.join(", ", MultiTaskData.NAMES) + ", or datasets"
                    + " joined by commas (a task each, on its own images)");
        }
        MultiTask.Config config = new MultiTask.Config(arch, new ModelOptions(width, null), data,
                weightings.equals(List.of("all")) ? List.of(Weighting.values())
                        : weightings.stream().map(Weighting::byId).toList(), seeds, !noBaselines,
                shots, headStage, train.toConfig(common.seed, 10));
        Path dir = RunNames.folder(common.out, "multitask",
                data.replaceAll("[^A-Za-z0-9._,=+-]", "-"), config);
        MultiTask.Result r = new MultiTask(common::log).progress(common.progress())
                .run(config, dir);
        common.print(r, MultiTaskReport.text(r, config) + "run: " + dir + "\n");
        return 0;
    }
}
