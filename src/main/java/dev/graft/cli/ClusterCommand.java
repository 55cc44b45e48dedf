package dev.graft.cli;

import dev.graft.compress.Clustering;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft cluster}: weight sharing by k-means. */
@Command(name = "cluster", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Share weights: each linear and convolution layer keeps k distinct values.",
            "",
            "k-means on each layer's weights (centroids start evenly between its smallest and",
            "largest weight), every weight replaced by its centroid; a layer is then a codebook",
            "of k floats and log2(k)-bit indices (Deep Compression). Fine-tuning (--epochs, 2 by",
            "default; --no-finetune for none) keeps the sharing: after every step each centroid",
            "becomes its members' mean.", ""},
        footer = {"", "Examples:",
            "  graft cluster --model runs/fm/model --clusters 16",
            "  graft cluster --model runs/fm/model --clusters 4 --epochs 3", ""})
final class ClusterCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder.")
    Path model;

    @Option(names = "--clusters", defaultValue = "16", paramLabel = "K", description = "Shared"
            + " values per layer, 2 to 256 (default: ${DEFAULT-VALUE}, 4-bit indices).")
    int clusters;

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
        Clustering.Config config = new Clustering.Config(model, step.data, clusters,
                step.valFraction, step.fineTune(train, common.seed), common.seed);
        Path dir = RunNames.folder(common.out, "cluster", Integer.toString(clusters), config);
        Clustering.Result r = new Clustering(common::log).progress(common.progress())
                .run(config, dir);
        common.print(r, Clustering.text(r));
        return 0;
    }
}
