package dev.graft.lottery;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.compress.MagnitudePruning;
import dev.graft.compress.Pruning;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.model.Weights;
import dev.graft.train.GraftVersion;
import dev.graft.train.Mask;
import dev.graft.train.Pretrain;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code graft lottery}: iterative magnitude pruning with rewinding (Frankle and Carbin 2019;
 * late rewinding, Frankle et al. 2019), with the controls that make a "winning ticket" mean
 * something.
 *
 * <ol>
 *   <li>Initialize a network and keep its initial weights;
 *   <li>train it (round 0, dense), keeping its weights at iteration {@code rewind} when that is
 *       not 0;
 *   <li>prune the share {@code rate} of the weights still kept, by magnitude, per layer (the
 *       output layer at {@code outputRate}) or globally;
 *   <li>reset the surviving weights to their values at initialization (or at iteration
 *       {@code rewind}) and train again under the mask; repeat from 3.
 * </ol>
 *
 * <p>Each round also trains two controls of the same sparsity: the ticket's mask on a fresh
 * random initialization ({@link Arm#REINIT}) and a random mask with the same number of weights
 * per layer on the rewound weights ({@link Arm#RANDOM}). One-shot pruning prunes the dense
 * network's trained weights straight to each round's sparsity instead of the previous round's.
 *
 * <p>Every training run is traced: validation loss and test accuracy every {@code evalEvery}
 * iterations. The early-stopping iteration is the one of least validation loss, as in the
 * paper. Rewound networks train as many iterations as the dense one (the paper trains
 * {@code T - rewind} after rewinding; the difference is the {@code rewind} iterations).
 *
 * <p>With {@code from} a pretrained checkpoint, the "initialization" is that checkpoint's trunk
 * under a fresh head for the target classes: tickets are found in the pretrained network by
 * training on the target task, and the reinit control is a random network.
 *
 * <p>Every round is a child of the previous one: {@code round-NN/} is a checkpoint of its
 * ticket (weights, {@link Mask#FILE}, and {@code round.json} with the round's rows, written
 * together atomically), whose parent is the round before; {@code --resume} continues after the
 * last finished round.
 */
public final class Lottery {

    /** What a training run of a round starts from. */
    public enum Arm {
        /** Round 0: the dense network, trained from initialization. */
        DENSE,
        /** The winning-ticket candidate: the pruned mask on the rewound weights. */
        TICKET,
        /** Control: the ticket's mask on a fresh random initialization. */
        REINIT,
        /** Control: a random mask, as many weights per layer, on the rewound weights. */
        RANDOM;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** File of a round's rows inside its checkpoint folder. */
    public static final String ROUND_FILE = "round.json";
    static final String INIT = "init";
    static final String REWIND = "rewind";

    /**
     * @param architecture registry id (null when {@code from} is given)
     * @param from a pretrained checkpoint to find tickets in, or null
     * @param data dataset name or folder (null: fashion-mnist, or the checkpoint's)
     * @param classes class subset (null: all)
     * @param shots training images per class (null: all)
     * @param rate share of the remaining weights each round prunes, in (0, 1)
     * @param outputRate that share for the output layer (layer-wise scope)
     * @param scope layer-wise (each layer its rate) or global (all weights ranked together)
     * @param rewind the iteration whose weights the survivors reset to (0: initialization)
     * @param oneShot prune the dense network's weights straight to each round's sparsity
     * @param controls also train the reinit and random-mask controls every round
     * @param evalEvery iterations between traced evaluations
     */
    public record Config(
            @JsonProperty("architecture") String architecture,
            @JsonProperty("options") ModelOptions options,
            @JsonProperty("from") Path from,
            @JsonProperty("data") String data,
            @JsonProperty("classes") String classes,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("rounds") int rounds,
            @JsonProperty("rate") double rate,
            @JsonProperty("output_rate") double outputRate,
            @JsonProperty("scope") Pruning.Scope scope,
            @JsonProperty("rewind") long rewind,
            @JsonProperty("one_shot") boolean oneShot,
            @JsonProperty("controls") boolean controls,
            @JsonProperty("eval_every") int evalEvery,
            @JsonProperty("train") TrainConfig train) {

        public Config {
            if ((architecture == null) == (from == null)) {
                throw new IllegalArgumentException("give either --arch (tickets from random"
                        + " initialization) or --from CKPT (tickets in a pretrained network)");
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
            }
            if (!(rate > 0 && rate < 1)) {
                throw new IllegalArgumentException("--rate must be in (0, 1), got " + rate
                        + " (0.2 prunes a fifth of the remaining weights per round)");
            }
            if (!(outputRate >= 0 && outputRate < 1)) {
                throw new IllegalArgumentException("--output-rate must be in [0, 1), got "
                        + outputRate);
            }
            if (rewind < 0) {
                throw new IllegalArgumentException("--rewind must be >= 0, got " + rewind);
            }
            if (evalEvery < 1) {
                throw new IllegalArgumentException("--eval-every must be at least 1, got "
                        + evalEvery);
            }
            if (!(valFraction > 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in (0, 1), got "
                        + valFraction + ": the early-stopping iteration needs validation data");
            }
        }

        /** The same run with {@code n} rounds. */
        public Config withRounds(int n) {
            return new Config(architecture, options, from, data, classes, shots, valFraction, n,
                    rate, outputRate, scope, rewind, oneShot, controls, evalEvery, train);
        }

        /** Share of a layer's weights kept after round {@code r}. */
        double remaining(int r, boolean outputLayer) {
            double p = scope == Pruning.Scope.LAYERWISE && outputLayer ? outputRate : rate;
            return Math.pow(1 - p, r);
        }
    }

    /**
     * One point of a training trace.
     *
     * @param testAccuracy measured where the validation loss is the least so far and at the
     *     end, else null
     */
    public record TracePoint(
            @JsonProperty("iteration") long iteration,
            @JsonProperty("val_loss") double valLoss,
            @JsonProperty("val_accuracy") double valAccuracy,
            @JsonProperty("test_accuracy") Double testAccuracy) {}

    /**
     * One training run of a round.
     *
     * @param remaining share of the prunable weights kept
     * @param nonZero parameters that are not pruned (biases and unmasked layers included)
     * @param accuracy test accuracy at the end of training
     * @param earlyStopIteration the traced iteration of least validation loss
     * @param earlyStopAccuracy test accuracy at that iteration
     */
    public record Row(
            @JsonProperty("round") int round,
            @JsonProperty("arm") Arm arm,
            @JsonProperty("remaining") double remaining,
            @JsonProperty("non_zero_parameters") long nonZero,
            @JsonProperty("accuracy") double accuracy,
            @JsonProperty("early_stop_iteration") long earlyStopIteration,
            @JsonProperty("early_stop_accuracy") double earlyStopAccuracy,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("trace") List<TracePoint> trace) {}

    /** What a lottery run produced. */
    public record Result(
            @JsonProperty("rows") List<Row> rows,
            @JsonProperty("iterations") long iterations,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("prunable") long prunable,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {

        /** The dense network's row. */
        public Row dense() {
            return rows.get(0);
        }

        /** The rows of one arm, by round. */
        public List<Row> arm(Arm arm) {
            return rows.stream().filter(r -> r.arm() == arm).toList();
        }
    }

    /** The rows of one round, as saved in its folder. */
    record RoundFile(@JsonProperty("rows") List<Row> rows) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Lottery(Consumer<String> log) {
        this.log = log;
    }

    public Lottery progress(Progress p) {
        this.progress = p;
        return this;
    }

    /**
     * Runs every round into {@code runDir}.
     *
     * @param resume continue after the last finished round of the run in {@code runDir}
     */
    public Result run(Config c, Path runDir, boolean resume) {
        Task task = Task.prepare(c, log);
        long iterations = (long) c.train().epochs() * ((task.train.size()
                + c.train().batchSize() - 1) / c.train().batchSize());
        if (c.rewind() > iterations) {
            throw new GraftException("--rewind " + c.rewind() + " is beyond training, which runs "
                    + iterations + " iterations (" + c.train().epochs() + " epoch(s) of "
                    + iterations / c.train().epochs() + "); choose at most " + iterations);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            StagedNet first = task.start(c, manager);
            checkRounds(c, first);
            try (RunFolder run = RunFolder.open(runDir, !resume)) {
                Map<String, Object> runJson = new LinkedHashMap<>();
                runJson.put("command", "lottery");
                runJson.put("config", c);
                if (resume) {
                    checkResumable(run, c);
                }
                try (TensorDataset train = TensorDataset.of(task.train, task.norm, manager);
                        TensorDataset val = TensorDataset.of(task.validation, task.norm,
                                manager);
                        TensorDataset test = TensorDataset.of(task.test, task.norm, manager)) {
                    Session s = new Session(c, task, run, train, val, test, iterations,
                            manager);
                    Result result = s.run(first, resume, runJson);
                    runJson.put("status", "finished");
                    runJson.put("result", result);
                    run.writeRun(runJson);
                    LotteryReport.write(run.resolve(dev.graft.report.Report.FILE), c, result);
                    return result;
                }
            }
        }
    }

    /** Refuses rounds that would prune a layer away entirely, before any training. */
    static void checkRounds(Config c, StagedNet net) {
        long total = 0;
        for (Map.Entry<String, ai.djl.nn.Parameter> e : MagnitudePruning.prunable(net)
                .entrySet()) {
            long n = e.getValue().getArray().size();
            total += n;
            if (c.scope() == Pruning.Scope.LAYERWISE) {
                double keep = c.remaining(c.rounds(), isOutput(e.getKey()));
                if (n - Math.round((1 - keep) * n) < 1) {
                    throw new GraftException(String.format(Locale.ROOT, "%d rounds at"
                            + " --rate %.3g would prune all %,d weights of %s; use fewer"
                            + " --rounds or a lower --rate", c.rounds(), isOutput(e.getKey())
                                    ? c.outputRate() : c.rate(), n, e.getKey()));
                }
            }
        }
        double keep = c.remaining(c.rounds(), false);
        if (total - Math.round((1 - keep) * total) < 1) {
            throw new GraftException(String.format(Locale.ROOT, "%d rounds at --rate %.3g"
                    + " would prune all %,d prunable weights; use fewer --rounds or a lower"
                    + " --rate", c.rounds(), c.rate(), total));
        }
    }

    private static void checkResumable(RunFolder run, Config c) {
        Path runFile = run.resolve(RunFolder.RUN_JSON);
        if (!Files.isRegularFile(runFile)) {
            throw new GraftException("--resume: " + runFile + " does not exist; nothing to"
                    + " resume (start without --resume)");
        }
        JsonNode stored = Json.read(runFile, JsonNode.class).path("config");
        // more (or fewer) rounds extend (or cut) the same run; anything else is another run
        if (!Json.sameAs(stored, c.withRounds(stored.path("rounds").asInt(c.rounds())))) {
            throw new GraftException("--resume: " + runFile + " was run with other options: "
                    + stored + "; resume with the same options (only --rounds may change) or"
                    + " choose another --out");
        }
    }

    /** The data and how the network is built. */
    private record Task(ImageDataset train, ImageDataset validation, ImageDataset test,
            Normalization norm, String source, Architecture arch, ModelOptions options,
            ModelSpec from) {

        static Task prepare(Config c, Consumer<String> log) {
            long seed = c.train().seed();
            if (c.from() == null) {
                Architecture arch = Architecture.byId(c.architecture());
                Pretrain.Splits d = Pretrain.prepareData(c.data() != null ? c.data()
                        : "fashion-mnist", c.classes(), c.shots(), c.valFraction(), seed, log);
                return new Task(d.train(), d.validation(), d.test(), Normalization.fit(d.train()),
                        d.source(), arch, c.options(), null);
            }
            ModelSpec spec = Checkpoint.readSpec(c.from(), "--from");
            String data = c.data() != null ? c.data() : spec.sourceDataset();
            Pretrain.Splits d = Pretrain.prepareData(data, spec.inputShape(), c.classes(),
                    c.shots(), c.valFraction(), seed, log);
            if (!Arrays.equals(d.train().imageShape(), spec.inputShape())) {
                throw new GraftException("--from " + c.from() + " takes inputs "
                        + Arrays.toString(spec.inputShape()) + " but " + data + " has images "
                        + Arrays.toString(d.train().imageShape()));
            }
            return new Task(d.train(), d.validation(), d.test(), spec.normalization(),
                    d.source(), Architecture.byId(spec.architecture()), spec.options(), spec);
        }

        /**
         * The network every arm is a copy of: initial values from the seed, or the pretrained
         * weights (under a new head unless the classes are the checkpoint's own).
         */
        StagedNet start(Config c, NDManager manager) {
            long seed = c.train().seed();
            if (from == null) {
                return build(manager, Seeds.derive(seed, "init"));
            }
            StagedNet source = Checkpoint.load(c.from(), manager).net();
            if (source.numClasses() == train.numClasses() && train.classNames().equals(
                    from.classNames())) {
                return source;
            }
            return source.withHead(train.numClasses(), manager, Seeds.derive(seed, "head"));
        }

        /** A network of the task's shape, with arbitrary initial values. */
        StagedNet build(NDManager manager, long seed) {
            return arch.build(train.imageShape(), train.numClasses(), options)
                    .initialize(manager, seed);
        }
    }

    /** One run: its data, its saved weights, its rounds. */
    private final class Session {
        final Config c;
        final Task task;
        final RunFolder run;
        final TensorDataset train;
        final TensorDataset val;
        final TensorDataset test;
        final NDManager manager;
        final long iterations;

        Session(Config c, Task task, RunFolder run, TensorDataset train, TensorDataset val,
                TensorDataset test, long iterations, NDManager manager) {
            this.c = c;
            this.task = task;
            this.run = run;
            this.train = train;
            this.val = val;
            this.test = test;
            this.manager = manager;
            this.iterations = iterations;
        }

        Result run(StagedNet first, boolean resume, Map<String, Object> runJson) {
            long seed = c.train().seed();
            log.accept(String.format(Locale.ROOT, "lottery: %s, %,d parameters (%,d prunable);"
                    + " %d round(s) of %s pruning at %.0f%%%s, rewinding to %s; %,d iterations"
                    + " per training run; train %d, validation %d, test %d images",
                    task.arch.id(), first.parameterCount(), prunable(first), c.rounds(),
                    c.oneShot() ? "one-shot" : "iterative", 100 * c.rate(),
                    c.scope() == Pruning.Scope.LAYERWISE ? String.format(Locale.ROOT,
                            " per layer (output layer %.0f%%)", 100 * c.outputRate())
                            : " globally", c.rewind() == 0 ? (c.from() == null
                                    ? "initialization" : "the pretrained weights")
                                    : "iteration " + c.rewind(), iterations, train.size(),
                    val.size(), test.size()));
            runJson.put("status", "running");
            run.writeRun(runJson);

            Weights init;
            Weights rewindTo;
            List<Row> rows = new ArrayList<>();
            Weights dense;
            Mask mask = null;
            Weights ticket;
            int startRound;
            Path initDir = run.resolve(INIT);
            if (resume && Files.isRegularFile(run.resolve(roundName(0))
                    .resolve(ROUND_FILE))) {
                init = loadWeights(initDir, first);
                rewindTo = c.rewind() == 0 ? init : loadWeights(run.resolve(REWIND), first);
                int last = 0;
                while (last + 1 <= c.rounds() && Files.isRegularFile(run.resolve(
                        roundName(last + 1)).resolve(ROUND_FILE))) {
                    last++;
                }
                for (int r = 0; r <= last; r++) {
                    rows.addAll(Json.read(run.resolve(roundName(r)).resolve(ROUND_FILE),
                            RoundFile.class).rows());
                }
                dense = loadWeights(run.resolve(roundName(0)), first);
                ticket = last == 0 ? dense : loadWeights(run.resolve(roundName(last)), first);
                if (last > 0) {
                    mask = Mask.load(run.resolve(roundName(last)).resolve(Mask.FILE), first,
                            manager);
                }
                startRound = last + 1;
                log.accept("resuming after round " + last + " of " + c.rounds());
            } else {
                init = Weights.of(first, manager);
                Checkpoint.save(initDir, first, spec(first, null, "lottery init"), null);
                Weights[] captured = {c.rewind() == 0 ? init : null};
                StepCapture capture = c.rewind() == 0 ? null : (net, step) -> {
                    if (step == c.rewind()) {
                        captured[0] = Weights.of(net, manager);
                        Checkpoint.save(run.resolve(REWIND), net, spec(net, initDir,
                                "lottery rewind point, iteration " + step), null);
                    }
                };
                Trained t = trainArm(0, Arm.DENSE, init, null, seed, capture);
                rewindTo = captured[0];
                dense = t.weights;
                ticket = dense;
                rows.add(t.row);
                saveRound(0, t.weights, null, initDir, List.of(t.row));
                startRound = 1;
            }
            for (int r = startRound; r <= c.rounds(); r++) {
                Mask next;
                try (NDManager tmp = manager.newSubManager()) {
                    StagedNet trained = task.build(tmp, 0);
                    (c.oneShot() ? dense : ticket).restore(trained);
                    next = prune(trained, r, c.oneShot() ? null : mask);
                }
                List<Row> roundRows = new ArrayList<>();
                Trained t = trainArm(r, Arm.TICKET, rewindTo, next, seed, null);
                roundRows.add(t.row);
                if (c.controls()) {
                    try (NDManager arm = manager.newSubManager()) {
                        StagedNet fresh = task.build(arm, Seeds.derive(seed, "reinit" + r));
                        try (Weights reinit = Weights.of(fresh, arm)) {
                            roundRows.add(trainArm(r, Arm.REINIT, reinit, next, seed, null).row);
                        }
                        Mask random = randomLike(next, Seeds.derive(seed, "random-mask" + r),
                                arm);
                        roundRows.add(trainArm(r, Arm.RANDOM, rewindTo, random, seed, null)
                                .row);
                    }
                }
                if (!c.oneShot() && ticket != dense) {
                    ticket.close();
                }
                ticket = t.weights;
                if (mask != null) { // a round's mask is only needed to compute the next one
                    mask.tensors().values().forEach(NDArray::close);
                }
                mask = next;
                rows.addAll(roundRows);
                saveRound(r, t.weights, next, run.resolve(roundName(r - 1)), roundRows);
                log.accept(describe(roundRows, rows.get(0)));
            }
            return new Result(rows, iterations, first.parameterCount(), prunable(first),
                    run.resolve(roundName(c.rounds())).toString(), task.source,
                    run.dir().toString());
        }

        Weights loadWeights(Path dir, StagedNet like) {
            StagedNet net = task.build(manager, 0);
            Checkpoint.loadWeights(net, dir.resolve(Checkpoint.WEIGHTS));
            if (!net.namedParameters().keySet().equals(like.namedParameters().keySet())) {
                throw new GraftException("--resume: " + dir + " holds weights of another"
                        + " network");
            }
            return Weights.of(net, manager);
        }

        Mask prune(StagedNet trained, int r, Mask previous) {
            if (c.scope() == Pruning.Scope.GLOBAL) {
                return MagnitudePruning.global(trained, 1 - c.remaining(r, false), previous,
                        manager);
            }
            return MagnitudePruning.layerwise(trained, name -> 1 - c.remaining(r,
                    isOutput(name)), previous, manager);
        }

        ModelSpec spec(StagedNet net, Path parent, String command) {
            return new ModelSpec(ModelSpec.FORMAT_VERSION, task.arch.id(), net.options(),
                    net.inputShape(), net.numClasses(), task.train.classNames(), task.norm,
                    net.stageNames(), Checkpoint.parameterShapes(net), new ModelSpec.Provenance(
                            GraftVersion.graft(), GraftVersion.djl(), GraftVersion.engine(),
                            Instant.now().toString(), c.train().seed(), c.data(), task.source,
                            task.train.fingerprint(), parent == null ? (c.from() == null ? null
                                    : c.from().toString()) : parent.toString(), command));
        }

        void saveRound(int r, Weights weights, Mask mask, Path parent, List<Row> rows) {
            try (NDManager tmp = manager.newSubManager()) {
                StagedNet net = task.build(tmp, 0);
                weights.restore(net);
                Checkpoint.save(run.resolve(roundName(r)), net, spec(net, parent, r == 0
                        ? "lottery round 0 (dense)" : "lottery round " + r), staging -> {
                            if (mask != null) {
                                mask.save(staging);
                            }
                            Json.write(staging.resolve(ROUND_FILE), new RoundFile(rows));
                        });
            }
            rows.forEach(row -> run.event(Map.of("event", "round", "round", row.round(),
                    "arm", row.arm().id(), "remaining", row.remaining(), "accuracy",
                    row.accuracy(), "early_stop_iteration", row.earlyStopIteration(),
                    "early_stop_accuracy", row.earlyStopAccuracy())));
        }

        /** A trained arm: its row, and (dense and ticket) its final weights. */
        record Trained(Row row, Weights weights) {}

        Trained trainArm(int r, Arm arm, Weights start, Mask mask, long seed,
                StepCapture capture) {
            try (NDManager armManager = manager.newSubManager()) {
                return trainArm(r, arm, start, mask, seed, capture, armManager);
            }
        }

        private Trained trainArm(int r, Arm arm, Weights start, Mask mask, long seed,
                StepCapture capture, NDManager armManager) {
            StagedNet net = task.build(armManager, 0);
            start.restore(net);
            if (mask != null) {
                mask.apply(net);
            }
            Trace trace = new Trace(val, test, c.evalEvery(), iterations, armManager);
            long began = System.nanoTime();
            try (TrainingLoop loop = new TrainingLoop(net, c.train().withSeed(
                    Seeds.derive(seed, "train")), armManager)) {
                String label = r == 0 ? "dense" : String.format(Locale.ROOT, "round %d/%d %s"
                        + " (%.1f%% of weights)", r, c.rounds(), arm.id(),
                        100 * (1 - mask.sparsity()));
                loop.progress(progress.labelled(label));
                if (mask != null) {
                    loop.hook(mask.hook());
                }
                loop.hook(trace);
                if (capture != null) {
                    loop.hook((n, epoch, step, m) -> capture.after(n, step));
                }
                loop.fit(train, null, 1, Double.NEGATIVE_INFINITY, (m, improved) -> { });
            }
            TracePoint best = trace.earlyStop();
            TracePoint end = trace.points().get(trace.points().size() - 1);
            Row row = new Row(r, arm, mask == null ? 1 : 1 - mask.sparsity(),
                    mask == null ? net.parameterCount() : mask.nonZero(net), end.testAccuracy(),
                    best.iteration(), best.testAccuracy(), (System.nanoTime() - began) / 1e9,
                    trace.points());
            boolean keep = arm == Arm.DENSE || arm == Arm.TICKET;
            return new Trained(row, keep ? Weights.of(net, manager) : null);
        }
    }

    /** Sees the network after every optimizer step (to keep the rewind point). */
    @FunctionalInterface
    private interface StepCapture {
        void after(StagedNet net, long step);
    }

    static boolean isOutput(String name) {
        return name.startsWith(StagedNet.HEAD + ".");
    }

    static long prunable(StagedNet net) {
        return MagnitudePruning.prunable(net).values().stream()
                .mapToLong(p -> p.getArray().size()).sum();
    }

    static String roundName(int r) {
        return String.format(Locale.ROOT, "round-%02d", r);
    }

    /**
     * A random mask keeping, in every parameter, as many weights as {@code like} keeps there,
     * chosen uniformly (seeded).
     */
    static Mask randomLike(Mask like, long seed, NDManager manager) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, NDArray> out = new LinkedHashMap<>();
        like.tensors().forEach((name, m) -> {
            int n = (int) m.size();
            int kept = Math.round(m.sum().getFloat());
            int[] order = ImageDataset.permutation(n, rng);
            float[] keep = new float[n];
            for (int i = 0; i < kept; i++) {
                keep[order[i]] = 1f;
            }
            out.put(name, manager.create(keep, m.getShape()));
        });
        return new Mask(out);
    }

    static String describe(List<Row> round, Row dense) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "round %d: %.1f%% of"
                + " weights left;", round.get(0).round(), 100 * round.get(0).remaining()));
        for (Row r : round) {
            sb.append(String.format(Locale.ROOT, " %s %.2f%% (early stop %.2f%% at %,d)",
                    r.arm().id(), 100 * r.accuracy(), 100 * r.earlyStopAccuracy(),
                    r.earlyStopIteration()));
        }
        sb.append(String.format(Locale.ROOT, "; dense %.2f%%", 100 * dense.accuracy()));
        return sb.toString();
    }
}
