package dev.graft.cli;

import dev.graft.compress.Int8;
import dev.graft.compress.Quantization;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft quantize}: int8 post-training quantization, simulated. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure int8 post-training quantization of a checkpoint.", "",
            "Weights: int8, symmetric, one scale per output channel. The input of every",
            "convolution and linear layer: uint8 over a range calibrated on training examples,",
            "min-max (all values) or percentile (0.01%% clipped at each end). BatchNorm is folded",
            "into the convolutions first, as deployment does. graft runs the network this way",
            "(quantize, then dequantize) and reports test accuracy beside float32 and how often",
            "the two pick the same class. A text encoder quantizes every linear layer (the",
            "attention's own products stay float). 'graft export --int8' writes the ONNX model.",
            ""},
        footer = {"", "Examples:",
            "  graft quantize --model runs/fm/model",
            "  graft quantize --model runs/fm/model --calibration percentile"
                + " --calibration-images 256",
            "  graft quantize --model runs/fm/model --qat-epochs 1 --lr 1e-4", ""})
final class QuantizeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder, or minilm (the text encoder graft carries).")
    Path model;

    @Option(names = "--calibration", split = ",", defaultValue = "min-max,percentile",
            description = "min-max and/or percentile, comma-separated (default:"
                    + " ${DEFAULT-VALUE}).")
    List<String> calibration;

    @Option(names = "--calibration-images", defaultValue = "512", paramLabel = "N",
            description = "Training examples that set the activation ranges"
                    + " (default: ${DEFAULT-VALUE}).")
    int calibrationImages;

    @Option(names = "--qat-epochs", defaultValue = "0", paramLabel = "N", description =
            "Then quantization-aware training for N epochs: the forward pass rounds weights and"
            + " inputs to int8 (BatchNorm folded, its statistics frozen), the backward pass"
            + " treats rounding as the identity (straight-through estimator); 0 = none"
            + " (default: ${DEFAULT-VALUE}). Training options below; --lr 1e-4 is typical.")
    int qatEpochs;

    @Option(names = "--data", description = "Dataset (default: the one the model was trained"
            + " on); the model's classes are selected by name.")
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
        Quantization.Config config = new Quantization.Config(model, data, calibration.stream()
                .map(Int8.Calibration::parse).toList(), calibrationImages, qatEpochs == 0 ? null
                        : qatConfig(), common.seed);
        Path dir = RunNames.folder(common.out, "quantize", "int8", config);
        Quantization.Result r = new Quantization(common::log).progress(common.progress())
                .run(config, dir);
        common.print(r, Quantization.text(r) + "run: " + dir + "\n");
        return 0;
    }

    private dev.graft.train.TrainConfig qatConfig() {
        if (train.epochs != null && train.epochs != qatEpochs) {
            throw new IllegalArgumentException("--epochs " + train.epochs + " and --qat-epochs "
                    + qatEpochs + " disagree; give --qat-epochs only");
        }
        train.epochs = qatEpochs;
        return train.toConfig(common.seed, qatEpochs, FinetuneCommand.isText(model));
    }
}
