package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.io.AtomicFiles;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.io.SafeTensors;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Trains a network into a run folder: {@code metrics.jsonl} events, {@code model/} whenever
 * validation improves, {@code last/} (weights, optimizer state, position) after every epoch for
 * {@code --resume}, {@code run.json} status; then evaluates the best checkpoint on the test set.
 * Pretraining and fine-tuning both run through here.
 */
public final class RunTraining {

    public static final String MODEL = "model";
    public static final String LAST = "last";
    static final String OPTIMIZER_STATE = "optimizer.safetensors";
    static final String TRAINER_STATE = "trainer.json";

    /** Train, validation (may be empty) and test tensors. */
    public record Data(Examples train, Examples validation, Examples test,
            List<String> testClassNames) {}

    /**
     * How the run went.
     *
     * @param history every epoch of the run, those before a resume included
     */
    public record Outcome(TrainingLoop.Outcome loop, List<EpochMetrics> history, int bestEpoch,
            Evaluation test, StagedNet best) {
        public Outcome {
            history = List.copyOf(history);
        }

        /** The last epoch run. */
        public int lastEpoch() {
            return history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        }
    }

    /** Where a run stands, saved with {@code last/}. */
    record TrainerState(@JsonProperty("epoch") int epoch,
            @JsonProperty("best_val_accuracy") double bestValAccuracy,
            @JsonProperty("best_epoch") int bestEpoch,
            @JsonProperty("optimizer_steps") Map<String, Integer> optimizerSteps) {}

    private RunTraining() {}

    /** Config fields a resumed run may change: it may train for more epochs. */
    private static final java.util.Set<String> RESUMABLE_CHANGES = java.util.Set.of(
            "train.epochs");

    /**
     * Opens the run folder of a training command. Every reason to refuse is checked before
     * anything is written, so a refused command leaves the folder as it was.
     *
     * <ul>
     *   <li>Fresh: the folder must be new or empty; one holding only a run that stopped before
     *       its first checkpoint (run.json and metrics.jsonl, no model) is replaced, and the
     *       log says so.
     *   <li>Resume: {@code run.json} must hold the same config but for {@code train.epochs};
     *       a finished run must be asked for more epochs. Without a checkpoint yet, training
     *       starts at epoch 1. Metrics lines after the checkpoint's epoch are dropped: those
     *       epochs run again.
     * </ul>
     *
     * @param config the command's config, as its {@code run.json} stores it
     */
    public static RunFolder open(Path dir, boolean resume, Object config, int epochs,
            Consumer<String> log) {
        Path runFile = dir.resolve(RunFolder.RUN_JSON);
        com.fasterxml.jackson.databind.JsonNode stored = Files.isRegularFile(runFile)
                ? Json.read(runFile, com.fasterxml.jackson.databind.JsonNode.class) : null;
        Path last = dir.resolve(LAST);
        if (stored != null) {
            AtomicFiles.recoverFolder(last);
            AtomicFiles.recoverFolder(dir.resolve(MODEL));
        }
        boolean checkpointed = Files.isRegularFile(last.resolve(TRAINER_STATE));
        String status = stored == null ? null : stored.path("status").asText();
        if (!resume) {
            List<Path> held = RunFolder.contents(dir);
            boolean unfinished = stored != null && !"finished".equals(status)
                    && !Files.exists(dir.resolve(MODEL)) && !Files.exists(last)
                    && held.stream().allMatch(p -> p.getFileName().toString().equals(
                            RunFolder.RUN_JSON) || p.getFileName().toString().equals(
                            RunFolder.METRICS));
            if (!held.isEmpty() && !unfinished) {
                throw RunFolder.occupied(dir);
            }
            if (unfinished) {
                log.accept("replacing the run in " + dir + " (" + status + "), which stopped"
                        + " before saving any checkpoint");
                deleteAll(held);
            }
            return RunFolder.create(dir, false);
        }
        if (stored == null) {
            throw new GraftException("--resume: " + dir + " holds no run (no " + runFile
                    .getFileName() + "); start without --resume");
        }
        List<String> changed = Json.differences(stored.path("config"), config,
                RESUMABLE_CHANGES);
        if (!changed.isEmpty()) {
            throw new GraftException("--resume: " + dir + " was run with other options ("
                    + String.join("; ", changed) + "); resume with the same options (only"
                    + " --epochs may change) or choose another --out");
        }
        int after = 0;
        if (checkpointed) {
            after = Json.read(last.resolve(TRAINER_STATE), TrainerState.class).epoch();
            if (after >= epochs && "finished".equals(status)) {
                throw new GraftException("--resume: the run in " + dir + " already finished"
                        + " all " + after + " epochs; pass a larger --epochs to train on");
            }
        } else {
            log.accept("--resume: " + dir + " has no checkpoint yet (it stopped during its"
                    + " first epoch); starting from epoch 1");
        }
        RunFolder run = RunFolder.create(dir, checkpointed);
        keepMetricsUpTo(dir.resolve(RunFolder.METRICS), after);
        return run;
    }

    /** Drops the lines of {@code metrics.jsonl} after the epoch-{@code epoch} line (all: 0). */
    private static void keepMetricsUpTo(Path metrics, int epoch) {
        if (!Files.isRegularFile(metrics)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(metrics);
        } catch (IOException e) {
            throw new BadFileException(metrics, "cannot read: " + AtomicFiles.describe(e), e);
        }
        int keep = 0;
        for (int i = 0; i < lines.size() && epoch > 0; i++) {
            EpochMetrics m = epochLine(metrics, lines.get(i));
            if (m != null && m.epoch() <= epoch) {
                keep = i + 1;
            }
        }
        if (keep < lines.size()) {
            AtomicFiles.writeString(metrics, lines.subList(0, keep).stream()
                    .map(l -> l + "\n").collect(java.util.stream.Collectors.joining()));
        }
    }

    /** The epochs {@code metrics.jsonl} records, in order. */
    private static List<EpochMetrics> recordedEpochs(Path metrics) {
        if (!Files.isRegularFile(metrics)) {
            return List.of();
        }
        try {
            return Files.readAllLines(metrics).stream().map(l -> epochLine(metrics, l))
                    .filter(java.util.Objects::nonNull).toList();
        } catch (IOException e) {
            throw new BadFileException(metrics, "cannot read: " + AtomicFiles.describe(e), e);
        }
    }

    /** One line as an epoch's metrics, or null for another event. */
    private static EpochMetrics epochLine(Path metrics, String line) {
        try {
            var node = Json.MAPPER.readTree(line);
            return node != null && "epoch".equals(node.path("event").asText())
                    ? Json.MAPPER.treeToValue(node, EpochMetrics.class) : null;
        } catch (IOException e) {
            throw new BadFileException(metrics, "a line is not JSON (" + e.getMessage().lines()
                    .findFirst().orElse("") + "); the run's record is damaged");
        }
    }

    private static void deleteAll(List<Path> files) {
        try {
            for (Path p : files) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new GraftException("cannot clear " + files + ": " + AtomicFiles.describe(e), e);
        }
    }

    /**
     * @param groups parameter groups per 1-based epoch, or null for the config's
     * @param runJson the run's {@code run.json} content; its status is kept current
     */
    public static Outcome run(RunFolder run, StagedNet net, ModelSpec spec, Data data,
            TrainConfig config, IntFunction<List<ParamGroup>> groups,
            Map<String, Object> runJson, Progress progress, Consumer<String> log,
            NDManager manager) {
        return run(run, net, spec, data, config, groups, Extras.NONE, runJson, progress, log,
                manager);
    }

    /**
     * What a run adds to plain cross-entropy training.
     *
     * @param objective the loss minimized (null: cross-entropy); its own parameters are not
     *     saved, so on resume they start afresh
     * @param hooks run after every optimizer step (e.g. re-applying a pruning mask)
     * @param checkpointFiles writes further files into every checkpoint folder the run saves
     *     (e.g. the mask beside the weights), or null
     * @param forward replaces the network's forward pass in training steps, or null
     */
    public record Extras(Objective objective, List<StepHook> hooks,
            AtomicFiles.FolderWriter checkpointFiles, TrainingLoop.Forward forward) {
        public static final Extras NONE = new Extras(null, List.of(), null, null);

        public Extras {
            hooks = List.copyOf(hooks);
        }
    }

    /**
     * As {@link #run(RunFolder, StagedNet, ModelSpec, Data, TrainConfig, IntFunction, Map,
     * Progress, Consumer, NDManager)}, with {@code extras}. A run folder opened by {@link
     * #open} to resume continues from its {@code last/} checkpoint.
     */
    public static Outcome run(RunFolder run, StagedNet net, ModelSpec spec, Data data,
            TrainConfig config, IntFunction<List<ParamGroup>> groups, Extras extras,
            Map<String, Object> runJson, Progress progress, Consumer<String> log,
            NDManager manager) {
        Objective objective = extras.objective();
        if (config.patience() > 0 && data.validation().size() == 0) {
            throw new GraftException("--patience " + config.patience() + " stops on validation"
                    + " accuracy, but there is no validation split; give --val-fraction above 0"
                    + " or drop --patience");
        }
        runJson.put("status", "running");
        run.writeRun(runJson);
        try (TrainingLoop loop = new TrainingLoop(net, config, manager)) {
            loop.progress(progress);
            if (objective != null) {
                loop.objective(objective);
            }
            if (groups != null) {
                loop.groupsByEpoch(groups);
            }
            extras.hooks().forEach(loop::hook);
            loop.forward(extras.forward());
            int startEpoch = 1;
            double best = Double.NEGATIVE_INFINITY;
            int bestSoFar = 0;
            List<EpochMetrics> earlier = List.of();
            if (run.resuming()) {
                TrainerState state = restore(run.resolve(LAST), net, loop, manager);
                startEpoch = state.epoch() + 1;
                best = state.bestValAccuracy();
                bestSoFar = state.bestEpoch();
                earlier = recordedEpochs(run.resolve(RunFolder.METRICS));
                log.accept("resuming after epoch " + state.epoch() + " from "
                        + run.resolve(LAST));
            }
            double[] bestAcc = {best};
            int[] bestEpoch = {bestSoFar};
            TrainingLoop.Outcome outcome;
            try {
                outcome = loop.fit(data.train(), data.validation().size() > 0
                        ? data.validation() : null, startEpoch, best, (m, improved) -> {
                            run.event(m);
                            if (improved) {
                                bestAcc[0] = m.valAccuracy() == null ? bestAcc[0]
                                        : m.valAccuracy();
                                bestEpoch[0] = m.epoch();
                                Checkpoint.save(run.resolve(MODEL), net, spec,
                                        extras.checkpointFiles());
                            }
                            saveLast(run.resolve(LAST), net, spec, loop, new TrainerState(
                                    m.epoch(), bestAcc[0], bestEpoch[0],
                                    loop.optimizer().stepCounts()), extras.checkpointFiles());
                        });
            } catch (TrainingDivergedException e) {
                runJson.put("status", "diverged");
                runJson.put("error", e.getMessage());
                run.writeRun(runJson);
                throw e;
            }
            // the best checkpoint, which differs from the last under early stopping
            StagedNet bestNet = Checkpoint.load(run.resolve(MODEL), manager).net();
            Evaluation ev = Evaluation.of(bestNet, data.test(), data.testClassNames(),
                    manager);
            run.event(Map.of("event", "test", "accuracy", ev.accuracy(), "loss", ev.loss()));
            List<EpochMetrics> history = new java.util.ArrayList<>(earlier);
            history.addAll(outcome.history());
            return new Outcome(outcome, history, bestEpoch[0], ev, bestNet);
        }
    }

    private static void saveLast(Path dir, StagedNet net, ModelSpec spec, TrainingLoop loop,
            TrainerState state, AtomicFiles.FolderWriter extras) {
        Checkpoint.save(dir, net, spec, staging -> {
            if (extras != null) {
                extras.write(staging);
            }
            try (OutputStream out = Files.newOutputStream(staging.resolve(OPTIMIZER_STATE))) {
                loop.optimizer().stateTensors().encode(out, NDList.Encoding.SAFETENSORS);
            }
            Files.writeString(staging.resolve(TRAINER_STATE), Json.MAPPER.writeValueAsString(state));
        });
    }

    private static TrainerState restore(Path last, StagedNet net, TrainingLoop loop,
            NDManager manager) {
        Checkpoint.loadWeights(net, last.resolve(Checkpoint.WEIGHTS));
        TrainerState state = Json.read(last.resolve(TRAINER_STATE), TrainerState.class);
        Path opt = last.resolve(OPTIMIZER_STATE);
        Map<String, ai.djl.nn.Parameter> params = net.namedParameters();
        try (NDManager tmp = manager.newSubManager()) {
            NDList tensors = new NDList();
            try (SafeTensors st = SafeTensors.open(opt)) { // plain SGD's holds no tensors
                for (SafeTensors.Entry e : st.entries().values()) {
                    String param = e.name().substring(e.name().indexOf('.') + 1);
                    ai.djl.nn.Parameter p = params.get(param);
                    if (p != null && !java.util.Arrays.equals(e.shape(),
                            p.getArray().getShape().getShape())) {
                        throw new BadFileException(opt, "tensor '" + e.name() + "' has shape "
                                + java.util.Arrays.toString(e.shape()) + ", the parameter "
                                + p.getArray().getShape() + "; the optimizer state belongs to"
                                + " another network");
                    }
                    NDArray a = tmp.create(st.floats(e.name()), new Shape(e.shape()));
                    a.setName(e.name());
                    tensors.add(a);
                }
            }
            loop.optimizer().restore(tensors, state.optimizerSteps());
        } catch (IllegalArgumentException e) {
            throw new BadFileException(opt, e.getMessage(), e);
        }
        return state;
    }
}
