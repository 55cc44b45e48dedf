package dev.graft.cli;

import dev.graft.model.ModelOptions;
import dev.graft.train.Benchmark;
import dev.graft.train.EpochMetrics;
import dev.graft.train.StepProfile;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft bench}: training and inference throughput, peak memory. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Training and inference images/s and peak memory of an architecture.", "",
            "Runs graft's training loop on real data (the first epoch is warm-up), then an",
            "inference pass. Compare with the PyTorch peer: bench/compare_throughput.sh", ""})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--arch", defaultValue = "convnet", description = "Architecture "
            + "(default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--width", defaultValue = "1", description = "convnet channel multiplier "
            + "(default: ${DEFAULT-VALUE}).")
    double width;

    @Option(names = {"--batch-size", "-b"}, defaultValue = "128", description = "Batch size "
            + "(default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--steps", defaultValue = "100", description = "Optimizer steps per epoch "
            + "(default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--epochs", defaultValue = "3", description = "Epochs; the first is warm-up "
            + "(default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--data", defaultValue = "fashion-mnist", description = "Dataset "
            + "(default: ${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--input-size", defaultValue = "0", paramLabel = "PIXELS", description =
            "Inference only, on random RGB images of this side (e.g. 224 for resnet50); --steps"
            + " batches per pass, --epochs timed passes, the fastest reported. Compare with"
            + " PyTorch: bench/compare_inference.sh")
    int inputSize;

    @Option(names = "--model", paramLabel = "ENCODER", description = "A text encoder graft"
            + " carries (minilm): its inference in graft against ONNX Runtime on the same ONNX"
            + " file, sentences of --data (default uci-sentiment), --steps x --batch-size of"
            + " them per round, --epochs + 1 alternating rounds (the first is warm-up).")
    String model;

    @Option(names = "--profile", paramLabel = "TRACE.json", description = "Record every engine"
            + " operator of the timed epochs with libtorch's profiler: the Chrome trace goes to"
            + " this file (chrome://tracing), and the operators that took the most self time are"
            + " listed. Compare with the PyTorch peer: bench/profile_step.sh")
    java.nio.file.Path profile;

    @Option(names = "--profile-top", defaultValue = "20", paramLabel = "N", description =
            "Operators listed with --profile (default: ${DEFAULT-VALUE}).")
    int profileTop;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        common.refuseOut("bench");
        if (profileTop < 1) {
            throw new IllegalArgumentException("--profile-top must be at least 1, got "
                    + profileTop);
        }
        if (profile != null) {
            if (model != null || inputSize > 0) {
                throw new IllegalArgumentException("--profile records training steps; it does not"
                        + " go with " + (model != null ? "--model" : "--input-size") + " (inference"
                        + " only)");
            }
            if (java.nio.file.Files.exists(profile)) {
                throw new IllegalArgumentException("--profile " + profile + " exists; name a new"
                        + " file (graft does not overwrite it)");
            }
        }
        if (model != null) {
            return encoder();
        }
        Benchmark.Result r = Benchmark.run(new Benchmark.Config(data, arch,
                new ModelOptions(width, null), batchSize, steps, epochs, common.seed, inputSize,
                profile),
                common::log, common.progress());
        StringBuilder sb = new StringBuilder(String.format(
                "%s, batch %d, %,d parameters, %s on %d cpus%n%s"
                + "  inference %,8.1f images/s%n  peak RSS  %,8.0f MiB%n", r.architecture(),
                r.batchSize(), r.parameters(), r.engine(), r.cpus(), inputSize > 0 ? ""
                        : String.format("  training  %,8.0f images/s%n",
                                r.trainImagesPerSecond()), r.inferenceImagesPerSecond(),
                r.peakRssMb()));
        if (!Double.isNaN(r.minorFaultsPerStep())) {
            sb.append(String.format("  page faults %,6.0f per step (memory the kernel maps and"
                    + " zeroes again)%n", r.minorFaultsPerStep()));
        }
        for (EpochMetrics m : r.epochs()) {
            sb.append(String.format("  epoch %2d: %,6.0f images/s, peak RSS %,6.0f MiB, heap %,5.0f"
                    + " MiB%s%n", m.epoch(), m.imagesPerSecond(), m.peakRssMb(), m.heapUsedMb(),
                    m.epoch() == 1 && r.epochs().size() > 1 ? " (warm-up)" : ""));
        }
        if (r.profile() != null) {
            StepProfile.Summary p = r.profile();
            sb.append(String.format("profile of %d steps (%s): %,.0f ms wall, %,.0f ms of operator"
                    + " self time; per step:%n  %9s %9s %7s  operator%n", p.steps(), p.trace(),
                    p.wallMs(), p.selfMs(), "self ms", "total ms", "calls"));
            for (StepProfile.Row row : p.rows().subList(0, Math.min(profileTop,
                    p.rows().size()))) {
                sb.append(String.format("  %9.2f %9.2f %7.1f  %s%n", row.selfMs() / p.steps(),
                        row.totalMs() / p.steps(), (double) row.calls() / p.steps(),
                        row.operator()));
            }
        }
        common.print(r, sb.toString());
        return 0;
    }

    private int encoder() {
        dev.graft.zoo.TextEncoders.Known known = dev.graft.zoo.TextEncoders.Known.byId(model);
        if (known == null) {
            throw new IllegalArgumentException("--model " + model + " is not a text encoder graft"
                    + " carries; known: minilm");
        }
        java.nio.file.Path ckpt = dev.graft.zoo.TextEncoders.resolve(java.nio.file.Path.of(model),
                common::log);
        String text = data.equals("fashion-mnist") ? "uci-sentiment" : data;
        try (java.io.InputStream onnx = known.openOnnx()) {
            dev.graft.export.EncoderSpeed.Result r = dev.graft.export.EncoderSpeed.run(ckpt, onnx,
                    text, steps * batchSize, batchSize, epochs + 1, common::log);
            common.print(r, String.format("%s on %s, %d sentences (%.1f tokens on average), batch"
                    + " %d, %d threads:%n  graft        %,8.1f sentences/s%n  ONNX Runtime"
                    + " %,8.1f sentences/s%n  graft / ONNX Runtime %.2fx (median of %d timed"
                    + " rounds)%n", model, text, r.sentences(), r.meanTokens(), r.batchSize(),
                    r.threads(), r.graftPerSecond(), r.onnxRuntimePerSecond(), r.ratio(),
                    r.rounds() - 1));
            return 0;
        } catch (java.io.IOException e) {
            throw new dev.graft.io.GraftException("cannot read " + model + "'s ONNX file: "
                    + e.getMessage(), e);
        }
    }
}
