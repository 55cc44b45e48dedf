package dev.graft.multitask;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Batch;
import dev.graft.data.DatasetResolver;
import dev.graft.data.MultiTaskData;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.EpochCost;
import dev.graft.train.GraftVersion;
import dev.graft.train.LrSchedule;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.Spread;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft multitask}: one trunk with a head per task, trained on every task's loss at once
 * under each weighting, beside single-task networks of the same architecture trained alike
 * (same initial trunk, same epochs, batches and optimizer), over several seeds.
 *
 * <p>The first task is the network's own head; every further task has layers of its own of
 * the same architecture's shape on one stage of the trunk (the top stage unless {@code
 * headStage} names a lower one): the stages above it and a head. Below that stage the trunk is
 * shared. After training, one checkpoint holds every task; each task's network (the shared
 * stages with that task's own layers) is also saved as an ordinary checkpoint, so every other
 * command works on one task of a multi-task model.
 */
public final class MultiTask {

    /**
     * @param seeds repetitions; seed {@code s} starts the trunk of every network in it alike
     * @param baselines train the single-task networks (for the table's comparison)
     * @param shots labelled training examples per class of the first task (every task's labels
     *     of those examples kept), drawn afresh for each seed; null for the whole training set
     * @param headStage the stage the further tasks' heads sit on (each task then has its own
     *     copy of the stages above it); null for the top stage
     */
    public record Config(
            @JsonProperty("arch") String arch,
            @JsonProperty("options") ModelOptions options,
            @JsonProperty("data") String data,
            @JsonProperty("weightings") List<Weighting> weightings,
            @JsonProperty("seeds") int seeds,
            @JsonProperty("baselines") boolean baselines,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("head_stage") String headStage,
            @JsonProperty("train") TrainConfig train) {
        public Config {
            weightings = List.copyOf(weightings);
            if (weightings.isEmpty()) {
                throw new IllegalArgumentException("--weighting names none; give at least one"
                        + " of " + Weighting.ids());
            }
            if (weightings.stream().distinct().count() != weightings.size()) {
                throw new IllegalArgumentException("--weighting names one weighting twice: "
                        + weightings);
            }
            if (seeds < 1) {
                throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
            }
            if (shots != null && shots < 1) {
                throw new IllegalArgumentException("--shots must be at least 1, got " + shots);
            }
        }
    }

    /**
     * One trained network: a weighting's multi-task run, or a single-task baseline.
     *
     * @param weighting the weighting, or null for a single-task network
     * @param task the one task of a single-task network, or null
     * @param accuracy test accuracy per task (a single-task network: its task only)
     * @param weights per epoch start, each task's weight (multi-task runs)
     * @param losses per epoch, each task's mean training loss (multi-task runs)
     */
    public record Run(
            @JsonProperty("weighting") Weighting weighting,
            @JsonProperty("task") String task,
            @JsonProperty("seed") int seed,
            @JsonProperty("accuracy") Map<String, Double> accuracy,
            @JsonProperty("images_per_second") double imagesPerSecond,
            @JsonProperty("weights") List<double[]> weights,
            @JsonProperty("losses") List<double[]> losses,
            @JsonProperty("checkpoints") Map<String, String> checkpoints) {}

    /** One task's line of the table. */
    public record TaskRow(
            @JsonProperty("name") String name,
            @JsonProperty("single_task") Spread singleTask,
            @JsonProperty("by_weighting") Map<String, Spread> byWeighting) {}

    /**
     * What a run produced.
     *
     * @param deltaM per weighting, LibMTL's average relative improvement over the single-task
     *     networks, in percent: {@code 100 / K sum_k (acc_k - single_k) / single_k}
     * @param epochCost per weighting, a training epoch's time over equal weights', timed side by
     *     side on the same images
     * @param headStage the stage the further tasks' heads sit on (the top one: every stage
     *     shared)
     */
    public record Result(
            @JsonProperty("tasks") List<String> tasks,
            @JsonProperty("head_stage") String headStage,
            @JsonProperty("rows") List<TaskRow> rows,
            @JsonProperty("delta_m") Map<String, Double> deltaM,
            @JsonProperty("epoch_cost_vs_equal") Map<String, Double> epochCost,
            @JsonProperty("runs") List<Run> runs,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public MultiTask(Consumer<String> log) {
        this.log = log;
    }

    public MultiTask progress(Progress p) {
        this.progress = p;
        return this;
    }

    /**
     * The data, normalization and tensors every network of a run shares. The tasks come in
     * parts ({@link MultiTaskData.Parts}): one part when they share their images, a part per
     * task when each has images of its own; the first part's examples make the epochs.
     */
    private record Shared(Config c, Architecture arch, String stage, List<MultiTaskData> train,
            List<MultiTaskData> test, Normalization norm, String source, TensorDataset empty,
            List<TensorDataset> trainSets, List<TensorDataset> testSets) implements AutoCloseable {
        @Override
        public void close() {
            empty.close();
            trainSets.forEach(TensorDataset::close);
            testSets.forEach(TensorDataset::close);
        }

        List<MultiTaskData.Task> all() {
            return train.stream().flatMap(p -> p.tasks().stream()).toList();
        }

        int tasks() {
            return all().size();
        }

        String task(int k) {
            return all().get(k).name();
        }

        List<String> classNames(int k) {
            return all().get(k).classNames();
        }

        int classes(int k) {
            return classNames(k).size();
        }

        /** The part task {@code k} belongs to. */
        int part(int k) {
            int first = 0;
            for (int p = 0; p < train.size(); p++) {
                first += train.get(p).tasks().size();
                if (k < first) {
                    return p;
                }
            }
            throw new IndexOutOfBoundsException("task " + k);
        }

        /** Task {@code k}'s index within its part. */
        int inPart(int k) {
            int first = 0;
            for (int p = 0; p < part(k); p++) {
                first += train.get(p).tasks().size();
            }
            return k - first;
        }

        /** The dataset name that gives task {@code k}'s labels. */
        String dataset(int k) {
            return train.size() == 1 ? c.data() + ":" + task(k) : train.get(part(k)).name();
        }

        /** Training examples of the first part: one epoch goes through them once. */
        int size() {
            return train.get(0).size();
        }

        int[] shape() {
            return train.get(0).images().imageShape();
        }

        /** Each task's training images under its labels, normalized. */
        static List<TensorDataset> sets(List<MultiTaskData> parts, Normalization norm,
                NDManager manager) {
            List<TensorDataset> sets = new ArrayList<>();
            for (MultiTaskData part : parts) {
                for (int t = 0; t < part.tasks().size(); t++) {
                    sets.add(TensorDataset.of(part.forTask(t), norm, manager));
                }
            }
            return sets;
        }

        /**
         * The run's view for one seed: with {@code --shots}, that seed's draw of labelled
         * examples (per class of each part's first task) as the training sets (their tensors
         * closed by the caller), else this.
         */
        Shared forSeed(int seed, NDManager manager) {
            if (c.shots() == null) {
                return this;
            }
            List<MultiTaskData> drawn = new ArrayList<>();
            for (int p = 0; p < train.size(); p++) {
                drawn.add(train.get(p).shots(0, c.shots(), Seeds.derive(c.train().seed(),
                        "shots" + seed + (p == 0 ? "" : "-part" + p))));
            }
            return new Shared(c, arch, stage, drawn, test, norm, source, empty, sets(drawn, norm,
                    manager), testSets);
        }
    }

    public Result run(Config c, Path runDir) {
        Architecture arch = Architecture.byId(c.arch());
        if (arch.isText()) {
            throw new GraftException("--arch " + arch.id() + " reads text; the multi-task"
                    + " benchmarks are images (" + String.join(", ", MultiTaskData.NAMES) + ")");
        }
        MultiTaskData.Parts d = MultiTaskData.resolveParts(c.data(), new DatasetResolver(), log);
        log.accept("data: " + c.data() + ", " + d.source() + "; tasks " + d.tasks().stream()
                .map(t -> t.name() + " (" + t.classNames().size() + " classes)").toList() + "; "
                + String.join(", ", d.train().stream().map(p -> p.size() + " train").toList())
                + " / " + String.join(", ", d.test().stream().map(p -> p.size() + " test")
                        .toList()) + (d.train().size() > 1 ? " (a batch of each task's own"
                                + " images every step)" : ""));
        String stage = headStage(c, arch, d.train().get(0));
        try (NDManager manager = NDManager.newBaseManager(); RunFolder run = RunFolder.open(
                runDir, true)) {
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "multitask");
            runJson.put("config", c);
            runJson.put("status", "running");
            run.writeRun(runJson);
            Normalization norm = Normalization.fit(d.train().stream().map(
                    MultiTaskData::images).toList());
            int[] shape = d.train().get(0).images().imageShape();
            try (Shared sh = new Shared(c, arch, stage, d.train(), d.test(), norm, d.source(),
                    TensorDataset.ofValues(new float[0], shape, new int[0], d.tasks().get(0)
                            .classNames().size(), manager), Shared.sets(d.train(), norm,
                                    manager), Shared.sets(d.test(), norm, manager))) {
                List<Run> runs = new ArrayList<>();
                int total = c.seeds() * ((c.baselines() ? sh.tasks() : 0) + c.weightings().size());
                for (int s = 1; s <= c.seeds(); s++) {
                    Shared seeded = sh.forSeed(s, manager);
                    if (c.shots() != null) {
                        log.accept(String.format("seed %d: %d labelled examples per class of"
                                + " task %s, %d in all", s, c.shots(), sh.task(0),
                                seeded.size()));
                    }
                    if (c.baselines()) {
                        for (int k = 0; k < sh.tasks(); k++) {
                            log.accept(String.format("[%d/%d] single task %s, seed %d",
                                    runs.size() + 1, total, sh.task(k), s));
                            runs.add(single(seeded, k, s, run, manager));
                        }
                    }
                    for (Weighting w : c.weightings()) {
                        log.accept(String.format("[%d/%d] %s, seed %d", runs.size() + 1, total,
                                w.id(), s));
                        runs.add(joint(seeded, w, s, run, manager));
                    }
                    if (seeded != sh) {
                        seeded.trainSets().forEach(TensorDataset::close);
                    }
                }
                Map<String, Double> cost = epochCosts(sh, manager);
                Result r = summarize(sh, runs, cost, runDir);
                runJson.put("status", "finished");
                runJson.put("result", r);
                run.writeRun(runJson);
                MultiTaskReport.write(run.resolve(dev.graft.report.Report.FILE), c, r);
                return r;
            }
        }
    }

    /** The stage the further tasks' heads sit on: {@code --head-stage}'s, or the top one. */
    private static String headStage(Config c, Architecture arch, MultiTaskData train) {
        List<String> stages = arch.build(train.images().imageShape(), train.tasks().get(0)
                .classNames().size(), c.options()).stageNames();
        if (stages.isEmpty()) {
            throw new GraftException("--arch " + arch.id() + " has no stages to share between"
                    + " tasks");
        }
        if (c.headStage() == null) {
            return stages.get(stages.size() - 1);
        }
        if (!stages.contains(c.headStage())) {
            throw new GraftException("--head-stage " + c.headStage() + ": " + arch.id()
                    + " has stages " + stages + " (a head sits on one of them; the top one, "
                    + stages.get(stages.size() - 1) + ", shares every stage)");
        }
        return c.headStage();
    }

    private static long initSeed(Config c, int seed) {
        return Seeds.derive(Seeds.derive(c.train().seed(), "seed" + seed), "init");
    }

    private static ModelSpec spec(Shared sh, StagedNet net, int task, String command) {
        return new ModelSpec(ModelSpec.FORMAT_VERSION, sh.arch().id(), net.options(),
                net.inputShape(), net.numClasses(), sh.classNames(task),
                sh.norm(), net.stageNames(), Checkpoint.parameterShapes(net),
                new ModelSpec.Provenance(GraftVersion.graft(), GraftVersion.djl(),
                        GraftVersion.engine(), Instant.now().toString(), sh.c().train().seed(),
                        sh.dataset(task), sh.source(), sh.train().get(sh.part(task))
                                .fingerprint(), null, command));
    }

    /** A single-task network for task {@code k}, trained on its labels alone. */
    private Run single(Shared sh, int k, int seed, RunFolder run, NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            StagedNet net = sh.arch().build(sh.shape(), sh.classes(k), sh.c().options())
                    .initialize(m, initSeed(sh.c(), seed));
            Path dir = run.resolve("single-" + sh.task(k) + "-seed" + seed);
            RunTraining.Outcome o;
            try (RunFolder cell = RunFolder.open(dir, true)) {
                o = RunTraining.run(cell, net, spec(sh, net, k, "multitask (single task)"),
                        new RunTraining.Data(sh.trainSets().get(k), sh.empty(), sh.testSets()
                                .get(k), sh.classNames(k)),
                        sh.c().train().withSeed(Seeds.derive(sh.c().train().seed(),
                                "seed" + seed)), null, new LinkedHashMap<>(Map.of("command",
                                        "multitask", "task", sh.task(k))), progress, log, m);
            }
            double acc = o.test().accuracy();
            log.accept(String.format(Locale.ROOT, "  %s alone: %.2f%%", sh.task(k), 100 * acc));
            return new Run(null, sh.task(k), seed, Map.of(sh.task(k), acc),
                    o.loop().meanImagesPerSecond(), List.of(), List.of(), Map.of(sh.task(k),
                            dir.resolve(RunTraining.MODEL).toString()));
        }
    }

    /**
     * The further tasks' networks, of the same architecture: their layers above the shared
     * stage are the tasks' own, their stages up to it unused.
     */
    private static List<StagedNet> heads(Shared sh, int seed, NDManager m) {
        List<StagedNet> heads = new ArrayList<>();
        for (int k = 1; k < sh.tasks(); k++) {
            heads.add(sh.arch().build(sh.shape(), sh.classes(k), sh.c().options())
                    .initialize(m, Seeds.derive(initSeed(sh.c(), seed), "head-" + sh.task(k))));
        }
        return heads;
    }

    private static TaskObjective objective(Shared sh, StagedNet net, List<StagedNet> heads,
            Weighting w, long seed, NDManager m) {
        List<TaskObjective.Examples> examples = new ArrayList<>();
        for (int k = 1; k < sh.tasks(); k++) {
            examples.add(sh.part(k) == 0 ? new TaskObjective.SameImages(sh.train().get(0)
                    .tasks().get(sh.inPart(k)).labels()) : new TaskObjective.OwnImages(
                            sh.trainSets().get(k), Seeds.derive(seed, "images-" + sh.task(k))));
        }
        List<String> names = sh.all().stream().map(MultiTaskData.Task::name).toList();
        int batch = sh.c().train().batchSize();
        int steps = (sh.size() + batch - 1) / batch;
        return new TaskObjective(net, sh.stage(), names, heads, examples, w.start(sh.tasks(),
                seed, m), steps);
    }

    /** A multi-task network under weighting {@code w}: trained, scored per task, saved. */
    private Run joint(Shared sh, Weighting w, int seed, RunFolder run, NDManager manager) {
        try (NDManager m = manager.newSubManager()) {
            StagedNet net = sh.arch().build(sh.shape(), sh.classes(0), sh.c().options())
                    .initialize(m, initSeed(sh.c(), seed));
            if (w.needsTaskGradients() && net.auxiliaryHead() != null) {
                throw new GraftException("--weighting " + w.id() + " combines each task's"
                        + " gradient, and " + sh.arch().id() + " trains an auxiliary classifier"
                        + " beside its head, which that leaves out; use equal, uw or dwa");
            }
            List<StagedNet> heads = heads(sh, seed, m);
            TaskObjective objective = objective(sh, net, heads, w, initSeed(sh.c(), seed), m);
            Path dir = run.resolve(w.id() + "-seed" + seed);
            RunTraining.Outcome o;
            try (RunFolder cell = RunFolder.open(dir, true)) {
                o = RunTraining.run(cell, net, spec(sh, net, 0, "multitask " + w.id()),
                        new RunTraining.Data(sh.trainSets().get(0), sh.empty(), sh.testSets()
                                .get(0), sh.classNames(0)),
                        sh.c().train().withSeed(Seeds.derive(sh.c().train().seed(),
                                "seed" + seed)), null, new RunTraining.Extras(objective,
                                List.of(), null, null), new LinkedHashMap<>(Map.of("command",
                                        "multitask", "weighting", w.id())), progress, log, m);
            }
            objective.finish();
            double[] acc = accuracies(o.best(), heads, sh, m);
            Map<String, Double> byTask = new LinkedHashMap<>();
            Map<String, String> checkpoints = new LinkedHashMap<>();
            // one checkpoint holds every head and lists the tasks; each further task's
            // single-task checkpoint (model-<task>) is written beside it for other commands
            Path model = dir.resolve(RunTraining.MODEL);
            Map<String, Map<String, Parameter>> further = new LinkedHashMap<>();
            for (int k = 1; k < sh.tasks(); k++) {
                further.put(sh.task(k), heads.get(k - 1).parametersAbove(sh.stage()));
            }
            ModelSpec own = spec(sh, o.best(), 0, "multitask " + w.id());
            List<ModelSpec.Task> tasks = new ArrayList<>();
            String top = own.stages().get(own.stages().size() - 1);
            for (int k = 0; k < sh.tasks(); k++) {
                tasks.add(new ModelSpec.Task(sh.task(k), sh.classNames(k), sh.dataset(k),
                        k == 0 ? top : sh.stage()));
            }
            Checkpoint.save(model, o.best(), further, new ModelSpec(own.formatVersion(),
                    own.architecture(), own.options(), own.inputShape(), own.numClasses(),
                    own.classNames(), own.normalization(), own.stages(),
                    Checkpoint.parameterShapes(o.best(), further), own.provenance(), tasks),
                    null);
            for (int k = 0; k < sh.tasks(); k++) {
                byTask.put(sh.task(k), acc[k]);
                checkpoints.put(sh.task(k), Checkpoint.taskCheckpoint(model, sh.task(k))
                        .toString());
            }
            log.accept("  " + w.id() + ": " + String.join(", ", byTask.entrySet().stream()
                    .map(e -> String.format(Locale.ROOT, "%s %.2f%%", e.getKey(),
                            100 * e.getValue())).toList()));
            return new Run(w, null, seed, byTask, o.loop().meanImagesPerSecond(),
                    objective.weights(), objective.losses(), checkpoints);
        }
    }

    /**
     * Test accuracy of every task: the network's head for the first, the further tasks' own
     * layers on the shared stage's output for the rest.
     */
    static double[] accuracies(StagedNet net, List<StagedNet> heads, Shared sh, NDManager m) {
        long[] correct = new long[sh.tasks()];
        ParameterStore ps = new ParameterStore(m, false);
        String stage = sh.stage();
        int batch = net.inferenceBatchSize();
        for (int p = 0, first = 0; p < sh.test().size(); first += sh.test().get(p).tasks()
                .size(), p++) {
            MultiTaskData part = sh.test().get(p);
            TensorDataset images = sh.testSets().get(first);
            for (int from = 0; from < part.size(); from += batch) {
                int to = Math.min(part.size(), from + batch);
                try (NDManager step = m.newSubManager()) {
                    Batch b = images.range(from, to, step);
                    Map<String, NDArray> capture = new LinkedHashMap<>();
                    capture.put(stage, null);
                    NDArray own = net.forward(ps, b.inputs(), false, capture);
                    for (int t = 0; t < part.tasks().size(); t++) {
                        int k = first + t;
                        NDArray logits = k == 0 ? own : heads.get(k - 1).forwardAbove(ps,
                                new NDList(capture.get(stage)), stage, false);
                        long[] predicted = logits.argMax(1).toLongArray();
                        int[] truth = part.tasks().get(t).labels();
                        for (int i = 0; i < predicted.length; i++) {
                            correct[k] += predicted[i] == truth[from + i] ? 1 : 0;
                        }
                    }
                }
            }
        }
        double[] acc = new double[correct.length];
        for (int k = 0; k < acc.length; k++) {
            acc[k] = correct[k] / (double) sh.test().get(sh.part(k)).size();
        }
        return acc;
    }

    /** Each weighting's epoch time over equal weights', alternating on the same images. */
    private Map<String, Double> epochCosts(Shared sh, NDManager manager) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (!sh.c().weightings().contains(Weighting.EQUAL) || sh.c().weightings().size() < 2) {
            return out;
        }
        log.accept("timing each weighting's epoch against equal weights'");
        try (NDManager m = manager.newSubManager()) {
            // one epoch over each timed chunk, at a constant rate
            TrainConfig tc = new TrainConfig(1, sh.c().train().batchSize(),
                    sh.c().train().optimizer(), new LrSchedule.Constant(),
                    sh.c().train().augmentation(), 0, 0, List.of());
            TrainingLoop equal = loop(sh, Weighting.EQUAL, tc, m);
            int chunk = EpochCost.chunk(equal, sh.trainSets().get(0), tc.batchSize(), m);
            try (NDManager cm = m.newSubManager(); dev.graft.data.Examples head = sh.trainSets()
                    .get(0).head(chunk, cm)) {
                for (Weighting w : sh.c().weightings()) {
                    out.put(w.id(), w == Weighting.EQUAL ? 1.0 : EpochCost.ratio(equal,
                            loop(sh, w, tc, m), head));
                }
            }
        }
        return out;
    }

    private static TrainingLoop loop(Shared sh, Weighting w, TrainConfig tc, NDManager m) {
        StagedNet net = sh.arch().build(sh.shape(), sh.classes(0), sh.c().options())
                .initialize(m, 0);
        TaskObjective o = objective(sh, net, heads(sh, 0, m), w, 0, m);
        o.pastFirstEpochs();
        return new TrainingLoop(net, tc, m).objective(o);
    }

    private static Result summarize(Shared sh, List<Run> runs, Map<String, Double> cost,
            Path runDir) {
        List<TaskRow> rows = new ArrayList<>();
        Map<String, Double> deltaM = new LinkedHashMap<>();
        double[] single = new double[sh.tasks()];
        for (int k = 0; k < sh.tasks(); k++) {
            String task = sh.task(k);
            Spread alone = spread(runs.stream().filter(r -> task.equals(r.task())), task);
            single[k] = alone == null ? Double.NaN : alone.mean();
            Map<String, Spread> by = new LinkedHashMap<>();
            for (Weighting w : sh.c().weightings()) {
                by.put(w.id(), spread(runs.stream().filter(r -> r.weighting() == w), task));
            }
            rows.add(new TaskRow(task, alone, by));
        }
        if (sh.c().baselines()) {
            for (Weighting w : sh.c().weightings()) {
                double sum = 0;
                for (int k = 0; k < sh.tasks(); k++) {
                    sum += (rows.get(k).byWeighting().get(w.id()).mean() - single[k])
                            / single[k];
                }
                deltaM.put(w.id(), 100 * sum / sh.tasks());
            }
        }
        List<String> tasks = sh.all().stream().map(MultiTaskData.Task::name).toList();
        return new Result(tasks, sh.stage(), rows, deltaM, cost, runs, sh.size(), sh.source(),
                runDir.toString());
    }

    private static Spread spread(java.util.stream.Stream<Run> runs, String task) {
        double[] v = runs.mapToDouble(r -> r.accuracy().get(task)).toArray();
        return v.length == 0 ? null : Spread.of(v);
    }
}
