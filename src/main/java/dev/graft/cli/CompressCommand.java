package dev.graft.cli;

import dev.graft.compress.Int8;
import dev.graft.export.Ledger;
import dev.graft.export.LedgerReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft compress}: a pipeline of compression steps and its ledger. */
@Command(name = "compress", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chain compression steps and write the ledger of what each cost and saved.",
            "",
            "Steps (--pipeline, comma-separated, each starting from the checkpoint before):",
            "  prune:S     magnitude pruning to sparsity S (graft prune --sparsity S)",
            "  filters:F   remove filters until the share F of multiply-adds is gone",
            "  lowrank:W   factorize every linear layer of the trunk to the share W of its weights",
            "  cluster:K   share K values per layer (k-means weight sharing)",
            "  int8        export ONNX float32 and int8 and run them in ONNX Runtime (last step)",
            "",
            "Each line of the ledger: test accuracy, parameters, non-zero parameters, bytes on",
            "disk, multiply-adds, and inference speed measured alternately with the model as",
            "given. Steps fine-tune for --epochs (default 2) unless --no-finetune.", ""},
        footer = {"", "Examples:",
            "  graft compress --model runs/fm/model --pipeline prune:0.8,lowrank:0.5,int8",
            "  graft compress --model runs/fm/model --pipeline filters:0.5,int8 --epochs 3", ""})
final class CompressCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder.")
    Path model;

    @Option(names = "--pipeline", required = true, description = "Steps, e.g."
            + " prune:0.8,lowrank:0.5,int8.")
    String pipeline;

    @Option(names = "--rounds", defaultValue = "1", description = "Rounds of each prune and"
            + " filters step (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--no-finetune", description = "No fine-tuning after the steps.")
    boolean noFineTune;

    @Option(names = "--calibration", defaultValue = "min-max", description = "int8 calibration:"
            + " min-max or percentile (default: ${DEFAULT-VALUE}).")
    String calibration;

    @Option(names = "--calibration-images", defaultValue = "512", paramLabel = "N",
            description = "Training images for the int8 ranges (default: ${DEFAULT-VALUE}).")
    int calibrationImages;

    @Option(names = "--data", description = "Dataset (default: the one the model was trained"
            + " on).")
    String data;

    @Mixin
    TaskOption head;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        model = head.resolve(model, common::log);
        Ledger.Config config = new Ledger.Config(model, data, Ledger.parse(pipeline), rounds,
                noFineTune ? null : train.toConfig(common.seed, 2),
                Int8.Calibration.parse(calibration), calibrationImages, common.seed);
        Path dir = RunNames.folder(common.out, "compress", pipeline.replace(':', '-')
                .replace(',', '_'), config);
        Ledger.Result r = new Ledger(common::log).progress(common.progress()).run(config, dir);
        common.print(r, LedgerReport.text(r) + "report: " + dir.resolve("report.html") + "\n");
        return 0;
    }
}
