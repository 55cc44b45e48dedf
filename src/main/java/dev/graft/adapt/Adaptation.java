package dev.graft.adapt;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.data.UnlabeledDataset;
import dev.graft.io.AtomicFiles;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.Checkpoint;
import dev.graft.model.Discriminator;
import dev.graft.model.ModelSpec;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.data.Augmentation;
import dev.graft.train.EpochCost;
import dev.graft.train.Evaluation;
import dev.graft.train.LrSchedule;
import dev.graft.train.TrainingLoop;
import dev.graft.transfer.FeatureCodes;
import dev.graft.train.GraftVersion;
import dev.graft.train.ParamGroup;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.Spread;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingDivergedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Adapts a source model to an unlabelled target domain with each method over several seeds, and
 * compares them on the target's labelled test split: the one place target labels are read
 * (besides the oracle, which is marked as such everywhere).
 *
 * <p>Every finished cell (method x seed) is written to {@code cells/} at once, its checkpoint
 * to {@code models/<cell>/}; running the same adaptation into the same folder again reuses
 * finished cells.
 */
public final class Adaptation {

    public static final String CELLS = "cells";
    public static final String MODELS = "models";
    static final String CONFIG_FILE = "config.json";
    static final String COSTS_FILE = "epoch_costs.json";
    /** Hidden width of DANN's domain classifier (TLL's default). */
    static final int DISCRIMINATOR_WIDTH = 1024;

    /**
     * What to run.
     *
     * @param model the source model's checkpoint
     * @param source the labelled source dataset (null: the one the model was trained on)
     * @param target the target dataset; its training split is used without labels, its test
     *     split evaluates
     * @param tradeOff weight of each method's term against source cross-entropy (TLL: 1)
     * @param threshold self-training's confidence threshold
     * @param select the validator that picks a method without target labels
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("source") String source,
            @JsonProperty("target") String target,
            @JsonProperty("methods") List<Recipe> methods,
            @JsonProperty("seeds") int seeds,
            @JsonProperty("trade_off") double tradeOff,
            @JsonProperty("threshold") double threshold,
            @JsonProperty("select") Validator select,
            @JsonProperty("train") TrainConfig train) {

        public Config {
            methods = List.copyOf(methods);
            if (methods.isEmpty()) {
                throw new IllegalArgumentException("--methods lists nothing to run");
            }
            if (seeds < 1) {
                throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
            }
            if (!(tradeOff >= 0) || Double.isInfinite(tradeOff)) {
                throw new IllegalArgumentException("--trade-off must be >= 0, got " + tradeOff);
            }
            if (!(threshold > 0 && threshold < 1)) {
                throw new IllegalArgumentException("--threshold must be in (0, 1), got "
                        + threshold);
            }
        }
    }

    /**
     * The data of an adaptation: labelled source splits, and the target's training split as a
     * labelled set that only the oracle may read (adaptation methods get {@link #target()}).
     */
    public record Domains(ImageDataset sourceTrain, ImageDataset sourceTest,
            ImageDataset targetTrain, ImageDataset targetTest, String sourceName,
            String targetName) {}

    /**
     * One method on one seed.
     *
     * @param targetAccuracy on the target's test split; null when training diverged
     * @param scores each validator's score of the adapted model (no target labels read)
     * @param domainGap the adapted model's domain gap per stage (seed 1 only)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Cell(
            @JsonProperty("method") Recipe method,
            @JsonProperty("seed_index") int seedIndex,
            @JsonProperty("target_accuracy") Double targetAccuracy,
            @JsonProperty("per_class_accuracy") double[] perClassAccuracy,
            @JsonProperty("confusion") long[][] confusion,
            @JsonProperty("scores") Map<Validator, Double> scores,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("images_per_second") Double imagesPerSecond,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("diverged") String diverged,
            @JsonProperty("domain_gap") List<DomainGap.Stage> domainGap) {

        String id() {
            return method.id() + "-seed" + seedIndex;
        }
    }

    /**
     * One method over its seeds.
     *
     * @param gainOverSourceOnly mean target accuracy minus source-only's
     * @param gapClosed (mean - source-only) / (oracle - source-only), when both ran
     * @param validatorScore the selecting validator's mean score
     * @param epochCostVsPlain time per source image relative to plain cross-entropy training,
     *     timed side by side (joint methods only)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Row(
            @JsonProperty("name") String name,
            @JsonProperty("uses_target_labels") boolean usesTargetLabels,
            @JsonProperty("target_accuracy_mean") Double targetAccuracyMean,
            @JsonProperty("target_accuracy_std") Double targetAccuracyStd,
            @JsonProperty("seeds") int seeds,
            @JsonProperty("gain_over_source_only") Double gainOverSourceOnly,
            @JsonProperty("gap_closed") Double gapClosed,
            @JsonProperty("validator_score") Double validatorScore,
            @JsonProperty("scores") Map<Validator, Double> scores,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("images_per_second") Double imagesPerSecond,
            @JsonProperty("epoch_cost_vs_plain") Double epochCostVsPlain,
            @JsonProperty("diverged") int diverged) {}

    /**
     * The method a validator picks, beside the one target labels would pick.
     *
     * @param gap best accuracy minus the selected method's (0 when they agree)
     */
    public record Selection(
            @JsonProperty("validator") Validator validator,
            @JsonProperty("method") String method,
            @JsonProperty("target_accuracy") Double targetAccuracy,
            @JsonProperty("best_by_target_labels") String bestByTargetLabels,
            @JsonProperty("best_target_accuracy") Double bestTargetAccuracy,
            @JsonProperty("gap") Double gap,
            @JsonProperty("picks") Map<Validator, String> picks) {}

    /** The outcome. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            @JsonProperty("source") String source,
            @JsonProperty("target") String target,
            @JsonProperty("class_names") List<String> classNames,
            @JsonProperty("methods") List<Row> methods,
            @JsonProperty("source_only") Double sourceOnly,
            @JsonProperty("oracle") Double oracle,
            @JsonProperty("selected") Selection selected,
            @JsonProperty("cells") List<Cell> cells,
            @JsonProperty("resumed_cells") int resumedCells,
            @JsonProperty("source_examples") int sourceExamples,
            @JsonProperty("target_examples") int targetExamples,
            @JsonProperty("target_test_examples") int targetTestExamples,
            @JsonProperty("run") String run) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;
    private boolean epochCost = true;

    public Adaptation(Consumer<String> log) {
        this.log = log;
    }

    public Adaptation progress(Progress p) {
        this.progress = p;
        return this;
    }

    /**
     * Whether to time each joint method's epoch against plain training, side by side, once per
     * run folder (a few minutes; the result is kept, so a later run into the folder can add it).
     */
    public Adaptation epochCost(boolean measure) {
        this.epochCost = measure;
        return this;
    }

    /** Resolves the source and target datasets of {@code c} and checks they fit the model. */
    public Domains domains(Config c) {
        ModelSpec spec = Checkpoint.readSpec(c.model(), "--model");
        String sourceName = c.source() != null ? c.source() : spec.sourceDataset();
        DatasetResolver resolver = new DatasetResolver();
        DatasetResolver.Resolved src = resolver.resolve(sourceName, spec.inputShape(), log);
        log.accept("source: " + sourceName + " from " + src.source());
        DatasetResolver.Resolved tgt = resolver.resolve(c.target(), spec.inputShape(), log);
        log.accept("target: " + c.target() + " from " + tgt.source());
        Domains d = new Domains(src.train(), src.test(), tgt.train(), tgt.test(), sourceName,
                c.target());
        check(c.model(), spec, d);
        return d;
    }

    /** Refuses domains that do not share the model's classes and input shape. */
    static void check(Path model, ModelSpec spec, Domains d) {
        if (!d.sourceTrain().classNames().equals(spec.classNames())) {
            throw new GraftException("--model " + model + " has classes " + spec.classNames()
                    + " but the source " + d.sourceName() + " has " + d.sourceTrain()
                    .classNames() + "; give --source the data the model was trained on");
        }
        if (!d.targetTrain().classNames().equals(d.sourceTrain().classNames())) {
            throw new GraftException("the target " + d.targetName() + " has classes "
                    + d.targetTrain().classNames() + " but the source " + d.sourceName()
                    + " has " + d.sourceTrain().classNames() + "; adaptation needs the same"
                    + " classes in the same order (same task, another domain)");
        }
        for (ImageDataset x : List.of(d.sourceTrain(), d.targetTrain(), d.targetTest())) {
            if (!Arrays.equals(x.imageShape(), spec.inputShape())) {
                throw new GraftException(x.name() + " has images " + Arrays.toString(
                        x.imageShape()) + " but --model " + model + " takes " + Arrays.toString(
                                spec.inputShape()) + "; both domains need the model's input"
                        + " size");
            }
        }
        if (d.targetTrain().size() == 0 || d.targetTest().size() == 0) {
            throw new GraftException("the target " + d.targetName() + " has "
                    + d.targetTrain().size() + " training and " + d.targetTest().size()
                    + " test images; it needs both");
        }
    }

    /** Runs every cell not already finished in {@code dir}. */
    public Result run(Config c, Path dir) {
        return run(c, domains(c), dir);
    }

    /** As {@link #run(Config, Path)} on domains already loaded. */
    public Result run(Config c, Domains d, Path dir) {
        ModelSpec spec = Checkpoint.readSpec(c.model(), "--model");
        check(c.model(), spec, d);
        try (RunFolder run = openRun(dir, c);
                NDManager manager = NDManager.newBaseManager();
                TensorDataset source = TensorDataset.of(d.sourceTrain(), spec.normalization(),
                        manager);
                TensorDataset sourceTest = TensorDataset.of(d.sourceTest(), spec.normalization(),
                        manager);
                UnlabeledDataset target = UnlabeledDataset.of(d.targetTrain(),
                        spec.normalization(), manager);
                TensorDataset targetTest = TensorDataset.of(d.targetTest(), spec.normalization(),
                        manager);
                DomainGap.Samples gapSamples = DomainGap.sample(sourceTest, targetTest,
                        gapSeed(c), manager)) {
            Shared sh = new Shared(c, spec, d, source, sourceTest, target, targetTest, run,
                    gapSamples);
            List<Cell> cells = new ArrayList<>();
            int resumed = 0;
            int total = c.methods().size() * c.seeds();
            int n = 0;
            for (int s = 1; s <= c.seeds(); s++) {
                for (Recipe r : c.methods()) {
                    n++;
                    Path file = run.resolve(CELLS).resolve(r.id() + "-seed" + s + ".json");
                    Cell cell;
                    if (Files.isRegularFile(file)) {
                        cell = withEveryScore(sh, Json.read(file, Cell.class), file, manager);
                        resumed++;
                    } else if (r.deterministic() && s > 1) {
                        Cell first = cells.stream().filter(x -> x.method().equals(r)).findFirst()
                                .orElseThrow();
                        cell = new Cell(r, s, first.targetAccuracy(), first.perClassAccuracy(),
                                first.confusion(), first.scores(), first.seconds(),
                                first.imagesPerSecond(), first.checkpoint(), first.diverged(),
                                null);
                        Json.write(file, cell);
                    } else {
                        log.accept(String.format("[%d/%d] %s, seed %d", n, total, r.id(), s));
                        cell = cell(sh, r, s, manager);
                        Json.write(file, cell);
                        run.event(Map.of("event", "cell", "cell", cell.id(), "target_accuracy",
                                cell.targetAccuracy() == null ? "diverged"
                                        : cell.targetAccuracy(), "seconds", cell.seconds()));
                        if (cell.targetAccuracy() != null) {
                            log.accept(String.format("%s seed %d: target accuracy %.2f%%, %s"
                                    + " %.4f", r.id(), s, 100 * cell.targetAccuracy(),
                                    c.select().id(), cell.scores().get(c.select())));
                        }
                    }
                    cells.add(cell);
                }
            }
            if (resumed > 0) {
                log.accept("reused " + resumed + " finished cell(s) from " + dir);
            }
            List<Row> rows = rows(c, cells, epochCosts(sh, manager));
            Result result = new Result(d.sourceName(), d.targetName(),
                    d.targetTest().classNames(), rows,
                    accuracyOf(rows, Method.SOURCE_ONLY), accuracyOf(rows, Method.ORACLE),
                    select(c.select(), rows), cells, resumed, source.size(), target.size(),
                    targetTest.size(), dir.toString());
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "adapt");
            runJson.put("config", c);
            runJson.put("status", "finished");
            runJson.put("result", result);
            run.writeRun(runJson);
            AdaptReport.write(run.resolve(dev.graft.report.Report.FILE), c, result,
                    projections(sh, result, manager));
            return result;
        }
    }

    /**
     * A finished cell with a score from every validator and (seed 1) its domain gap: what it
     * lacks (added since it ran) is computed from its checkpoint, and the cell file rewritten.
     */
    private static Cell withEveryScore(Shared sh, Cell cell, Path file, NDManager manager) {
        boolean gap = cell.seedIndex() == 1 && cell.domainGap() == null;
        if (cell.targetAccuracy() == null || (!gap && cell.scores().keySet().containsAll(
                java.util.EnumSet.allOf(Validator.class)))) {
            return cell;
        }
        Map<Validator, Double> scores = new LinkedHashMap<>(cell.scores());
        List<DomainGap.Stage> domainGap = cell.domainGap();
        try (NDManager m = manager.newSubManager()) {
            StagedNet net = Checkpoint.load(Path.of(cell.checkpoint()), m).net();
            for (Validator v : Validator.values()) {
                if (!scores.containsKey(v)) {
                    scores.put(v, v.score(net, sh.target(), sh.sourceTest(), m));
                }
            }
            if (gap) {
                domainGap = DomainGap.measure(net, sh.gapSamples(), sh.gapSeed(), m);
            }
        }
        Cell full = new Cell(cell.method(), cell.seedIndex(), cell.targetAccuracy(),
                cell.perClassAccuracy(), cell.confusion(), scores, cell.seconds(),
                cell.imagesPerSecond(), cell.checkpoint(), cell.diverged(), domainGap);
        Json.write(file, full);
        return full;
    }

    private record Shared(Config c, ModelSpec spec, Domains d, TensorDataset source,
            TensorDataset sourceTest, UnlabeledDataset target, TensorDataset targetTest,
            RunFolder run, DomainGap.Samples gapSamples) {

        long gapSeed() {
            return Adaptation.gapSeed(c);
        }
    }

    /** The seed of the domain-gap samples and classifiers: one per run, not per cell. */
    private static long gapSeed(Config c) {
        return Seeds.derive(c.train().seed(), "domain-gap");
    }

    /** Runs one cell from the source model. */
    private Cell cell(Shared sh, Recipe r, int seedIndex, NDManager manager) {
        Config c = sh.c();
        long seed = Seeds.derive(c.train().seed(), "seed" + seedIndex);
        long started = System.nanoTime();
        Path modelDir = sh.run().resolve(MODELS).resolve(r.id() + "-seed" + seedIndex);
        try (NDManager m = manager.newSubManager()) {
            StagedNet net = Checkpoint.load(c.model(), m).net();
            ModelSpec spec = childSpec(sh, r, seed, net);
            if (r.adabn() || r.method() == Method.ADABN) {
                int buffers = AdaBN.apply(net, sh.target(), c.train().batchSize(), m);
                if (buffers == 0) {
                    log.accept("warning: " + sh.spec().architecture() + " has no BatchNorm;"
                            + " adabn changes nothing");
                }
            }
            if (r.method().onCodes()) {
                LinearHead head = onCodes(sh, r.method(), net, seed, m);
                net.setLinearHead(head.weight(), head.bias());
                log.accept(r.id() + ": " + head.summary());
            }
            Double imagesPerSecond = null;
            StagedNet adapted = net;
            if (r.method().trains()) {
                try {
                    RunTraining.Outcome o = train(sh, r, net, spec, seed, modelDir, m);
                    adapted = o.best();
                    imagesPerSecond = o.loop().meanImagesPerSecond();
                } catch (TrainingDivergedException e) {
                    log.accept(String.format("warning: %s seed %d diverged and is left out of"
                            + " the table: %s", r.id(), seedIndex, e.getMessage()));
                    return new Cell(r, seedIndex, null, null, null, Map.of(),
                            (System.nanoTime() - started) / 1e9, null, null, e.getMessage(),
                            null);
                }
            } else if (r.method() != Method.SOURCE_ONLY) {
                clear(modelDir);
                Checkpoint.save(modelDir.resolve(RunTraining.MODEL), net, spec, null);
            }
            Evaluation ev = Evaluation.of(adapted, sh.targetTest(),
                    sh.d().targetTest().classNames(), m);
            Map<Validator, Double> scores = new LinkedHashMap<>();
            for (Validator v : Validator.values()) {
                scores.put(v, v.score(adapted, sh.target(), sh.sourceTest(), m));
            }
            String checkpoint = r.method() == Method.SOURCE_ONLY ? c.model().toString()
                    : modelDir.resolve(RunTraining.MODEL).toString();
            double seconds = (System.nanoTime() - started) / 1e9;
            List<DomainGap.Stage> gap = seedIndex == 1 ? DomainGap.measure(adapted,
                    sh.gapSamples(), sh.gapSeed(), m) : null;
            return new Cell(r, seedIndex, ev.accuracy(), ev.perClassAccuracy(), ev.confusion(),
                    scores, seconds, imagesPerSecond, checkpoint, null, gap);
        }
    }

    /**
     * The pictures of the codes before (the source model) and after adapting (the validator's
     * pick, seed 1), by name.
     */
    private static Map<String, DomainGap.Projection> projections(Shared sh, Result r,
            NDManager manager) {
        Map<String, DomainGap.Projection> out = new LinkedHashMap<>();
        try (NDManager m = manager.newSubManager()) {
            out.put("before: source model", DomainGap.project(Checkpoint.load(sh.c().model(), m)
                    .net(), sh.gapSamples(), m));
            String picked = r.selected().method();
            r.cells().stream().filter(x -> x.seedIndex() == 1 && x.method().id().equals(picked)
                    && x.checkpoint() != null).findFirst().ifPresent(x -> out.put("after: "
                            + picked + " (selected)", DomainGap.project(Checkpoint.load(
                                    Path.of(x.checkpoint()), m).net(), sh.gapSamples(), m)));
        }
        return out;
    }

    /** Trains a method into {@code dir} (its checkpoints and metrics). */
    private RunTraining.Outcome train(Shared sh, Recipe r, StagedNet net, ModelSpec spec,
            long seed, Path dir, NDManager m) {
        Config c = sh.c();
        TrainConfig tc = c.train().withSeed(seed);
        Map<String, Object> runJson = new LinkedHashMap<>();
        runJson.put("command", "adapt");
        runJson.put("method", r.id());
        clear(dir);
        try (RunFolder run = RunFolder.open(dir, true);
                TensorDataset empty = TensorDataset.ofValues(new float[0], sh.spec().inputShape(),
                        new int[0], sh.spec().numClasses(), m)) {
            switch (r.method()) {
                case ORACLE -> {
                    // the one cell that reads target labels: the upper bound, not adaptation
                    try (TensorDataset labelled = TensorDataset.of(sh.d().targetTrain(),
                            sh.spec().normalization(), m)) {
                        return RunTraining.run(run, net, spec, new RunTraining.Data(labelled,
                                empty, sh.targetTest(), sh.d().targetTest().classNames()), tc,
                                null, runJson, progress, log, m);
                    }
                }
                case SHOT -> {
                    long perEpoch = (sh.target().size() + tc.batchSize() - 1) / tc.batchSize();
                    ShotObjective shot = new ShotObjective(net, sh.target(), perEpoch,
                            tc.batchSize(), m);
                    try (TensorDataset pseudo = sh.target().withLabels(shot.pseudoLabels(),
                            net.numClasses(), m)) {
                        return RunTraining.run(run, net, spec, new RunTraining.Data(pseudo,
                                empty, sh.targetTest(), sh.d().targetTest().classNames()), tc,
                                epoch -> List.of(ParamGroup.frozen(StagedNet.HEAD)),
                                new RunTraining.Extras(shot, List.of(shot), null, null),
                                runJson, progress, log, m);
                    }
                }
                default -> {
                    long steps = (long) tc.epochs()
                            * ((sh.source().size() + tc.batchSize() - 1) / tc.batchSize());
                    return RunTraining.run(run, net, spec, new RunTraining.Data(sh.source(),
                            empty, sh.targetTest(), sh.d().targetTest().classNames()), tc,
                            null, new RunTraining.Extras(objective(sh, r.method(), net, seed,
                                    steps, m), List.of(), null, null),
                            runJson, progress, log, m);
                }
            }
        }
    }

    /**
     * The head a method on codes fits to the source's labelled and the target's codes; the
     * SVM's temperature set on the source's held-out test codes.
     */
    private static LinearHead onCodes(Shared sh, Method method, StagedNet net, long seed,
            NDManager m) {
        String top = net.stageNames().get(net.stageNames().size() - 1);
        FeatureCodes source = FeatureCodes.extract(net, sh.source(), top, Pooling.AVERAGE,
                sh.spec().classNames(), m);
        Codes target = Codes.of(net, sh.target(), m);
        long fitSeed = Seeds.derive(seed, method.id());
        LinearHead head = switch (method) {
            case LABEL_PROPAGATION -> LabelPropagation.fit(source, target, fitSeed, m);
            case TSVM -> TransductiveSvm.fit(source, target, fitSeed);
            case EM -> GaussianEm.fit(source, target);
            default -> throw new IllegalArgumentException(method.id() + " is not a method on"
                    + " codes");
        };
        // an SVM's margins are no probabilities; label propagation's logistic regression and
        // EM's Gaussian model give their own (calibrating a head fitted to the target on
        // source codes flattened label propagation's on the noisy Fashion-MNIST to im 0.10)
        return method == Method.TSVM ? head.calibrated(FeatureCodes.extract(net,
                sh.sourceTest(), top, Pooling.AVERAGE, sh.spec().classNames(), m)) : head;
    }

    /** The objective of a method that trains on source and target batches together. */
    private static AdaptObjective objective(Shared sh, Method method, StagedNet net, long seed,
            long steps, NDManager m) {
        String stage = net.stageNames().get(net.stageNames().size() - 1);
        Discriminator disc = method == Method.DANN ? Discriminator.create(featureWidth(net),
                DISCRIMINATOR_WIDTH, "discriminator", m, Seeds.derive(seed, "discriminator"))
                : null;
        return new AdaptObjective(method, sh.target(), sh.spec().normalization(), stage,
                sh.c().tradeOff(), sh.c().threshold(), steps, disc, Seeds.derive(seed,
                        "target-batches"));
    }

    /**
     * Each joint method's cost per source image relative to plain cross-entropy training of the
     * same model, timed side by side once per run ({@link EpochCost}); kept in the run folder.
     */
    private Map<Method, Double> epochCosts(Shared sh, NDManager manager) {
        Path file = sh.run().resolve(COSTS_FILE);
        List<Method> joint = sh.c().methods().stream().map(Recipe::method)
                .filter(Method::joint).distinct().toList();
        Map<Method, Double> costs = new java.util.EnumMap<>(Method.class);
        if (Files.isRegularFile(file)) {
            costs.putAll(Json.read(file, Costs.class).costs());
        }
        joint = joint.stream().filter(x -> !costs.containsKey(x)).toList();
        if (joint.isEmpty() || !epochCost) {
            return costs;
        }
        TrainConfig c = sh.c().train();
        long seed = Seeds.derive(c.seed(), "cost");
        TrainConfig tc = new TrainConfig(1, c.batchSize(), c.optimizer(),
                new LrSchedule.Constant(), Augmentation.NONE, seed, 0, List.of());
        try (NDManager m = manager.newSubManager();
                TrainingLoop plain = new TrainingLoop(Checkpoint.load(sh.c().model(), m).net(),
                        tc, m)) {
            int n = EpochCost.chunk(plain, sh.source(), tc.batchSize(), m);
            log.accept(String.format("epoch cost: timing chunks of %,d source images, %d rounds",
                    n, EpochCost.ROUNDS));
            try (TensorDataset head = sh.source().head(n, m)) {
                for (Method method : joint) {
                    try (NDManager km = m.newSubManager()) {
                        StagedNet net = Checkpoint.load(sh.c().model(), km).net();
                        try (TrainingLoop loop = new TrainingLoop(net, tc, km)) {
                            loop.objective(objective(sh, method, net, seed,
                                    loop.stepsPerEpoch(n), km));
                            double cost = EpochCost.ratio(plain, loop, head);
                            costs.put(method, cost);
                            log.accept(String.format("epoch cost of %s vs plain training,"
                                    + " timed side by side: %.2fx", method.id(), cost));
                        }
                    }
                }
            }
        }
        Json.write(file, new Costs(costs));
        return costs;
    }

    /** The epoch costs as saved in the run folder. */
    record Costs(@JsonProperty("epoch_cost_vs_plain") Map<Method, Double> costs) {}

    /** Width of the last stage's output, pooled to a vector. */
    private static int featureWidth(StagedNet net) {
        return (int) net.trunkOutputShape().get(1);
    }

    /** The adapted model's spec: the source model's, with its provenance pointing to it. */
    private static ModelSpec childSpec(Shared sh, Recipe r, long seed, StagedNet net) {
        ModelSpec s = sh.spec();
        return new ModelSpec(ModelSpec.FORMAT_VERSION, s.architecture(), s.options(),
                s.inputShape(), s.numClasses(), s.classNames(), s.normalization(), s.stages(),
                Checkpoint.parameterShapes(net), new ModelSpec.Provenance(GraftVersion.graft(),
                        GraftVersion.djl(), GraftVersion.engine(), Instant.now().toString(), seed,
                        sh.d().targetName(), "adapted from " + sh.d().sourceName()
                                + (r.readsTargetLabels() ? " with target labels (oracle)"
                                        : " without target labels"),
                        sh.d().targetTrain().fingerprint(), sh.c().model().toString(),
                        "adapt " + r.id()));
    }

    /** Removes what an interrupted cell left in its folder (graft's own sub-folder of the run). */
    private static void clear(Path dir) {
        try {
            if (Files.exists(dir)) {
                AtomicFiles.deleteTree(dir);
            }
        } catch (IOException e) {
            throw new GraftException("cannot clear " + dir + ": " + AtomicFiles.describe(e), e);
        }
    }

    /** Mean and spread per method, in the order the methods were given. */
    static List<Row> rows(Config c, List<Cell> cells, Map<Method, Double> costs) {
        List<Row> rows = new ArrayList<>();
        Double sourceOnly = meanAccuracy(cells, new Recipe(false, Method.SOURCE_ONLY));
        Double oracle = meanAccuracy(cells, new Recipe(false, Method.ORACLE));
        for (Recipe r : c.methods()) {
            List<Cell> mine = cells.stream().filter(x -> x.method().equals(r)).toList();
            List<Cell> ok = mine.stream().filter(x -> x.targetAccuracy() != null).toList();
            Spread acc = ok.isEmpty() ? null : Spread.of(ok.stream()
                    .mapToDouble(Cell::targetAccuracy).toArray());
            Map<Validator, Double> scores = new LinkedHashMap<>();
            for (Validator v : Validator.values()) {
                double[] s = ok.stream().map(x -> x.scores().get(v))
                        .filter(java.util.Objects::nonNull).mapToDouble(Double::doubleValue)
                        .toArray();
                if (s.length > 0) {
                    scores.put(v, Spread.mean(s));
                }
            }
            Double gain = acc == null || sourceOnly == null ? null : acc.mean() - sourceOnly;
            Double closed = gain == null || oracle == null || oracle - sourceOnly <= 0 ? null
                    : gain / (oracle - sourceOnly);
            double[] ips = ok.stream().map(Cell::imagesPerSecond)
                    .filter(java.util.Objects::nonNull).mapToDouble(Double::doubleValue)
                    .toArray();
            rows.add(new Row(r.id(), r.readsTargetLabels(), acc == null ? null : acc.mean(),
                    acc == null ? null : acc.std(), ok.size(), gain, closed,
                    scores.get(c.select()), scores,
                    mine.stream().mapToDouble(Cell::seconds).average().orElse(0),
                    ips.length == 0 ? null : Spread.mean(ips),
                    r.method().joint() ? costs.get(r.method()) : null, mine.size() - ok.size()));
        }
        return rows;
    }

    private static Double meanAccuracy(List<Cell> cells, Recipe r) {
        double[] a = cells.stream().filter(x -> x.method().equals(r) && x.targetAccuracy() != null)
                .mapToDouble(Cell::targetAccuracy).toArray();
        return a.length == 0 ? null : Spread.mean(a);
    }

    private static Double accuracyOf(List<Row> rows, Method m) {
        return rows.stream().filter(r -> r.name().equals(m.id())).map(Row::targetAccuracyMean)
                .findFirst().orElse(null);
    }

    /**
     * The method with the best mean score of {@code validator} among those that read no target
     * labels, beside the one the target labels would pick.
     */
    static Selection select(Validator validator, List<Row> rows) {
        List<Row> candidates = rows.stream().filter(r -> !r.usesTargetLabels()
                && r.targetAccuracyMean() != null).toList();
        if (candidates.isEmpty()) {
            return new Selection(validator, null, null, null, null, null, Map.of());
        }
        Map<Validator, String> picks = new LinkedHashMap<>();
        for (Validator v : Validator.values()) {
            candidates.stream().filter(r -> r.scores().get(v) != null)
                    .max(java.util.Comparator.comparingDouble(r -> r.scores().get(v)))
                    .ifPresent(r -> picks.put(v, r.name()));
        }
        Row best = candidates.stream().max(java.util.Comparator.comparingDouble(
                Row::targetAccuracyMean)).orElseThrow();
        Row chosen = candidates.stream().filter(r -> r.name().equals(picks.get(validator)))
                .findFirst().orElse(best);
        return new Selection(validator, chosen.name(), chosen.targetAccuracyMean(), best.name(),
                best.targetAccuracyMean(), best.targetAccuracyMean() - chosen.targetAccuracyMean(),
                picks);
    }

    /**
     * Opens {@code dir}: a new folder gets the config; a folder holding the same adaptation is
     * resumed; anything else is refused rather than mixed with.
     */
    private static RunFolder openRun(Path dir, Config c) {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (Files.isRegularFile(configFile)) {
            JsonNode found = Json.read(configFile, JsonNode.class);
            // a cell depends on the model, the data and the training options only: the methods
            // and seeds say which cells to run (more of them add cells to a finished run), and
            // the validator only picks among the cells
            List<String> changed = Json.differences(found, c, java.util.Set.of("select",
                    "methods", "seeds"));
            if (!changed.isEmpty()) {
                throw new GraftException(dir + " holds an adaptation with other options ("
                        + String.join("; ", changed) + "); run it with the same options to"
                        + " resume or extend it, or choose another --out");
            }
            RunFolder run = RunFolder.open(dir, false);
            Json.write(configFile, c);
            return run;
        }
        RunFolder run = RunFolder.open(dir, true);
        Json.write(configFile, c);
        return run;
    }
}
