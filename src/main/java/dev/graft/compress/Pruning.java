package dev.graft.compress;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.Evaluation;
import dev.graft.train.GraftVersion;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft prune}: unstructured magnitude pruning of a checkpoint to a target sparsity, in
 * one shot or over several rounds, each round fine-tuned with the mask held (pruned weights stay
 * exactly zero). Each round prunes the same share of the weights still kept, so after round
 * {@code r} of {@code R} the sparsity is {@code 1 - (1 - s)^(r/R)}. The result is a checkpoint
 * with {@link Mask#FILE} beside its weights; pruning such a checkpoint again starts from its mask.
 */
public final class Pruning {

    /** How weights are ranked against each other. */
    public enum Scope {
        /** All prunable weights ranked together: layers lose different shares. */
        GLOBAL,
        /** Every prunable layer loses the same share. */
        LAYERWISE;

        public static Scope parse(String s) {
            for (Scope v : values()) {
                if (v.name().equalsIgnoreCase(s)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("--scope " + s + " is not one of global,"
                    + " layerwise");
        }
    }

    /**
     * @param model the checkpoint to prune
     * @param data its dataset (null: the one it was trained on)
     * @param sparsity target share of prunable weights that are zero, in [0, 1)
     * @param rounds prune-then-fine-tune rounds to reach it
     * @param fineTune the fine-tuning of each round; null prunes without fine-tuning
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("sparsity") double sparsity,
            @JsonProperty("scope") Scope scope,
            @JsonProperty("rounds") int rounds,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("fine_tune") TrainConfig fineTune,
            @JsonProperty("seed") long seed) {

        public Config {
            if (!(sparsity >= 0 && sparsity < 1)) {
                throw new IllegalArgumentException("--sparsity must be in [0, 1), got " + sparsity
                        + " (0.8 prunes 80% of the weights)");
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
            }
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in [0, 1), got "
                        + valFraction);
            }
        }

        /** Sparsity reached after round {@code r} (1-based). */
        public double sparsityAfter(int r) {
            return 1 - Math.pow(1 - sparsity, (double) r / rounds);
        }
    }

    /**
     * One line of the table: the dense model (round 0) or a round.
     *
     * @param sparsity share of prunable weights that are zero
     * @param nonZero parameters that are not pruned (every parameter outside the mask counts)
     * @param prunedAccuracy test accuracy right after pruning, before fine-tuning
     * @param accuracy test accuracy at the end of the round
     */
    public record Round(
            @JsonProperty("round") int round,
            @JsonProperty("sparsity") double sparsity,
            @JsonProperty("non_zero_parameters") long nonZero,
            @JsonProperty("pruned_accuracy") double prunedAccuracy,
            @JsonProperty("accuracy") double accuracy) {}

    /** What a pruning run produced. */
    public record Result(
            @JsonProperty("dense_accuracy") double denseAccuracy,
            @JsonProperty("accuracy") double accuracy,
            @JsonProperty("sparsity") double sparsity,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("non_zero_parameters") long nonZero,
            @JsonProperty("rounds") List<Round> rounds,
            @JsonProperty("layer_sparsity") Map<String, Double> layerSparsity,
            @JsonProperty("started_from_mask") boolean startedFromMask,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {

        /** Test accuracy change from the dense model, in points. */
        public double accuracyChange() {
            return 100 * (accuracy - denseAccuracy);
        }
    }

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Pruning(Consumer<String> log) {
        this.log = log;
    }

    public Pruning progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            StagedNet net = loaded.net();
            ModelSpec spec = loaded.spec();
            Path maskFile = c.model().resolve(Mask.FILE);
            Mask mask = Files.isRegularFile(maskFile) ? Mask.load(maskFile, net, manager) : null;
            boolean fromMask = mask != null;
            if (fromMask && mask.sparsity() > c.sparsity() + 1e-9) {
                throw new GraftException("--model " + c.model() + " is already pruned to "
                        + percent(mask.sparsity()) + " sparsity; ask for --sparsity at least"
                        + " that (pruned weights are never revived)");
            }
            ModelTask task = ModelTask.of(c.model(), spec, c.data(), c.valFraction(),
                    Seeds.derive(c.seed(), "split"), log);
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "prune");
            runJson.put("config", c);
            try (RunFolder run = RunFolder.open(runDir, true);
                    TensorDataset train = TensorDataset.of(task.train(), spec.normalization(),
                            manager);
                    TensorDataset val = TensorDataset.of(task.validation(),
                            spec.normalization(), manager);
                    TensorDataset test = TensorDataset.of(task.test(), spec.normalization(),
                            manager)) {
                runJson.put("status", "running");
                run.writeRun(runJson);
                long parameters = net.parameterCount();
                double dense = Evaluation.of(net, test, null, manager).accuracy();
                List<Round> rounds = new ArrayList<>();
                rounds.add(new Round(0, fromMask ? mask.sparsity() : 0, nonZero(net, mask),
                        dense, dense));
                log.accept(String.format(Locale.ROOT, "%s: %,d parameters, test accuracy %.2f%%%s",
                        c.model(), parameters, 100 * dense, fromMask ? ", starting from its mask ("
                                + percent(mask.sparsity()) + " sparse)" : ""));
                ModelSpec outSpec = prunedSpec(spec, c, task);
                for (int r = 1; r <= c.rounds(); r++) {
                    double target = c.sparsityAfter(r);
                    mask = c.scope() == Scope.GLOBAL
                            ? MagnitudePruning.global(net, target, mask, manager)
                            : MagnitudePruning.layerwise(net, name -> target, mask, manager);
                    mask.apply(net);
                    double pruned = Evaluation.of(net, test, null, manager).accuracy();
                    double acc = pruned;
                    if (c.fineTune() != null) {
                        Mask held = mask;
                        TrainConfig tc = withSeed(c.fineTune(), Seeds.derive(c.seed(),
                                "round" + r));
                        Map<String, Object> roundJson = new LinkedHashMap<>();
                        roundJson.put("command", "prune round " + r);
                        roundJson.put("sparsity", target);
                        try (RunFolder roundRun = RunFolder.open(run.resolve("round-" + r),
                                true)) {
                            RunTraining.Outcome o = RunTraining.run(roundRun, net, outSpec,
                                    new RunTraining.Data(train, val, test,
                                            task.test().classNames()), tc, null,
                                    new RunTraining.Extras(null, List.of(held.hook()),
                                            held::save), false, roundJson, progress, log,
                                    manager);
                            net = o.best();
                            acc = o.test().accuracy();
                            roundJson.put("status", "finished");
                            roundRun.writeRun(roundJson);
                        }
                    }
                    Round row = new Round(r, mask.sparsity(), nonZero(net, mask), pruned, acc);
                    rounds.add(row);
                    run.event(row);
                    log.accept(String.format(Locale.ROOT, "round %d/%d: %s sparse, test accuracy"
                            + " %.2f%% after pruning%s", r, c.rounds(), percent(row.sparsity()),
                            100 * pruned, c.fineTune() == null ? "" : String.format(Locale.ROOT,
                                    ", %.2f%% after fine-tuning", 100 * acc)));
                }
                Mask last = mask;
                Checkpoint.save(run.resolve(RunTraining.MODEL), net, outSpec, last::save);
                Round end = rounds.get(rounds.size() - 1);
                Result result = new Result(dense, end.accuracy(), end.sparsity(), parameters,
                        end.nonZero(), rounds, last.sparsityByParameter(), fromMask,
                        run.resolve(RunTraining.MODEL).toString(), task.source(),
                        runDir.toString());
                runJson.put("status", "finished");
                runJson.put("result", result);
                run.writeRun(runJson);
                PruningReport.write(run.resolve(dev.graft.report.Report.FILE), c, result);
                return result;
            }
        }
    }

    /** Parameters outside the mask plus the weights it keeps. */
    static long nonZero(StagedNet net, Mask mask) {
        return mask == null ? net.parameterCount()
                : net.parameterCount() - mask.total() + mask.kept();
    }

    private static ModelSpec prunedSpec(ModelSpec spec, Config c, ModelTask task) {
        return new ModelSpec(ModelSpec.FORMAT_VERSION, spec.architecture(), spec.options(),
                spec.inputShape(), spec.numClasses(), spec.classNames(), spec.normalization(),
                spec.stages(), spec.parameters(), new ModelSpec.Provenance(
                        GraftVersion.graft(), GraftVersion.djl(), GraftVersion.engine(),
                        Instant.now().toString(), c.seed(), task.dataName(), task.source(),
                        task.train().fingerprint(), c.model().toString(),
                        String.format(Locale.ROOT, "prune %s %.4g", c.scope().name()
                                .toLowerCase(Locale.ROOT), c.sparsity())));
    }

    private static TrainConfig withSeed(TrainConfig t, long seed) {
        return new TrainConfig(t.epochs(), t.batchSize(), t.optimizer(), t.schedule(),
                t.augmentation(), seed, t.patience(), t.groups());
    }

    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    /**
     * The task a checkpoint was trained on: its dataset (or {@code data}), its classes by name,
     * a validation hold-out and the test set.
     */
    record ModelTask(ImageDataset train, ImageDataset validation, ImageDataset test,
            String dataName, String source) {

        static ModelTask of(Path model, ModelSpec spec, String data, double valFraction,
                long seed, Consumer<String> log) {
            String dataName = data != null ? data : spec.provenance() != null
                    && spec.provenance().dataset() != null ? spec.provenance().dataset()
                            : "fashion-mnist";
            DatasetResolver.Resolved r = new DatasetResolver().resolve(dataName, log);
            log.accept("data: " + dataName + " from " + r.source());
            ImageDataset train = r.train();
            ImageDataset test = r.test();
            if (spec.classNames() != null && !spec.classNames().equals(train.classNames())) {
                try {
                    train = train.withClassNames(spec.classNames());
                    test = test.withClassNames(spec.classNames());
                } catch (IllegalArgumentException e) {
                    throw new GraftException("--model " + model + " was trained on classes "
                            + spec.classNames() + ", which " + dataName + " lacks: "
                            + e.getMessage() + "; pass --data with the model's dataset");
                }
            }
            if (!Arrays.equals(train.imageShape(), spec.inputShape())) {
                throw new GraftException("--model " + model + " takes inputs " + Arrays.toString(
                        spec.inputShape()) + " but " + dataName + " has images "
                        + Arrays.toString(train.imageShape()));
            }
            ImageDataset.Split split = train.holdOut(valFraction, seed);
            return new ModelTask(split.train(), split.validation(), test, dataName, r.source());
        }
    }
}
