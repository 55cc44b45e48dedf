package dev.graft.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.model.Weights;
import dev.graft.train.Evaluation;
import dev.graft.train.Pretrain;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code graft analyze}: what a pretrained checkpoint transfers to a target task, measured the
 * ways Neyshabur, Sedghi and Zhang (2020) do. Models are fine-tuned on the target from the
 * pretrained weights (P) and trained from random initialization (R), two seeds each, with one
 * recipe; then:
 *
 * <ul>
 *   <li>{@link Part#SHUFFLE}: P and R on targets whose images are cut into b x b blocks and
 *       shuffled, for every block size; what survives at small b is low-level statistics;
 *   <li>{@link Part#LANDSCAPE}: loss and accuracy on the line between the two P models and
 *       between the two R models, with the barrier height;
 *   <li>{@link Part#CRITICALITY}: each stage, and each layer, of P and of R rewound toward its
 *       starting value;
 *   <li>{@link Part#SIMILARITY}: linear CKA between the stages of P1 and P2, R1 and R2, P1 and
 *       R1; the distance in parameter space between them and from their starting points;
 *   <li>{@link Part#CHECKPOINTS}: the source architecture pretrained again on the checkpoint's
 *       own task, keeping every epoch; each epoch's weights fine-tuned on the target.
 * </ul>
 */
public final class Analysis {

    /** The analyses, each a section of the report. */
    public enum Part {
        SHUFFLE, LANDSCAPE, CRITICALITY, SIMILARITY, CHECKPOINTS;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** {@code all}, or a comma-separated list of part names. */
        public static Set<Part> parse(String s) {
            if (s.equalsIgnoreCase("all")) {
                return EnumSet.allOf(Part.class);
            }
            Set<Part> out = EnumSet.noneOf(Part.class);
            for (String p : s.split(",")) {
                Part found = null;
                for (Part v : values()) {
                    if (v.id().equals(p.trim().toLowerCase(Locale.ROOT))) {
                        found = v;
                    }
                }
                if (found == null) {
                    throw new IllegalArgumentException("'" + p.trim() + "' is not an analysis;"
                            + " choose all or any of shuffle, landscape, criticality,"
                            + " similarity, checkpoints");
                }
                out.add(found);
            }
            return out;
        }
    }

    /**
     * @param model the pretrained checkpoint
     * @param data target dataset (null: the checkpoint's)
     * @param classes target classes (null: all)
     * @param shots labelled target images per class (null: all)
     * @param blockSizes block sides for {@link Part#SHUFFLE} (null: every divisor of the side)
     * @param steps intervals on each interpolation line
     * @param ckaImages test images the representations are compared on
     * @param alphas points on each module's path from its start (0) to trained (1)
     * @param sourceEpochs pretraining epochs kept for {@link Part#CHECKPOINTS}
     * @param train the recipe of every fine-tuning and training run
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("classes") String classes,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("parts") Set<Part> parts,
            @JsonProperty("block_sizes") List<Integer> blockSizes,
            @JsonProperty("steps") int steps,
            @JsonProperty("cka_images") int ckaImages,
            @JsonProperty("alphas") double[] alphas,
            @JsonProperty("source_epochs") int sourceEpochs,
            @JsonProperty("train") TrainConfig train) {

        public Config {
            if (parts.isEmpty()) {
                throw new IllegalArgumentException("no analysis chosen");
            }
            if (steps < 1) {
                throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
            }
            if (ckaImages < 2) {
                throw new IllegalArgumentException("--cka-images must be at least 2, got "
                        + ckaImages);
            }
            if (sourceEpochs < 1) {
                throw new IllegalArgumentException("--source-epochs must be at least 1, got "
                        + sourceEpochs);
            }
            for (double a : alphas) {
                if (!(a >= 0 && a <= 1)) {
                    throw new IllegalArgumentException("--alphas must lie in [0, 1], got " + a);
                }
            }
            parts = Set.copyOf(parts);
        }
    }

    /** Target accuracy of P and R at one block size. */
    public record ShuffleRow(
            @JsonProperty("block") int block,
            @JsonProperty("pretrained") double pretrained,
            @JsonProperty("scratch") double scratch) {

        /** The benefit of pretraining, in points. */
        public double benefit() {
            return 100 * (pretrained - scratch);
        }
    }

    /** CKA matrices and parameter distances of one pair of models. */
    public record PairSimilarity(
            @JsonProperty("pair") String pair,
            @JsonProperty("cka") double[][] cka,
            @JsonProperty("distance") ParameterDistance distance) {

        /** CKA of stage {@code i} with the same stage of the other model. */
        public double diagonal(int i) {
            return cka[i][i];
        }
    }

    /** Target accuracy after fine-tuning one epoch's pretraining weights. */
    public record CheckpointRow(
            @JsonProperty("source_epoch") int sourceEpoch,
            @JsonProperty("source_accuracy") Double sourceAccuracy,
            @JsonProperty("target_accuracy") double targetAccuracy) {}

    /**
     * What the analyses found; a part not run is null.
     *
     * @param accuracy test accuracy of P1, P2, R1, R2
     * @param representations the names of the compared representations (stages, logits)
     * @param distanceFromStart per module, P1's and R1's distances from their starting weights
     * @param partSeconds wall time of each part (the four models' training counted apart)
     */
    public record Result(
            @JsonProperty("modules") List<String> modules,
            @JsonProperty("representations") List<String> representations,
            @JsonProperty("accuracy") Map<String, Double> accuracy,
            @JsonProperty("shuffle") List<ShuffleRow> shuffle,
            @JsonProperty("landscape_pretrained") Interpolation landscapePretrained,
            @JsonProperty("landscape_scratch") Interpolation landscapeScratch,
            @JsonProperty("criticality_pretrained") Criticality criticalityPretrained,
            @JsonProperty("criticality_scratch") Criticality criticalityScratch,
            @JsonProperty("layer_criticality_pretrained") Criticality layerCriticalityPretrained,
            @JsonProperty("layer_criticality_scratch") Criticality layerCriticalityScratch,
            @JsonProperty("similarity") List<PairSimilarity> similarity,
            @JsonProperty("distance_from_start") Map<String, ParameterDistance> distanceFromStart,
            @JsonProperty("checkpoints") List<CheckpointRow> checkpoints,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("part_seconds") Map<String, Double> partSeconds,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("run") String run) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Analysis(Consumer<String> log) {
        this.log = log;
    }

    public Analysis progress(Progress p) {
        this.progress = p;
        return this;
    }

    /** A model trained for the analysis and the weights it started from. */
    private record Trained(StagedNet net, Weights start, double accuracy) {}

    public Result run(Config c, Path runDir) {
        long began = System.nanoTime();
        ModelSpec spec = Checkpoint.readSpec(c.model(), "--model");
        String data = c.data() != null ? c.data() : spec.sourceDataset();
        Pretrain.Splits target = Pretrain.prepareData(data, spec.inputShape(), c.classes(),
                c.shots(), 0, c.train().seed(), log);
        if (!Arrays.equals(target.train().imageShape(), spec.inputShape())) {
            throw new GraftException("--model " + c.model() + " takes inputs " + Arrays.toString(
                    spec.inputShape()) + " but " + data + " has images " + Arrays.toString(
                            target.train().imageShape()));
        }
        List<Integer> blocks = c.parts().contains(Part.SHUFFLE) ? blockSizes(c, target.train())
                : List.of();
        Map<String, Object> runJson = new LinkedHashMap<>();
        runJson.put("command", "analyze");
        runJson.put("config", c);
        try (NDManager manager = NDManager.newBaseManager();
                RunFolder run = RunFolder.open(runDir, true)) {
            runJson.put("status", "running");
            run.writeRun(runJson);
            Result result = new Session(c, spec, target, manager, run).run(blocks, began);
            runJson.put("status", "finished");
            runJson.put("result", result);
            run.writeRun(runJson);
            AnalysisReport.write(run.resolve(dev.graft.report.Report.FILE), c, result);
            return result;
        }
    }

    /** The configured block sizes, each checked, or every divisor of the side, largest first. */
    static List<Integer> blockSizes(Config c, ImageDataset d) {
        if (c.blockSizes() != null) {
            c.blockSizes().forEach(d::checkBlockSize); // before any training

            return c.blockSizes();
        }
        List<Integer> out = new ArrayList<>();
        for (int b = Math.min(d.height(), d.width()); b >= 1; b--) {
            if (d.height() % b == 0 && d.width() % b == 0) {
                out.add(b);
            }
        }
        return out;
    }

    private final class Session {
        final Config c;
        final ModelSpec spec;
        final Pretrain.Splits target;
        final NDManager manager;
        final RunFolder run;
        final Architecture arch;
        /** The pretrained network, read once; every fine-tuning starts from a copy. */
        final StagedNet source;
        final Weights sourceWeights;

        Session(Config c, ModelSpec spec, Pretrain.Splits target, NDManager manager,
                RunFolder run) {
            this.c = c;
            this.spec = spec;
            this.target = target;
            this.manager = manager;
            this.run = run;
            this.arch = Architecture.byId(spec.architecture());
            this.source = Checkpoint.load(c.model(), manager).net();
            this.sourceWeights = Weights.of(source, manager);
        }

        Result run(List<Integer> blocks, long began) {
            Set<Part> parts = c.parts();
            boolean pairs = parts.contains(Part.LANDSCAPE) || parts.contains(Part.CRITICALITY)
                    || parts.contains(Part.SIMILARITY) || parts.contains(Part.SHUFFLE);
            Map<String, Double> accuracy = new LinkedHashMap<>();
            List<String> modules = null;
            List<String> representations = null;
            List<ShuffleRow> shuffle = null;
            Interpolation lp = null;
            Interpolation ls = null;
            Criticality cp = null;
            Criticality cs = null;
            Criticality lcp = null;
            Criticality lcs = null;
            List<PairSimilarity> similarity = null;
            Map<String, ParameterDistance> fromStart = null;
            List<CheckpointRow> checkpoints = null;
            Map<String, Double> seconds = new LinkedHashMap<>();
            long[] clock = {System.nanoTime()};
            Consumer<String> lap = name -> {
                long now = System.nanoTime();
                seconds.put(name, (now - clock[0]) / 1e9);
                clock[0] = now;
            };
            try (TensorDataset train = TensorDataset.of(target.train(), spec.normalization(),
                    manager);
                    TensorDataset test = TensorDataset.of(target.test(), spec.normalization(),
                            manager)) {
                if (pairs) {
                    Trained p1 = train(true, 1, train, test, "pretrained, seed 1");
                    Trained r1 = train(false, 1, train, test, "from scratch, seed 1");
                    accuracy.put("P1", p1.accuracy());
                    accuracy.put("R1", r1.accuracy());
                    modules = p1.net().groupNames();
                    representations = new ArrayList<>(p1.net().stageNames());
                    representations.add("logits");
                    Trained p2 = null;
                    Trained r2 = null;
                    if (parts.contains(Part.LANDSCAPE) || parts.contains(Part.SIMILARITY)) {
                        p2 = train(true, 2, train, test, "pretrained, seed 2");
                        r2 = train(false, 2, train, test, "from scratch, seed 2");
                        accuracy.put("P2", p2.accuracy());
                        accuracy.put("R2", r2.accuracy());
                    }
                    lap.accept("training P and R");
                    if (parts.contains(Part.LANDSCAPE)) {
                        log.accept("landscape: " + (c.steps() + 1) + " points on each line");
                        lp = Interpolation.between(p1.net(), p2.net(), c.steps(), test, train,
                                Interpolation.BN_BATCHES, manager);
                        ls = Interpolation.between(r1.net(), r2.net(), c.steps(), test, train,
                                Interpolation.BN_BATCHES, manager);
                        log.accept(String.format(Locale.ROOT, "  barrier P1-P2: loss %.4f,"
                                + " error %.2f points; R1-R2: loss %.4f, error %.2f points",
                                lp.lossBarrier(), 100 * lp.errorBarrier(), ls.lossBarrier(),
                                100 * ls.errorBarrier()));
                        lap.accept(Part.LANDSCAPE.id());
                    }
                    if (parts.contains(Part.CRITICALITY)) {
                        log.accept("criticality: rewinding each module of P1 and R1");
                        cp = Criticality.of(p1.net(), p1.start(), c.alphas(), test, manager);
                        cs = Criticality.of(r1.net(), r1.start(), c.alphas(), test, manager);
                        lcp = Criticality.ofLayers(p1.net(), p1.start(), c.alphas(), test,
                                manager);
                        lcs = Criticality.ofLayers(r1.net(), r1.start(), c.alphas(), test,
                                manager);
                        lap.accept(Part.CRITICALITY.id());
                    }
                    if (parts.contains(Part.SIMILARITY)) {
                        log.accept("similarity: CKA on " + Math.min(c.ckaImages(), test.size())
                                + " test images");
                        similarity = List.of(pair("P1-P2", p1, p2, test),
                                pair("R1-R2", r1, r2, test), pair("P1-R1", p1, r1, test));
                        fromStart = new LinkedHashMap<>();
                        fromStart.put("P1", distanceFromStart(p1));
                        fromStart.put("R1", distanceFromStart(r1));
                        lap.accept(Part.SIMILARITY.id());
                    }
                    if (parts.contains(Part.SHUFFLE)) {
                        shuffle = shuffle(blocks, p1, r1);
                        lap.accept(Part.SHUFFLE.id());
                    }
                }
                if (parts.contains(Part.CHECKPOINTS)) {
                    checkpoints = checkpoints(train, test);
                    lap.accept(Part.CHECKPOINTS.id());
                }
            }
            return new Result(modules, representations, accuracy, shuffle, lp, ls, cp, cs, lcp,
                    lcs, similarity, fromStart, checkpoints, target.source(), seconds,
                    (System.nanoTime() - began) / 1e9, run.dir().toString());
        }

        PairSimilarity pair(String name, Trained a, Trained b, TensorDataset test) {
            try (NDManager m = manager.newSubManager()) {
                List<NDArray> ra = Cka.representations(a.net(), test, c.ckaImages(), m);
                List<NDArray> rb = Cka.representations(b.net(), test, c.ckaImages(), m);
                return new PairSimilarity(name, Cka.matrix(ra, rb),
                        ParameterDistance.between(a.net(), b.net()));
            }
        }

        ParameterDistance distanceFromStart(Trained t) {
            try (NDManager m = manager.newSubManager()) {
                StagedNet start = t.net().newLike(m);
                t.start().restore(start);
                return ParameterDistance.between(t.net(), start);
            }
        }

        List<ShuffleRow> shuffle(List<Integer> blocks, Trained p1, Trained r1) {
            List<ShuffleRow> rows = new ArrayList<>();
            int side = Math.min(target.train().height(), target.train().width());
            for (int b : blocks) {
                double p;
                double r;
                if (b == side) { // nothing moves: the models already trained
                    p = p1.accuracy();
                    r = r1.accuracy();
                } else {
                    long seed = Seeds.derive(c.train().seed(), "blocks" + b);
                    try (NDManager m = manager.newSubManager();
                            TensorDataset tr = TensorDataset.of(target.train().blockShuffled(b,
                                    seed), spec.normalization(), m);
                            TensorDataset te = TensorDataset.of(target.test().blockShuffled(b,
                                    seed + 1), spec.normalization(), m)) {
                        p = train(true, 1, tr, te, b + "x" + b + " blocks, pretrained")
                                .accuracy();
                        r = train(false, 1, tr, te, b + "x" + b + " blocks, from scratch")
                                .accuracy();
                    }
                }
                ShuffleRow row = new ShuffleRow(b, p, r);
                rows.add(row);
                run.event(Map.of("event", "shuffle", "block", b, "pretrained", p, "scratch",
                        r));
                log.accept(String.format(Locale.ROOT, "shuffle %2dx%-2d: pretrained %.2f%%,"
                        + " scratch %.2f%% (%+.2f points)", b, b, 100 * p, 100 * r,
                        row.benefit()));
            }
            return rows;
        }

        /**
         * Pretrains the source architecture again on the checkpoint's own task, keeping every
         * epoch's weights, and fine-tunes each (and the random initialization, epoch 0) on the
         * target.
         */
        List<CheckpointRow> checkpoints(TensorDataset train, TensorDataset test) {
            Pretrain.Splits source = Pretrain.prepareData(spec.sourceDataset(), String.join(",",
                    spec.classNames()), null, 0, c.train().seed(), log);
            List<CheckpointRow> rows = new ArrayList<>();
            try (NDManager m = manager.newSubManager();
                    TensorDataset srcTrain = TensorDataset.of(source.train(),
                            spec.normalization(), m);
                    TensorDataset srcTest = TensorDataset.of(source.test(), spec.normalization(),
                            m)) {
                StagedNet net = arch.build(spec.inputShape(), spec.numClasses(), spec.options())
                        .initialize(m, Seeds.derive(c.train().seed(), "source-init"));
                List<Weights> epochs = new ArrayList<>();
                epochs.add(Weights.of(net, m));
                TrainConfig tc = new TrainConfig(c.sourceEpochs(), c.train().batchSize(),
                        c.train().optimizer(), c.train().schedule(), c.train().augmentation(),
                        Seeds.derive(c.train().seed(), "source"), 0, List.of());
                log.accept("checkpoints: pretraining " + arch.id() + " on " + spec.classNames()
                        + " for " + c.sourceEpochs() + " epoch(s), keeping every epoch");
                List<Double> sourceAcc = new ArrayList<>();
                sourceAcc.add(null);
                try (TrainingLoop loop = new TrainingLoop(net, tc, m)) {
                    loop.progress(progress).fit(srcTrain, null, 1, Double.NEGATIVE_INFINITY,
                            (metrics, improved) -> {
                                epochs.add(Weights.of(net, m));
                                sourceAcc.add(Evaluation.of(net, srcTest, null, m).accuracy());
                            });
                }
                for (int e = 0; e < epochs.size(); e++) {
                    StagedNet start = net.newLike(m);
                    epochs.get(e).restore(start);
                    StagedNet net0 = start.withHead(train.numClasses(), m,
                            Seeds.derive(c.train().seed(), "head1"));
                    double acc = fit(net0, train, test, 1, "from source epoch " + e);
                    rows.add(new CheckpointRow(e, sourceAcc.get(e), acc));
                    run.event(Map.of("event", "checkpoint", "source_epoch", e,
                            "target_accuracy", acc));
                    log.accept(String.format(Locale.ROOT, "checkpoints: source epoch %d%s ->"
                            + " target %.2f%%", e, sourceAcc.get(e) == null ? " (random init)"
                                    : String.format(Locale.ROOT, " (source %.2f%%)",
                                            100 * sourceAcc.get(e)), 100 * acc));
                }
            }
            return rows;
        }

        /**
         * Fine-tunes the pretrained network under a new head ({@code pretrained}) or trains a
         * randomly initialized one on {@code train}; seeds differ by {@code seed} in the head
         * (or whole) initialization and the data order.
         */
        Trained train(boolean pretrained, int seed, TensorDataset train, TensorDataset test,
                String what) {
            StagedNet net;
            if (pretrained) {
                StagedNet copy = source.newLike(manager);
                sourceWeights.restore(copy);
                net = copy.withHead(train.numClasses(), manager, Seeds.derive(
                        c.train().seed(), "head" + seed));
            } else {
                net = arch.build(spec.inputShape(), train.numClasses(), spec.options())
                        .initialize(manager, Seeds.derive(c.train().seed(), "init" + seed));
            }
            Weights start = Weights.of(net, manager);
            double acc = fit(net, train, test, seed, what);
            return new Trained(net, start, acc);
        }

        double fit(StagedNet net, TensorDataset train, TensorDataset test, int seed,
                String what) {
            TrainConfig tc = c.train().withSeed(Seeds.derive(c.train().seed(), "data" + seed));
            try (TrainingLoop loop = new TrainingLoop(net, tc, manager)) {
                loop.progress(progress.labelled(what)).fit(train, null, 1, Double.NEGATIVE_INFINITY,
                        (m, improved) -> { });
            }
            double acc = Evaluation.of(net, test, null, manager).accuracy();
            log.accept(String.format(Locale.ROOT, "%s: test accuracy %.2f%%", what, 100 * acc));
            return acc;
        }
    }
}
