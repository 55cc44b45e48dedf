package dev.graft.export;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.compress.Clustering;
import dev.graft.compress.Factorization;
import dev.graft.compress.InferenceSpeed;
import dev.graft.compress.Int8;
import dev.graft.compress.ModelTask;
import dev.graft.compress.Pruning;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.StagedNet;
import dev.graft.train.Mask;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft compress}: a pipeline of compression steps, each starting from the checkpoint
 * the one before wrote, and the ledger of what each step cost and saved: test accuracy,
 * parameters, non-zero parameters, bytes on disk, multiply-adds and measured inference speed.
 * An {@code int8} step ends the pipeline with ONNX exports run in ONNX Runtime.
 */
public final class Ledger {

    /** One step of a pipeline, as written on the command line ({@code prune:0.8}). */
    public record Step(@JsonProperty("kind") String kind, @JsonProperty("amount") Double amount) {

        static final List<String> KINDS = List.of("prune", "filters", "lowrank", "cluster",
                "int8");

        public Step {
            if (!KINDS.contains(kind)) {
                throw new IllegalArgumentException("--pipeline step '" + kind + "' is not one of "
                        + KINDS + " (e.g. prune:0.8,lowrank:0.5,int8)");
            }
            if (kind.equals("int8") != (amount == null)) {
                throw new IllegalArgumentException("--pipeline step " + kind + (amount == null
                        ? " needs an amount, e.g. " + kind + ":0.5" : " takes no amount"));
            }
        }

        @Override
        public String toString() {
            return amount == null ? kind : kind + ":" + amount;
        }
    }

    /** Parses {@code prune:0.8,lowrank:0.5,int8}; int8 may only come last. */
    public static List<Step> parse(String pipeline) {
        List<Step> steps = new ArrayList<>();
        for (String part : pipeline.split(",")) {
            String[] kv = part.trim().split(":");
            if (kv.length > 2 || kv[0].isEmpty()) {
                throw new IllegalArgumentException("--pipeline step '" + part + "' is not KIND or"
                        + " KIND:AMOUNT (e.g. prune:0.8,lowrank:0.5,int8)");
            }
            Double amount;
            try {
                amount = kv.length == 2 ? Double.valueOf(kv[1]) : null;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--pipeline step '" + part + "': " + kv[1]
                        + " is not a number");
            }
            steps.add(new Step(kv[0].toLowerCase(Locale.ROOT), amount));
        }
        for (int i = 0; i < steps.size() - 1; i++) {
            if (steps.get(i).kind().equals("int8")) {
                throw new IllegalArgumentException("--pipeline: int8 ends a pipeline (it writes"
                        + " ONNX files), so it must come last");
            }
        }
        return steps;
    }

    /**
     * @param fineTune the fine-tuning after each prune, filters and lowrank step; null for none
     * @param rounds rounds of each prune and filters step
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("steps") List<Step> steps,
            @JsonProperty("rounds") int rounds,
            @JsonProperty("fine_tune") TrainConfig fineTune,
            @JsonProperty("calibration") Int8.Calibration calibration,
            @JsonProperty("calibration_images") int calibrationImages,
            @JsonProperty("seed") long seed) {

        public Config {
            steps = List.copyOf(steps);
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("--pipeline needs at least one step");
            }
        }
    }

    /**
     * One line of the ledger.
     *
     * @param engine what ran it: graft float32, or ONNX Runtime float32 / int8
     * @param speedup images per second relative to the model as given in graft, each model
     *     timed alternately with the one it is compared with
     */
    public record Row(
            @JsonProperty("step") String step,
            @JsonProperty("engine") String engine,
            @JsonProperty("test_accuracy") double accuracy,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("non_zero_parameters") long nonZero,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("multiply_adds") long multiplyAdds,
            @JsonProperty("images_per_second") double imagesPerSecond,
            @JsonProperty("speedup") double speedup,
            @JsonProperty("artifact") String artifact) {}

    /** What a pipeline produced. */
    public record Result(@JsonProperty("rows") List<Row> rows, @JsonProperty("run") String run) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Ledger(Consumer<String> log) {
        this.log = log;
    }

    public Ledger progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir) {
        Map<String, Object> runJson = new LinkedHashMap<>();
        runJson.put("command", "compress");
        runJson.put("config", c);
        List<Row> rows = new ArrayList<>();
        // the given model is read and measured before the folder exists: a bad --model leaves
        // nothing behind
        rows.add(checkpointRow("given", c.model(), c, null));
        try (RunFolder run = RunFolder.open(runDir, true)) {
            runJson.put("status", "running");
            run.writeRun(runJson);
            try {
                return steps(c, run, runDir, runJson, rows);
            } catch (RuntimeException e) {
                runJson.put("status", "failed");
                runJson.put("error", String.valueOf(e.getMessage()));
                runJson.put("rows", rows);
                run.writeRun(runJson);
                throw e;
            }
        }
    }

    private Result steps(Config c, RunFolder run, Path runDir, Map<String, Object> runJson,
            List<Row> rows) {
        {
            Path current = c.model();
            for (int i = 0; i < c.steps().size(); i++) {
                Step s = c.steps().get(i);
                Path dir = run.resolve("step-" + (i + 1) + "-" + s.kind());
                log.accept(String.format("[%d/%d] %s on %s", i + 1, c.steps().size(), s,
                        current));
                if (s.kind().equals("int8")) {
                    Export.Result e = new Export(log).run(new Export.Config(current, c.data(),
                            true, c.calibration(), c.calibrationImages(), 0, c.seed()), dir);
                    double base = rows.get(rows.size() - 1).speedup();
                    for (Export.File f : e.files()) {
                        Row last = rows.get(rows.size() - 1);
                        rows.add(new Row(f.precision().equals("int8") ? "int8" : "onnx",
                                "ONNX Runtime " + f.precision(), f.testAccuracy(),
                                last.parameters(), last.nonZero(), f.bytes(),
                                last.multiplyAdds(), f.imagesPerSecond(), base * f.speedup(),
                                f.path()));
                    }
                    continue;
                }
                Path checkpoint;
                if (s.kind().equals("cluster")) {
                    checkpoint = Path.of(new Clustering(log).progress(progress).run(
                            new Clustering.Config(current, c.data(), (int) Math.round(s.amount()),
                                    0.1, c.fineTune(), c.seed()), dir).checkpoint());
                } else if (s.kind().equals("lowrank")) {
                    checkpoint = Path.of(new Factorization(log).progress(progress).run(
                            new Factorization.Config(current, c.data(), List.of(), s.amount(),
                                    null, 0.1, c.fineTune(), c.seed()), dir).checkpoint());
                } else {
                    Pruning.Method m = s.kind().equals("prune") ? Pruning.Method.MAGNITUDE
                            : Pruning.Method.FILTERS;
                    checkpoint = Path.of(new Pruning(log).progress(progress).run(
                            new Pruning.Config(current, c.data(), m, s.amount(),
                                    Pruning.Scope.GLOBAL, c.rounds(), 16, 0.1, c.fineTune(),
                                    c.seed()), dir).checkpoint());
                }
                rows.add(checkpointRow(s.toString(), checkpoint, c, c.model()));
                current = checkpoint;
            }
            Result r = new Result(rows, runDir.toString());
            runJson.put("status", "finished");
            runJson.put("result", r);
            run.writeRun(runJson);
            LedgerReport.write(run.resolve(dev.graft.report.Report.FILE), c, r);
            return r;
        }
    }

    /** A checkpoint's line: evaluated, and timed in graft alternately with the given model. */
    private Row checkpointRow(String step, Path checkpoint, Config c, Path given) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(checkpoint, manager);
            StagedNet net = loaded.net();
            try (ModelTask task = ModelTask.load(checkpoint, loaded.spec(), c.data(), 0,
                    Seeds.derive(c.seed(), "split"), s -> { }, manager)) {
                double accuracy = task.accuracy(net, manager);
                long nonZero = net.parameterCount();
                Path maskFile = checkpoint.resolve(Mask.FILE);
                if (Files.isRegularFile(maskFile)) {
                    nonZero = Mask.load(maskFile, net, manager).nonZero(net);
                }
                InferenceSpeed speed = InferenceSpeed.measure(given == null ? net
                        : Checkpoint.load(given, manager).net(), net, task.test(), manager);
                return new Row(step, "graft float32", accuracy, net.parameterCount(), nonZero,
                        Files.size(checkpoint.resolve(Checkpoint.WEIGHTS)), net.multiplyAdds(),
                        speed.compressed(), given == null ? 1 : speed.speedup(),
                        checkpoint.toString());
            }
        } catch (IOException e) {
            throw new GraftException("cannot read " + checkpoint + ": " + e.getMessage(), e);
        }
    }
}
