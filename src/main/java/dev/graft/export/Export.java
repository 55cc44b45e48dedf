package dev.graft.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.compress.Int8;
import dev.graft.compress.ModelTask;
import dev.graft.data.Examples;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Json;
import dev.graft.model.Checkpoint;
import dev.graft.model.LayerProgram;
import dev.graft.model.StagedNet;
import dev.graft.train.Benchmark;
import dev.graft.train.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code graft export}: a checkpoint as ONNX ({@code model.onnx}, and with int8
 * {@code model.int8.onnx}), each file checked in ONNX Runtime against graft on the model's test
 * images before the command reports success, with file sizes and inference speed measured side
 * by side with graft's float32 inference.
 */
public final class Export {

    /** The file names written into the output folder. */
    public static final String FP32_FILE = "model.onnx";
    public static final String INT8_FILE = "model.int8.onnx";
    /** Largest float32 logit difference from graft accepted. */
    public static final double FP32_TOLERANCE = 1e-4;
    /** Least share of test images on which int8 must pick graft's int8 simulation's class. */
    public static final double INT8_AGREEMENT = 0.99;

    /**
     * @param calibrationImages training images that set the int8 activation ranges
     * @param threads ONNX Runtime intra-op threads (0: one per core)
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("int8") boolean int8,
            @JsonProperty("calibration") Int8.Calibration calibration,
            @JsonProperty("calibration_images") int calibrationImages,
            @JsonProperty("threads") int threads,
            @JsonProperty("seed") long seed) {

        public Config {
            if (int8 && calibrationImages < 1) {
                throw new IllegalArgumentException("--calibration-images must be at least 1,"
                        + " got " + calibrationImages + " (int8 ranges need images)");
            }
            if (threads < 0) {
                throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
            }
        }
    }

    /**
     * One exported file and how it fared.
     *
     * @param maxAbsDiff largest logit difference from graft float32 (float32 files)
     * @param agreement share of test images on which it picks the class graft's reference picks
     *     (float32: graft; int8: graft's int8 simulation)
     * @param speedup images per second relative to graft float32 at the same batch size, timed
     *     alternately
     */
    public record File(
            @JsonProperty("path") String path,
            @JsonProperty("precision") String precision,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("test_accuracy") double testAccuracy,
            @JsonProperty("max_abs_diff") Double maxAbsDiff,
            @JsonProperty("agreement") double agreement,
            @JsonProperty("images_per_second") double imagesPerSecond,
            @JsonProperty("speedup_vs_graft") double speedup) {}

    /** What an export produced. */
    public record Result(
            @JsonProperty("graft_accuracy") double graftAccuracy,
            @JsonProperty("int8_simulated_accuracy") Double int8SimulatedAccuracy,
            @JsonProperty("graft_images_per_second") double graftImagesPerSecond,
            @JsonProperty("weights_bytes") long weightsBytes,
            @JsonProperty("batch_size") int batchSize,
            @JsonProperty("files") List<File> files,
            @JsonProperty("plan") Int8.Plan plan,
            @JsonProperty("folder") String folder) {}

    /** Batch size of the checks and of the timing. */
    public static final int BATCH = 64;
    /** Test images timed per round. */
    static final int TIMED_IMAGES = 2048;

    private final Consumer<String> log;

    public Export(Consumer<String> log) {
        this.log = log;
    }

    /** Exports {@code c.model()} into {@code out}, which must be new or empty. */
    public Result run(Config c, Path out) {
        AtomicFiles.requireEmpty(out, "--out");
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            StagedNet net = loaded.net();
            LayerProgram folded = LayerProgram.of(net).foldBatchNorm(manager);
            try (ModelTask task = ModelTask.load(c.model(), loaded.spec(), c.data(), 0,
                    Seeds.derive(c.seed(), "split"), log, manager)) {
                Examples test = task.test();
                double graftAccuracy = task.accuracy(net, manager);
                Int8.Plan plan = null;
                Double simulated = null;
                if (c.int8()) {
                    plan = Int8.calibrate(folded, task.train(), c.calibrationImages(),
                            c.calibration(), Seeds.derive(c.seed(), "calibration"), manager);
                }
                List<byte[]> models = new ArrayList<>();
                models.add(OnnxExport.model(folded, loaded.spec(), null, c.model().toString())
                        .toByteArray());
                if (plan != null) {
                    models.add(OnnxExport.model(folded, loaded.spec(), plan,
                            c.model().toString()).toByteArray());
                }
                Files.createDirectories(out);
                if (OnnxExport.isText(folded)) {
                    AtomicFiles.write(out.resolve(Checkpoint.TOKENIZER), o -> Files.copy(
                            c.model().resolve(Checkpoint.TOKENIZER), o));
                }
                List<Path> paths = List.of(out.resolve(FP32_FILE), out.resolve(INT8_FILE));
                for (int i = 0; i < models.size(); i++) {
                    byte[] bytes = models.get(i);
                    AtomicFiles.write(paths.get(i), o -> o.write(bytes));
                }
                Reference graft = reference(net, folded, plan, test, manager);
                if (plan != null) {
                    simulated = graft.int8Correct / (double) test.size();
                }
                List<File> files = new ArrayList<>();
                double graftSpeed = 0;
                for (int i = 0; i < models.size(); i++) {
                    boolean isInt8 = i == 1;
                    try (OnnxRuntimeModel ort = OnnxRuntimeModel.load(paths.get(i),
                            c.threads())) {
                        File f = check(ort, paths.get(i), isInt8, graft, test);
                        double[] speeds = speed(net, ort, test, manager);
                        graftSpeed = speeds[0];
                        files.add(new File(f.path(), f.precision(), f.bytes(), f.testAccuracy(),
                                f.maxAbsDiff(), f.agreement(), speeds[1], speeds[2]));
                    }
                }
                long weights = Files.size(c.model().resolve(Checkpoint.WEIGHTS));
                Result r = new Result(graftAccuracy, simulated, graftSpeed, weights, BATCH,
                        files, plan, out.toString());
                AtomicFiles.writeString(out.resolve("export.json"), Json.MAPPER
                        .writerWithDefaultPrettyPrinter().writeValueAsString(r) + "\n");
                for (File f : files) {
                    if (f.maxAbsDiff() != null && f.maxAbsDiff() >= FP32_TOLERANCE) {
                        throw new IllegalStateException(String.format(Locale.ROOT, "%s differs"
                                + " from graft by %.3g in ONNX Runtime (tolerance %.0e): please"
                                + " report", f.path(), f.maxAbsDiff(), FP32_TOLERANCE));
                    }
                    if (f.precision().equals("int8") && f.agreement() < INT8_AGREEMENT) {
                        log.accept(String.format(Locale.ROOT, "warning: %s picks graft's int8"
                                + " class on only %.2f%% of test images", f.path(),
                                100 * f.agreement()));
                    }
                }
                return r;
            } catch (IOException e) {
                throw new dev.graft.io.GraftException("cannot write " + out + ": "
                        + AtomicFiles.describe(e), e);
            }
        }
    }

    /** graft's float32 logits and classes, and its int8 simulation's classes, per test image. */
    private record Reference(float[] logits, int[] fp32Class, int[] int8Class, int classes,
            long int8Correct) {}

    private static Reference reference(StagedNet net, LayerProgram folded, Int8.Plan plan,
            Examples test, NDManager manager) {
        int n = test.size();
        float[] logits = new float[n * net.numClasses()];
        int[] fp32 = new int[n];
        int[] int8 = new int[n];
        long correct = 0;
        ParameterStore ps = new ParameterStore(manager, false);
        LayerProgram.Rewrite sim = plan == null ? null : Int8.simulate(plan);
        for (int from = 0; from < n; from += BATCH) {
            int to = Math.min(n, from + BATCH);
            try (NDManager step = manager.newSubManager()) {
                NDList x = test.range(from, to, step).inputs();
                NDArray y = net.forward(ps, x, false).head();
                System.arraycopy(y.toFloatArray(), 0, logits, from * net.numClasses(),
                        (to - from) * net.numClasses());
                long[] c = y.argMax(1).toLongArray();
                for (int i = 0; i < c.length; i++) {
                    fp32[from + i] = (int) c[i];
                }
                if (sim != null) {
                    long[] q = folded.forward(x, sim).argMax(1).toLongArray();
                    for (int i = 0; i < q.length; i++) {
                        int8[from + i] = (int) q[i];
                        correct += q[i] == test.label(from + i) ? 1 : 0;
                    }
                }
            }
        }
        return new Reference(logits, fp32, int8, net.numClasses(), correct);
    }

    private static File check(OnnxRuntimeModel ort, Path file, boolean int8, Reference graft,
            Examples test) throws IOException {
        int n = test.size();
        int k = graft.classes();
        double maxDiff = 0;
        long agree = 0;
        long correct = 0;
        try (NDManager tmp = NDManager.newBaseManager()) {
            for (int from = 0; from < n; from += BATCH) {
                int to = Math.min(n, from + BATCH);
                try (NDManager step = tmp.newSubManager()) {
                    float[] y = logits(ort, test.range(from, to, step).inputs());
                    for (int i = 0; i < to - from; i++) {
                        int best = 0;
                        for (int j = 0; j < k; j++) {
                            float v = y[i * k + j];
                            maxDiff = Math.max(maxDiff, Math.abs(v - graft.logits()[(from + i)
                                    * k + j]));
                            best = v > y[i * k + best] ? j : best;
                        }
                        int want = int8 ? graft.int8Class()[from + i] : graft.fp32Class()[from
                                + i];
                        agree += best == want ? 1 : 0;
                        correct += best == test.label(from + i) ? 1 : 0;
                    }
                }
            }
        }
        return new File(file.toString(), int8 ? "int8" : "float32", Files.size(file),
                correct / (double) n, int8 ? null : maxDiff, agree / (double) n, 0, 0);
    }

    /** {@code ort}'s logits for a batch as graft's network reads it, row-major. */
    static float[] logits(OnnxRuntimeModel ort, NDList inputs) {
        return ortInput(inputs).run(ort);
    }

    /** A batch copied out of the engine once, in the form ONNX Runtime takes. */
    private interface OrtInput {
        float[] run(OnnxRuntimeModel ort);
    }

    private static OrtInput ortInput(NDList inputs) {
        long[] shape = inputs.head().getShape().getShape();
        if (inputs.size() == 1) {
            float[] x = inputs.head().toFloatArray();
            return ort -> ort.run(x, shape);
        }
        java.util.Map<String, long[]> tokens = java.util.Map.of(OnnxExport.INPUT_IDS,
                inputs.get(0).toLongArray(), OnnxExport.ATTENTION_MASK,
                inputs.get(1).toLongArray());
        return ort -> ort.runInt64(tokens, shape, "logits");
    }

    /**
     * Examples per second of graft float32 and of {@code ort} (last round), and how many times
     * faster {@code ort} is (median of the alternating rounds); both batch the same examples in
     * the same order.
     */
    private static double[] speed(StagedNet net, OnnxRuntimeModel ort, Examples test,
            NDManager manager) {
        int n = Math.min(TIMED_IMAGES, test.size());
        int[] order = test.inferenceOrder();
        List<OrtInput> batches = new ArrayList<>();
        for (int from = 0; from < n; from += BATCH) {
            try (NDManager step = manager.newSubManager()) {
                batches.add(ortInput(test.batch(java.util.Arrays.copyOfRange(order, from,
                        Math.min(n, from + BATCH)), step).inputs()));
            }
        }
        double[] seconds = new double[2];
        double ratio = Benchmark.sideBySideRatio(
                () -> seconds[0] = Benchmark.inferenceSeconds(net, test, n, BATCH, manager), () -> {
            long t = System.nanoTime();
            for (OrtInput b : batches) {
                b.run(ort);
            }
            return seconds[1] = (System.nanoTime() - t) / 1e9;
        }, 5);
        return new double[] {n / seconds[0], n / seconds[1], 1 / ratio};
    }
}
