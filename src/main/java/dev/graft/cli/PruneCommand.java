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
        description = {"Prune a checkpoint: single weights (--sparsity) or whole filters"
            + " (--filters).", "",
            "--sparsity S zeroes the share S of the weights of linear and convolution layers",
            "(not biases, not BatchNorm) of smallest magnitude, under a mask held after every",
            "optimizer step, so pruned weights stay exactly zero. --scope global ranks all",
            "weights together, so layers lose different shares; layerwise prunes each alike.",
            "The checkpoint keeps mask.safetensors beside its weights; pruning it again starts",
            "from that mask and never revives a pruned weight. Dense kernels still multiply",
            "the zeros: this saves storage once compressed, not time.", "",
            "--filters F removes whole filters and hidden units of smallest L1 norm, every",
            "layer keeping the same share, until the share F of the multiply-adds is gone,",
            "and rebuilds a smaller dense network (BatchNorm and the next layer's inputs",
            "shrink too): fewer parameters, fewer multiply-adds, faster inference, measured",
            "side by side against the model as given. convnet and mlp; resnet18 is refused.", "",
            "Over --rounds rounds each round removes the same share of what is left, then",
            "fine-tunes (--epochs per round). The data is the model's own task.", ""},
        footer = {"", "Examples:",
            "  graft prune --model runs/fm/model --sparsity 0.8",
            "  graft prune --model runs/fm/model --sparsity 0.9 --rounds 3 --epochs 2",
            "  graft prune --model runs/fm/model --sparsity 0.5 --no-finetune --scope layerwise",
            "  graft prune --model runs/fm/model --filters 0.5 --epochs 3",
            ""})
final class PruneCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder to prune.")
    Path model;

    @Option(names = "--sparsity", paramLabel = "S", description = "Share of prunable"
            + " weights set to zero at the end, in [0, 1) (default: 0.8 unless --filters).")
    Double sparsity;

    @Option(names = "--filters", paramLabel = "F", description = "Instead of single weights,"
            + " remove whole filters and units until this share of the multiply-adds is gone,"
            + " in [0, 1); 0.5 halves them.")
    Double filters;

    @Option(names = "--scope", defaultValue = "global", description = "global or layerwise"
            + " (default: ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--rounds", defaultValue = "1", description = "Prune-then-fine-tune rounds"
            + " to reach the sparsity (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--channel-multiple", defaultValue = "16", paramLabel = "N", description =
            "With --filters: a layer whose channels feed a convolution keeps a multiple of N"
            + " of them. oneDNN's CPU kernels work in blocks of 16 channels, and libtorch"
            + " 2.7.1's AVX-512 backward pass is unsafe for other counts, so graft refuses to"
            + " train those there; 1 removes filters one by one (default: ${DEFAULT-VALUE}).")
    int channelMultiple;

    @Mixin
    TaskOption head;

    @Mixin
    CompressOptions step;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        model = head.resolve(model, common::log);
        if (sparsity != null && filters != null) {
            throw new IllegalArgumentException("--sparsity and --filters are two methods; give"
                    + " one (prune filters first, then weights of the smaller model)");
        }
        Pruning.Method method = filters != null ? Pruning.Method.FILTERS
                : Pruning.Method.MAGNITUDE;
        double amount = filters != null ? filters : sparsity != null ? sparsity : 0.8;
        Pruning.Config config = new Pruning.Config(model, step.data, method, amount,
                Pruning.Scope.parse(scope), rounds, channelMultiple, step.valFraction,
                step.fineTune(train, common.seed), common.seed);
        Path dir = RunNames.folder(common.out, "prune", (filters != null ? "filters" : "weights")
                + String.format("%.0f", 100 * amount), config);
        Pruning.Result r = new Pruning(common::log).progress(common.progress()).run(config, dir);
        common.print(r, PruningReport.text(r) + "report: " + dir.resolve("report.html") + "\n");
        return 0;
    }
}
