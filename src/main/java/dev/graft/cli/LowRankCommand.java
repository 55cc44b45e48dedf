package dev.graft.cli;

import dev.graft.compress.Factorization;
import dev.graft.compress.FactorizationReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft lowrank}: low-rank factorization by truncated SVD. */
@Command(name = "lowrank", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replace layers by two thinner ones from a truncated SVD.", "",
            "A linear layer W [out, in] becomes a linear layer to r units (no bias) followed",
            "by one to out units: W ~ (U sqrt(S)) (sqrt(S) V^T), r (in + out) weights instead",
            "of in x out. A k x k convolution becomes a k x k convolution to r channels",
            "followed by a 1 x 1 convolution. The rank of each layer comes from --weights (the",
            "largest rank within that share of the layer's weights) or --energy (the smallest",
            "rank keeping that share of the squared singular values); convolution ranks are",
            "rounded down to a multiple of 16 (the 1 x 1 convolution reads that many channels,",
            "and oneDNN works in blocks of 16). Then --epochs of",
            "fine-tuning (2 by default; --no-finetune for none) on the model's own task.", ""},
        footer = {"", "Examples:",
            "  graft lowrank --model runs/fm/model --layers stage3.1 --weights 0.5",
            "  graft lowrank --model runs/fm/model --energy 0.9 --no-finetune",
            "  graft lowrank --model runs/mlp/model --layers layer1.fc,layer2.fc --weights 0.25",
            ""})
final class LowRankCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder to factorize.")
    Path model;

    @Option(names = "--layers", split = ",", paramLabel = "PATH", description = "Layers to"
            + " factorize, comma-separated (convnet: stage1.0.conv ... stage2.1.conv, stage3.1;"
            + " mlp: layer1.fc, layer2.fc); default: every linear layer of the trunk.")
    List<String> layers;

    @Option(names = "--weights", paramLabel = "SHARE", description = "Each layer's pair keeps"
            + " at most this share of its weights, in (0, 1).")
    Double weights;

    @Option(names = "--energy", paramLabel = "SHARE", description = "Each layer keeps the"
            + " smallest rank holding this share of its squared singular values, in (0, 1].")
    Double energy;

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
        Factorization.Config config = new Factorization.Config(model, step.data,
                layers == null ? List.of() : layers, weights == null && energy == null ? 0.5
                        : weights, energy, step.valFraction,
                step.fineTune(train, common.seed), common.seed);
        Path dir = RunNames.folder(common.out, "lowrank", String.join("+",
                config.layers().isEmpty() ? List.of("linear") : config.layers()), config);
        Factorization.Result r = new Factorization(common::log).progress(common.progress())
                .run(config, dir);
        common.print(r, FactorizationReport.text(r) + "report: " + dir.resolve("report.html")
                + "\n");
        return 0;
    }
}
