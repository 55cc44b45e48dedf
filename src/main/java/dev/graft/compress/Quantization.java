package dev.graft.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.model.Checkpoint;
import dev.graft.model.LayerProgram;
import dev.graft.model.StagedNet;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import dev.graft.train.Seeds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft quantize}: int8 post-training quantization of a checkpoint, simulated in graft
 * ({@link Int8}): for each calibration method, the test accuracy in int8 beside float32 and
 * the share of test images on which both pick the same class. The calibrated plans are written
 * to the run folder; {@code graft export --int8} writes the ONNX model.
 */
public final class Quantization {

    /**
     * @param calibrations methods compared
     * @param calibrationImages training images that set the activation ranges
     * @param qat quantization-aware training after post-training quantization (the first
     *     calibration's ranges, fake quantization with a straight-through estimator,
     *     BatchNorm statistics frozen and folded), or null for none
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("calibrations") List<Int8.Calibration> calibrations,
            @JsonProperty("calibration_images") int calibrationImages,
            @JsonProperty("qat") TrainConfig qat,
            @JsonProperty("seed") long seed) {

        public Config {
            calibrations = List.copyOf(calibrations);
            if (calibrations.isEmpty()) {
                throw new IllegalArgumentException("--calibration needs at least one method");
            }
            if (calibrationImages < 1) {
                throw new IllegalArgumentException("--calibration-images must be at least 1,"
                        + " got " + calibrationImages + " (int8 ranges need images)");
            }
        }
    }

    /**
     * One calibration method's outcome.
     *
     * @param agreement share of test images on which int8 picks float32's class
     */
    public record Row(
            @JsonProperty("training") String training,
            @JsonProperty("calibration") Int8.Calibration calibration,
            @JsonProperty("accuracy") double accuracy,
            @JsonProperty("change_points") double changePoints,
            @JsonProperty("agreement") double agreement,
            @JsonProperty("plan") Int8.Plan plan) {}

    /** What a quantization run produced. */
    public record Result(
            @JsonProperty("float32_accuracy") double float32Accuracy,
            @JsonProperty("rows") List<Row> rows,
            @JsonProperty("qat_checkpoint") String qatCheckpoint,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Quantization(Consumer<String> log) {
        this.log = log;
    }

    public Quantization progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            StagedNet net = loaded.net();
            LayerProgram folded = LayerProgram.of(net).foldBatchNorm(manager);
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "quantize");
            runJson.put("config", c);
            try (ModelTask task = ModelTask.load(c.model(), loaded.spec(), c.data(), 0,
                    Seeds.derive(c.seed(), "split"), log, manager);
                    RunFolder run = RunFolder.open(runDir, true)) {
                Examples test = task.test();
                int[] fp32 = classes(net, null, null, test, manager);
                double fp32Accuracy = accuracy(fp32, test);
                List<Row> rows = new ArrayList<>();
                for (Int8.Calibration method : c.calibrations()) {
                    rows.add(row("post-training", folded, method, c, task, fp32, fp32Accuracy,
                            manager));
                }
                String qatCheckpoint = null;
                if (c.qat() != null) {
                    Int8.Plan plan = rows.get(0).plan();
                    // the program reads the parameter arrays the optimizer updates in place;
                    // folding runs every step, so gradients reach weights and BatchNorm scales
                    LayerProgram program = LayerProgram.of(net);
                    LayerProgram.Rewrite rounding = Int8.fakeQuantize(plan);
                    TrainingLoop.Forward fakeQuant = (x, step) -> program.foldBatchNorm(step)
                            .forward(x, rounding);
                    RunTraining.Outcome o = task.fineTune(run.resolve("qat"),
                            "quantization-aware training", net, task.derivedSpec(net,
                                    c.model(), c.seed(), "quantize --qat"), c.qat(),
                            new RunTraining.Extras(null, List.of(), null, fakeQuant),
                            progress, log, manager);
                    qatCheckpoint = run.resolve("qat").resolve(RunTraining.MODEL).toString();
                    rows.add(row("quantization-aware, " + c.qat().epochs() + " epoch(s)",
                            LayerProgram.of(o.best()).foldBatchNorm(manager),
                            c.calibrations().get(0), c, task, fp32, fp32Accuracy, manager));
                }
                Result r = new Result(fp32Accuracy, rows, qatCheckpoint, task.source(),
                        runDir.toString());
                runJson.put("status", "finished");
                runJson.put("result", r);
                run.writeRun(runJson);
                return r;
            }
        }
    }

    /** Calibrates {@code folded}, runs it in simulated int8 and compares with float32. */
    private Row row(String training, LayerProgram folded, Int8.Calibration method, Config c,
            ModelTask task, int[] fp32, double fp32Accuracy, NDManager manager) {
        Int8.Plan plan = Int8.calibrate(folded, task.train(), c.calibrationImages(), method,
                Seeds.derive(c.seed(), "calibration"), manager);
        int[] int8 = classes(null, folded, Int8.simulate(plan), task.test(), manager);
        long agree = 0;
        for (int i = 0; i < int8.length; i++) {
            agree += int8[i] == fp32[i] ? 1 : 0;
        }
        double acc = accuracy(int8, task.test());
        log.accept(String.format(Locale.ROOT, "int8 %s, %s calibration on %d images: test"
                + " accuracy %.2f%% (float32 %.2f%%), same class on %.2f%%", training,
                method.name().toLowerCase(Locale.ROOT), plan.images(), 100 * acc,
                100 * fp32Accuracy, 100.0 * agree / int8.length));
        return new Row(training, method, acc, 100 * (acc - fp32Accuracy),
                agree / (double) int8.length, plan);
    }

    /** The class picked for every test image, by {@code net} or by {@code program}. */
    private static int[] classes(StagedNet net, LayerProgram program,
            LayerProgram.Rewrite rewrite, Examples test, NDManager manager) {
        int[] out = new int[test.size()];
        ParameterStore ps = new ParameterStore(manager, false);
        for (int from = 0; from < out.length; from += 64) {
            try (NDManager step = manager.newSubManager()) {
                NDList x = test.range(from, Math.min(out.length, from + 64), step).inputs();
                NDArray y = net != null ? net.forward(ps, x, false).head()
                        : program.forward(x, rewrite);
                long[] c = y.argMax(1).toLongArray();
                for (int i = 0; i < c.length; i++) {
                    out[from + i] = (int) c[i];
                }
            }
        }
        return out;
    }

    private static double accuracy(int[] predicted, Examples test) {
        long correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == test.label(i) ? 1 : 0;
        }
        return correct / (double) predicted.length;
    }

    /** The table for the terminal. */
    public static String text(Result r) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("float32", String.format(Locale.ROOT, "%.2f", 100 * r.float32Accuracy()),
                "", ""));
        for (Row row : r.rows()) {
            rows.add(List.of("int8 " + row.training() + ", " + row.calibration().name()
                    .toLowerCase(Locale.ROOT).replace('_', '-'),
                    String.format(Locale.ROOT, "%.2f", 100 * row.accuracy()),
                    String.format(Locale.ROOT, "%+.2f", row.changePoints()),
                    String.format(Locale.ROOT, "%.2f%%", 100 * row.agreement())));
        }
        return dev.graft.report.TextTable.render(List.of("arithmetic", "test accuracy (%)",
                "change (points)", "same class as float32"), rows)
                + "int8 simulated in graft: per-channel symmetric weights, uint8 inputs of every"
                + " convolution and linear layer\n" + (r.qatCheckpoint() == null ? ""
                        : "quantization-aware checkpoint: " + r.qatCheckpoint() + "\n");
    }
}
