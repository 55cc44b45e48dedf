package dev.graft.transfer;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.data.Examples;
import dev.graft.data.ImageDataset;
import dev.graft.data.Labelled;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.data.TextData;
import dev.graft.data.TokenizedText;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.Architecture;
import dev.graft.model.StagedNet;
import dev.graft.report.Report;
import dev.graft.train.EpochMetrics;
import dev.graft.train.Evaluation;
import dev.graft.train.LrSchedule;
import dev.graft.train.ParamGroup;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.Seeds;
import dev.graft.train.Spread;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * {@code graft transfer}: every strategy at every label budget over several seeds, one
 * <em>cell</em> each, then a table of mean and spread of target accuracy, wall time and
 * trainable parameters.
 *
 * <p>The protocol is the honest k-shot one: a cell sees only its {@code shots} labelled images
 * per class (no validation split drawn from elsewhere), trains for a fixed budget and is scored
 * once on the target test set. Within a seed, every strategy sees the same images, so the
 * strategies are compared pairwise. A budget of a few images would make an epoch a single
 * step; so an epoch shows the model at least {@code minStepsPerEpoch} batches, repeating the
 * labelled images as needed, and every budget gets the same number of optimizer steps. A batch
 * is at most the labelled set ({@code 5} images at one shot of five classes).
 *
 * <p>Each finished cell is written to {@code cells/} at once; running the same comparison into
 * the same folder again skips the finished cells, so an interrupted comparison resumes.
 */
public final class Comparison {

    public static final String CONFIG_FILE = "comparison.json";
    public static final String CELLS = "cells";

    /**
     * @param data target dataset (null: the source model's)
     * @param classes target classes (null: all)
     * @param shots label budgets per class; a null entry is the whole pool
     * @param seeds repetitions of every (strategy, budget) pair
     * @param minStepsPerEpoch optimizer steps an epoch takes at least (small budgets repeat)
     * @param disjoint target classes must not be source classes
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("classes") String classes,
            @JsonProperty("strategies") List<Strategy> strategies,
            @JsonProperty("shots") List<Integer> shots,
            @JsonProperty("seeds") int seeds,
            @JsonProperty("min_steps_per_epoch") int minStepsPerEpoch,
            @JsonProperty("disjoint") boolean disjoint,
            @JsonProperty("train") TrainConfig train,
            @JsonProperty("fields") TextData.Fields fields) {

        public Config {
            if (strategies == null || strategies.isEmpty()) {
                throw new IllegalArgumentException("--strategies needs at least one of "
                        + Strategy.ids());
            }
            if (new java.util.HashSet<>(strategies).size() < strategies.size()) {
                throw new IllegalArgumentException("--strategies names a strategy twice: "
                        + strategies.stream().map(Strategy::id).toList());
            }
            if (shots == null || shots.isEmpty()) {
                throw new IllegalArgumentException("--shots needs at least one budget, e.g."
                        + " 10,100,all");
            }
            if (new java.util.HashSet<>(shots).size() < shots.size()) {
                throw new IllegalArgumentException("--shots names a budget twice: " + shots);
            }
            for (Integer k : shots) {
                if (k != null && k < 1) {
                    throw new IllegalArgumentException("--shots must be positive or 'all', got "
                            + k);
                }
            }
            if (seeds < 1) {
                throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
            }
            if (minStepsPerEpoch < 1) {
                throw new IllegalArgumentException("--min-steps must be at least 1, got "
                        + minStepsPerEpoch);
            }
            strategies = List.copyOf(strategies);
            shots = java.util.Collections.unmodifiableList(new ArrayList<>(shots));
            fields = fields == null ? TextData.Fields.DEFAULT : fields;
        }

        /** A comparison on images, or on texts with the default fields. */
        public Config(Path model, String data, String classes, List<Strategy> strategies,
                List<Integer> shots, int seeds, int minStepsPerEpoch, boolean disjoint,
                TrainConfig train) {
            this(model, data, classes, strategies, shots, seeds, minStepsPerEpoch, disjoint,
                    train, null);
        }
    }

    /** One strategy at one budget with one seed. */
    public record Cell(
            @JsonProperty("strategy") Strategy strategy,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("seed_index") int seedIndex,
            @JsonProperty("test_accuracy") double testAccuracy,
            @JsonProperty("wall_seconds") double wallSeconds,
            @JsonProperty("trainable_parameters") long trainableParameters,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("steps") long steps,
            @JsonProperty("train_loss") List<Double> trainLoss,
            @JsonProperty("test") Evaluation test) {

        /** File-name-safe identity, e.g. {@code full-10shot-seed2}. */
        public String id() {
            return cellId(strategy, shots, seedIndex);
        }
    }

    /**
     * Mean and spread of one (strategy, budget) pair over its seeds.
     *
     * @param vsScratch accuracy minus the baseline's (scratch, or tfidf for text) on the same
     *     labelled examples, over the seeds both ran: within a seed every strategy sees the same
     *     examples, so the spread of this difference is the noise that matters when asking
     *     whether a strategy beats the baseline
     */
    public record Row(
            @JsonProperty("strategy") Strategy strategy,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("runs") int runs,
            @JsonProperty("mean_accuracy") double meanAccuracy,
            @JsonProperty("std_accuracy") double stdAccuracy,
            @JsonProperty("min_accuracy") double minAccuracy,
            @JsonProperty("max_accuracy") double maxAccuracy,
            @JsonProperty("mean_wall_seconds") double meanWallSeconds,
            @JsonProperty("trainable_parameters") long trainableParameters,
            @JsonProperty("vs_scratch") Spread vsScratch) {}

    /** The comparison's outcome. */
    public record Result(
            @JsonProperty("table") List<Row> table,
            @JsonProperty("cells") List<Cell> cells,
            @JsonProperty("resumed_cells") int resumedCells,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {

        /** The row of a (strategy, budget) pair, or null. */
        public Row row(Strategy s, Integer shots) {
            return table.stream().filter(r -> r.strategy() == s
                    && java.util.Objects.equals(r.shots(), shots)).findFirst().orElse(null);
        }

        /** The row with the best mean accuracy at a budget. */
        public Row best(Integer shots) {
            return table.stream().filter(r -> java.util.Objects.equals(r.shots(), shots))
                    .max(java.util.Comparator.comparingDouble(Row::meanAccuracy)).orElse(null);
        }
    }

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Comparison(Consumer<String> log) {
        this.log = log;
    }

    public Comparison progress(Progress p) {
        this.progress = p;
        return this;
    }

    /** Runs every cell not already finished in {@code dir} and writes the table. */
    public Result run(Config c, Path dir) {
        TargetTask task = TargetTask.load(c.model(), c.data(), c.classes(), c.disjoint(),
                c.fields(), log);
        task.checkBudgets(c.shots());
        return run(c, task, dir);
    }

    /** One cell of the grid: a strategy at a budget with a seed. */
    public record CellKey(Strategy strategy, Integer shots, int seedIndex) {
        public String id() {
            return cellId(strategy, shots, seedIndex);
        }
    }

    /** The grid's cells, in the order {@link #run} takes them: seed, then budget, then strategy. */
    public static List<CellKey> grid(Config c) {
        List<CellKey> out = new ArrayList<>();
        for (int seedIndex = 1; seedIndex <= c.seeds(); seedIndex++) {
            for (Integer shots : c.shots()) {
                for (Strategy s : c.strategies()) {
                    out.add(new CellKey(s, shots, seedIndex));
                }
            }
        }
        return out;
    }

    private static Path cellFile(Path dir, CellKey k) {
        return dir.resolve(CELLS).resolve(k.id() + ".json");
    }

    /**
     * The cells of {@code c} not finished in {@code dir}, opening it as {@link #run} does (a
     * new folder gets the configuration; a folder of another comparison is refused): for a job
     * that runs the cells elsewhere, saves them with {@link #saveCell}, then calls {@link #run},
     * which finds every cell finished and writes the table and report.
     */
    public static List<CellKey> unfinished(Config c, Path dir) {
        try (RunFolder run = openRun(dir, c)) {
            return grid(c).stream().filter(k -> !Files.isRegularFile(cellFile(dir, k))).toList();
        }
    }

    /** Saves a cell run elsewhere where {@link #run} finds it. */
    public static void saveCell(Path dir, Cell cell) {
        Json.write(cellFile(dir, new CellKey(cell.strategy(), cell.shots(), cell.seedIndex())),
                cell);
    }

    /** Runs one cell of the grid, as {@link #run} would. */
    public Cell cell(Config c, TargetTask task, CellKey k) {
        c.strategies().forEach(s -> s.checkApplies(task.isText()));
        List<CellKey> all = grid(c);
        return runCell(c, task, k.strategy(), k.shots(), k.seedIndex(), all.indexOf(k) + 1,
                all.size());
    }

    /** As {@link #run(Config, Path)} with the task already loaded. */
    public Result run(Config c, TargetTask task, Path dir) {
        c.strategies().forEach(s -> s.checkApplies(task.isText()));
        try (RunFolder run = openRun(dir, c)) {
            List<Cell> cells = new ArrayList<>();
            List<CellKey> all = grid(c);
            int resumed = 0;
            int n = 0;
            for (CellKey k : all) {
                n++;
                Path file = cellFile(dir, k);
                Cell cell;
                if (Files.isRegularFile(file)) {
                    cell = Json.read(file, Cell.class);
                    resumed++;
                } else {
                    cell = runCell(c, task, k.strategy(), k.shots(), k.seedIndex(), n,
                            all.size());
                    Json.write(file, cell);
                    run.event(Map.of("event", "cell", "cell", cell.id(),
                            "test_accuracy", cell.testAccuracy(),
                            "wall_seconds", cell.wallSeconds()));
                }
                cells.add(cell);
            }
            if (resumed > 0) {
                log.accept("reused " + resumed + " finished cell(s) from " + dir);
            }
            Result r = new Result(table(c, cells), cells, resumed, task.dataSource(),
                    dir.toString());
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "transfer");
            runJson.put("config", c);
            runJson.put("status", "finished");
            runJson.put("result", r);
            run.writeRun(runJson);
            ComparisonReport.addTo(new Report("graft transfer: " + task.model() + " to "
                    + task.pool().classNames()), c, task, r).write(run.resolve(Report.FILE));
            return r;
        }
    }

    /**
     * Opens {@code dir}: a new folder gets the config; a folder holding the same comparison is
     * resumed; anything else is refused rather than mixed with.
     */
    private static RunFolder openRun(Path dir, Config c) {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (Files.isRegularFile(configFile)) {
            JsonNode found;
            try {
                found = Json.MAPPER.readTree(configFile.toFile());
            } catch (IOException e) {
                throw new dev.graft.io.BadFileException(configFile, "not readable JSON: "
                        + e.getMessage(), e);
            }
            if (!Json.sameAs(found, c)) {
                throw new GraftException(dir + " holds a comparison with another configuration"
                        + " (" + configFile + "); choose another --out to run this one");
            }
            return RunFolder.open(dir, false);
        }
        RunFolder run = RunFolder.open(dir, true);
        Json.write(configFile, c);
        return run;
    }

    private Cell runCell(Config c, TargetTask task, Strategy s, Integer shots, int seedIndex,
            int n, int total) {
        long seed = Seeds.derive(c.train().seed(), "seed" + seedIndex);
        Labelled train = task.budget(shots, Seeds.derive(seed, "shots"));
        long started = System.nanoTime();
        double accuracy;
        Evaluation ev = null;
        long steps;
        long trainable;
        List<Double> losses;
        if (s == Strategy.TFIDF) {
            TfIdf.Result r = TfIdf.run(TargetTask.texts(train, "tfidf"),
                    TargetTask.texts(task.test(), "tfidf"), Seeds.derive(seed, "tfidf"));
            accuracy = r.testAccuracy();
            steps = 0;
            trainable = r.parameters(train.numClasses());
            losses = List.of();
        } else {
            try (NDManager manager = NDManager.newBaseManager()) {
                Trained t = train(task, s, train, c.train(), seed, c.minStepsPerEpoch(),
                        progress, manager);
                try (Examples test = task.examples(task.test(), t.normalization(), manager)) {
                    ev = Evaluation.of(t.net(), test, task.test().classNames(), manager);
                }
                accuracy = ev.accuracy();
                steps = t.steps();
                trainable = t.trainableParameters();
                losses = t.history().stream().map(EpochMetrics::trainLoss).toList();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        log.accept(String.format("[%d/%d] %-10s %5s  seed %d: %.2f%%  (%.1f s, %,d trainable)",
                n, total, s.id(), shotsLabel(shots), seedIndex, 100 * accuracy, seconds,
                trainable));
        return new Cell(s, shots, seedIndex, accuracy, seconds, trainable, train.size(), steps,
                losses, ev);
    }

    /** A network trained for the target task. */
    public record Trained(StagedNet net, Normalization normalization, long steps,
            long trainableParameters, List<EpochMetrics> history) {}

    /**
     * Trains one strategy on {@code train}: scratch builds the source architecture afresh (its
     * inputs normalized with statistics of {@code train}); the others put a new head on a fresh
     * copy of the pretrained network and follow the strategy's policy; setfit tunes the trunk
     * on sentence pairs first, then fits its head as the probe does.
     *
     * @param seed seeds the head or the initial weights, the order of examples and dropout
     */
    public static Trained train(TargetTask task, Strategy s, Labelled train,
            TrainConfig base, long seed, int minStepsPerEpoch, Progress progress,
            NDManager manager) {
        s.checkApplies(task.isText());
        List<String> stages = task.stages();
        String top = stages.get(stages.size() - 1);
        FineTunePolicy policy = s.policy(stages);
        LrSchedule schedule = policy != null && policy.slantedTriangular()
                ? LrSchedule.SlantedTriangular.defaults() : base.schedule();
        // a batch is never larger than the labelled set: fewer labels, cheaper steps
        int batch = Math.min(base.batchSize(), train.size());
        TrainConfig tc = new TrainConfig(base.epochs(), batch, base.optimizer(),
                schedule, base.augmentation(), seed, 0, List.of());
        StagedNet net;
        Normalization norm;
        IntFunction<List<ParamGroup>> groups = null;
        JointObjective joint = null;
        long trainable;
        if (s == Strategy.SCRATCH) {
            ImageDataset images = TargetTask.images(train, "scratch");
            norm = Normalization.fit(images);
            net = Architecture.byId(task.spec().architecture()).build(images.imageShape(),
                    train.numClasses(), task.spec().options()).initialize(manager,
                    Seeds.derive(seed, "init"));
            trainable = net.parameterCount();
        } else if (s == Strategy.JOINT) {
            ImageDataset images = TargetTask.images(train, "joint");
            norm = task.spec().normalization();
            Architecture arch = Architecture.byId(task.spec().architecture());
            net = arch.build(images.imageShape(), train.numClasses(), task.spec().options())
                    .initialize(manager, Seeds.derive(seed, "init"));
            ImageDataset sourceImages = TargetTask.sourceTrainSet(task.spec());
            StagedNet sourceHead = arch.build(images.imageShape(), sourceImages.numClasses(),
                    task.spec().options()).initialize(manager, Seeds.derive(seed, "source-head"));
            TensorDataset source = TensorDataset.of(sourceImages, norm, manager);
            joint = new JointObjective(source, sourceHead, top, Seeds.derive(seed, "source"));
            trainable = net.parameterCount() + sourceHead.parameters(StagedNet.HEAD).values()
                    .stream().mapToLong(p -> p.getArray().size()).sum();
        } else if (s == Strategy.PROBE || s == Strategy.SETFIT) {
            norm = task.spec().normalization();
            net = task.loadSource(manager).withHead(train.numClasses(), manager,
                    Seeds.derive(seed, "head"));
            try (Examples data = task.examples(train, norm, manager)) {
                long steps = s == Strategy.SETFIT ? SetFit.tune(net, (TokenizedText) data,
                        base.epochs() * minStepsPerEpoch, Seeds.derive(seed, "pairs"), progress,
                        manager) : 0;
                return fitProbe(net, norm, data, train.classNames(), top, steps, seed,
                        s == Strategy.SETFIT ? net.parameterCount() : 0, manager);
            }
        } else {
            norm = task.spec().normalization();
            net = task.loadSource(manager).withHead(train.numClasses(), manager,
                    Seeds.derive(seed, "head"));
            if (policy.probeHead()) {
                try (Examples data = task.examples(train, norm, manager)) {
                    probeHead(net, data, train.classNames(), top, seed, manager);
                }
            }
            groups = epoch -> policy.groups(stages, epoch);
            trainable = FineTune.trainable(net, policy.groups(stages, base.epochs()));
        }
        Labelled shown = repeatToFill(train, minStepsPerEpoch * batch);
        try (TrainingLoop loop = new TrainingLoop(net, tc, manager);
                Examples data = task.examples(shown, norm, manager)) {
            loop.progress(progress);
            if (groups != null) {
                loop.groupsByEpoch(groups);
            }
            if (joint != null) {
                loop.objective(joint);
            }
            TrainingLoop.Outcome o = loop.fit(data, null, 1, Double.NEGATIVE_INFINITY,
                    (m, improved) -> { });
            return new Trained(net, norm, o.steps(), trainable, o.history());
        }
    }

    /**
     * The feature-extractor strategy: the trunk's codes at {@code stage}, a logistic
     * regression on them, and that regression set as the network's head.
     *
     * @param tunedTrunk parameters of the trunk trained before (setfit), 0 when it stayed frozen
     */
    private static Trained fitProbe(StagedNet net, Normalization norm, Examples data,
            List<String> classNames, String stage, long steps, long seed, long tunedTrunk,
            NDManager manager) {
        LinearProbe.LinearMap map = probeHead(net, data, classNames, stage, seed, manager);
        long head = (long) map.weight().length + map.bias().length;
        return new Trained(net, norm, steps, head + tunedTrunk, List.of());
    }

    /**
     * Sets {@code net}'s head to a logistic regression (LIBLINEAR, C chosen on a split of the
     * labelled examples) on its codes at {@code stage}, pooled by average.
     */
    static LinearProbe.LinearMap probeHead(StagedNet net, Examples data, List<String> classNames,
            String stage, long seed, NDManager manager) {
        FeatureCodes codes = FeatureCodes.extract(net, data, stage,
                dev.graft.model.Pooling.AVERAGE, classNames, manager);
        LinearProbe.LinearMap map = LinearProbe.fitLinear(codes, LinearProbe.Config.defaults(
                LinearProbe.Classifier.LOGREG, Seeds.derive(seed, "probe")));
        net.setLinearHead(map.weight(), map.bias());
        return map;
    }

    /** {@code d} repeated whole until it holds at least {@code minImages} examples. */
    static Labelled repeatToFill(Labelled d, int minImages) {
        if (d.size() >= minImages) {
            return d;
        }
        int copies = (minImages + d.size() - 1) / d.size();
        int[] idx = new int[copies * d.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i % d.size();
        }
        return d.select(idx);
    }

    static List<Row> table(Config c, List<Cell> cells) {
        List<Row> rows = new ArrayList<>();
        for (Integer shots : c.shots()) {
            for (Strategy s : c.strategies()) {
                List<Cell> mine = cells.stream().filter(x -> x.strategy() == s
                        && java.util.Objects.equals(x.shots(), shots)).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                double[] acc = mine.stream().mapToDouble(Cell::testAccuracy).toArray();
                rows.add(new Row(s, shots, acc.length, Spread.mean(acc), Spread.sampleStd(acc),
                        java.util.Arrays.stream(acc).min().orElse(Double.NaN),
                        java.util.Arrays.stream(acc).max().orElse(Double.NaN),
                        mine.stream().mapToDouble(Cell::wallSeconds).average().orElse(0),
                        mine.get(0).trainableParameters(), s.isBaseline() ? null
                                : vsScratch(mine, cells)));
            }
        }
        return rows;
    }

    /**
     * Paired differences to the baseline (scratch, or TF-IDF for text) at the same budget and
     * seed; null without one.
     */
    private static Spread vsScratch(List<Cell> mine, List<Cell> all) {
        List<Double> diffs = new ArrayList<>();
        for (Cell cell : mine) {
            all.stream().filter(x -> x.strategy().isBaseline()
                    && java.util.Objects.equals(x.shots(), cell.shots())
                    && x.seedIndex() == cell.seedIndex()).findFirst()
                    .ifPresent(scratch -> diffs.add(cell.testAccuracy()
                            - scratch.testAccuracy()));
        }
        if (diffs.isEmpty()) {
            return null;
        }
        double[] d = diffs.stream().mapToDouble(Double::doubleValue).toArray();
        return Spread.of(d);
    }

    static String cellId(Strategy s, Integer shots, int seedIndex) {
        return s.id() + "-" + (shots == null ? "all" : shots + "shot") + "-seed" + seedIndex;
    }

    /** {@code 10} or {@code all}. */
    public static String shotsLabel(Integer shots) {
        return shots == null ? "all" : Integer.toString(shots);
    }

    /** Parses {@code 1,10,100,all}: a null entry is the whole pool. */
    public static List<Integer> parseShots(String s) {
        List<Integer> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String p = part.trim();
            if (p.equalsIgnoreCase("all")) {
                out.add(null);
                continue;
            }
            try {
                out.add(Integer.parseInt(p));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--shots: '" + p + "' is neither a number nor"
                        + " 'all' (e.g. --shots 1,10,100,all)");
            }
        }
        return out;
    }
}
