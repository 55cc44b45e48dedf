package dev.graft.cli;

import dev.graft.compress.Pruning;
import dev.graft.compress.PruningReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft prune}: unstructured magnitude pruning with fine-tuning between rounds. */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prune a checkpoint's weights of smallest magnitude to a target sparsity.",
            "",
            "Prunable are the weights of linear and convolution layers (not biases, not",
            "BatchNorm). --scope global ranks all of them together, so layers lose different",
            "shares; layerwise prunes every layer alike. Over --rounds rounds, each round prunes",
            "the same share of the weights still kept and fine-tunes with the mask held after",
            "every optimizer step, so pruned weights stay exactly zero. The result is a",
            "checkpoint with mask.safetensors beside its weights; pruning it again starts from",
            "that mask and never revives a pruned weight. The data is the model's own task.", ""},
        footer = {"", "Examples:",
            "  graft prune --model runs/fm/model --sparsity 0.8",
            "  graft prune --model runs/fm/model --sparsity 0.9 --rounds 3 --epochs 2",
            "  graft prune --model runs/fm/model --sparsity 0.5 --no-finetune --scope layerwise",
            ""})
final class PruneCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder to prune.")
    Path model;

    @Option(names = "--sparsity", defaultValue = "0.8", description = "Share of prunable"
            + " weights set to zero at the end, in [0, 1) (default: ${DEFAULT-VALUE}).")
    double sparsity;

    @Option(names = "--scope", defaultValue = "global", description = "global or layerwise"
            + " (default: ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--rounds", defaultValue = "1", description = "Prune-then-fine-tune rounds"
            + " to reach the sparsity (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--no-finetune", description = "Prune without fine-tuning, to measure"
            + " one-shot pruning alone; by default every round fine-tunes with the mask held"
            + " for --epochs (default 2).")
    boolean noFineTune;

    @Option(names = "--data", description = "Dataset (default: the one the model was trained"
            + " on); the model's classes are selected by name.")
    String data;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Share of each class"
            + " held out to choose each round's best epoch; 0 keeps the last"
            + " (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        Pruning.Config config = new Pruning.Config(model, data, sparsity,
                Pruning.Scope.parse(scope), rounds, valFraction,
                noFineTune ? null : train.toConfig(common.seed, 2), common.seed);
        Path dir = RunNames.folder(common.out, "prune", String.format("%.0f", 100 * sparsity),
                config);
        Pruning.Result r = new Pruning(common::log).progress(common.progress()).run(config, dir);
        common.print(r, PruningReport.text(r) + "report: " + dir.resolve("report.html") + "\n");
        return 0;
    }
}
