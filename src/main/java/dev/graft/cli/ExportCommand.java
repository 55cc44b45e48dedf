package dev.graft.cli;

import dev.graft.compress.Int8;
import dev.graft.export.Export;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft export}: a checkpoint as ONNX, checked in ONNX Runtime. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a checkpoint as an ONNX model and check it in ONNX Runtime.", "",
            "model.onnx: float32, BatchNorm folded into the convolutions. With --int8 also",
            "model.int8.onnx: int8 weights (one scale per output channel) and uint8 inputs of",
            "every convolution and linear layer, as QuantizeLinear/DequantizeLinear (QDQ), which",
            "ONNX Runtime runs with integer kernels. Input 'input' [batch, C, H, W], normalized",
            "as the model's metadata says; output 'logits'. A text encoder takes 'input_ids'",
            "and 'attention_mask' (int64 [batch, tokens]) from the tokenizer.json written beside",
            "it; int8 there covers every linear layer (attention's own products stay float).",
            "Before reporting, each file runs on the model's test examples in ONNX Runtime:",
            "float32 must match graft within 1e-4; int8 is compared with graft's int8",
            "simulation. Sizes and speed (side by side with graft's float32 inference at batch",
            "64) go to export.json.", ""},
        footer = {"", "Examples:",
            "  graft export --model runs/fm/model --out runs/fm-onnx",
            "  graft export --model runs/fm/model --int8 --calibration percentile",
            "  graft export --model runs/minilm-sentiment/model --int8", ""})
final class ExportCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder, or minilm (the text encoder graft carries).")
    Path model;

    @Option(names = "--format", defaultValue = "onnx", description = "onnx, the one format"
            + " (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--int8", description = "Also write the int8 model.")
    boolean int8;

    @Option(names = "--calibration", defaultValue = "min-max", description = "With --int8:"
            + " min-max or percentile (default: ${DEFAULT-VALUE}).")
    String calibration;

    @Option(names = "--calibration-images", defaultValue = "512", paramLabel = "N",
            description = "With --int8: training examples that set the activation ranges"
                    + " (default: ${DEFAULT-VALUE}).")
    int calibrationImages;

    @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime threads;"
            + " 0 = one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--data", description = "Dataset for the checks and calibration (default:"
            + " the one the model was trained on).")
    String data;

    @Mixin
    TaskOption head;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        if (!format.equalsIgnoreCase("onnx")) {
            throw new IllegalArgumentException("--format " + format + " is not supported; graft"
                    + " exports onnx");
        }
        model = head.resolve(model, common::log);
        Export.Config config = new Export.Config(model, data, int8,
                Int8.Calibration.parse(calibration), calibrationImages, threads, common.seed);
        Path dir = RunNames.folder(common.out, "export", int8 ? "onnx-int8" : "onnx", config);
        Export.Result r = new Export(common::log).run(config, dir);
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("graft float32", String.format(Locale.ROOT, "%,d", r.weightsBytes()),
                String.format(Locale.ROOT, "%.2f", 100 * r.graftAccuracy()), "", "",
                String.format(Locale.ROOT, "%,.0f", r.graftImagesPerSecond()), "1.00x"));
        for (Export.File f : r.files()) {
            rows.add(List.of(Path.of(f.path()).getFileName() + " (ONNX Runtime)",
                    String.format(Locale.ROOT, "%,d", f.bytes()),
                    String.format(Locale.ROOT, "%.2f", 100 * f.testAccuracy()),
                    f.maxAbsDiff() == null ? "" : String.format(Locale.ROOT, "%.1e",
                            f.maxAbsDiff()),
                    String.format(Locale.ROOT, "%.2f%%", 100 * f.agreement()),
                    String.format(Locale.ROOT, "%,.0f", f.imagesPerSecond()),
                    String.format(Locale.ROOT, "%.2fx", f.speedup())));
        }
        common.print(r, dev.graft.report.TextTable.render(List.of("model", "bytes",
                "test accuracy (%)", "max |logit diff|", "same class", "examples/s", "speed"),
                rows) + (r.int8SimulatedAccuracy() == null ? "" : String.format(Locale.ROOT,
                        "graft's int8 simulation: %.2f%%; 'same class' for int8 compares with"
                        + " it%n", 100 * r.int8SimulatedAccuracy()))
                + String.format(Locale.ROOT, "speed: batch %d, alternating with graft's float32"
                        + " inference%nfolder: %s%n", r.batchSize(), dir));
        return 0;
    }
}
