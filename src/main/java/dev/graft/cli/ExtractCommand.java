package dev.graft.cli;

import dev.graft.model.Pooling;
import dev.graft.transfer.Extraction;
import dev.graft.transfer.FeatureCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft extract}: cache a frozen trunk's activations at a stage. */
@Command(name = "extract", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Cache a frozen trunk's activations (\"CNN codes\") at a stage.", "",
            "Runs the checkpoint up to --stage in inference mode over the train and test splits",
            "and writes DIR/train.safetensors, DIR/test.safetensors and DIR/codes.json, so a",
            "probe (graft probe) can be fitted again and again without the network.", ""},
        footer = {"", "Example (source classes 0-4, target classes 5-9, 10 labels per class):",
            "  graft extract --model runs/src/model --classes 5-9 --shots 10 --out codes/",
            "Text (sentence codes of the bundled UCI review sentences, then a probe):",
            "  graft extract --model minilm --data uci-sentiment --out codes/",
            "  graft probe --codes codes/"})
final class ExtractCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT", description =
            "Checkpoint folder, or a text encoder graft carries: minilm (all-MiniLM-L6-v2).")
    Path model;

    @Option(names = "--stage", description = "Stage to cut at (default: the last stage).")
    String stage;

    @Option(names = "--data", description = "Dataset name or IDX folder (default: the model's);"
            + " for a text encoder: uci-sentiment[:SITES], FILE.jsonl|csv|tsv, or"
            + " train=FILE,test=FILE.")
    String data;

    @Option(names = "--classes", description = "Target classes, relabelled 0..k-1 (e.g. 5-9).")
    String classes;

    @Option(names = "--shots", description = "Training images per class (default: all).")
    Integer shots;

    @Option(names = "--pooling", defaultValue = "avg", description = "avg (global average over "
            + "space; over the real tokens of a text), flatten, or none (vector stages only)"
            + " (default: ${DEFAULT-VALUE}).")
    String pooling;

    @Mixin
    TaskOption head;

    @Mixin
    TextFieldOptions fields;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        Pooling p = Pooling.parse(pooling);
        if (common.out == null) {
            throw new IllegalArgumentException("--out DIR is required: the folder for the codes");
        }
        dev.graft.train.RunFolder.open(common.out, true).close();
        FeatureCodes.Info info = Extraction.run(new Extraction.Config(
                head.resolve(model, common::log), stage, data, classes,
                shots, p, common.seed, fields.fields()), common.out, common::log);
        common.print(info, String.format("codes of dimension %d at %s written to %s%n",
                info.dim(), info.stage(), common.out));
        return 0;
    }
}
