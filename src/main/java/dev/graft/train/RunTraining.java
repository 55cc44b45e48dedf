package dev.graft.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.TensorDataset;
import dev.graft.io.AtomicFiles;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import java.io.IOException;
import java.io.InputStream;
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
    public record Data(TensorDataset train, TensorDataset validation, TensorDataset test,
            List<String> testClassNames) {}

    /** How the run went. */
    public record Outcome(TrainingLoop.Outcome loop, int bestEpoch, Evaluation test,
            StagedNet best) {
        /** The last epoch run. */
        public int lastEpoch() {
            return loop.history().isEmpty() ? 0
                    : loop.history().get(loop.history().size() - 1).epoch();
        }
    }

    /** Where a run stands, saved with {@code last/}. */
    record TrainerState(@JsonProperty("epoch") int epoch,
            @JsonProperty("best_val_accuracy") double bestValAccuracy,
            @JsonProperty("best_epoch") int bestEpoch,
            @JsonProperty("optimizer_steps") Map<String, Integer> optimizerSteps) {}

    private RunTraining() {}

    /**
     * @param groups parameter groups per 1-based epoch, or null for the config's
     * @param runJson the run's {@code run.json} content; its status is kept current
     */
    public static Outcome run(RunFolder run, StagedNet net, ModelSpec spec, Data data,
            TrainConfig config, IntFunction<List<ParamGroup>> groups, boolean resume,
            Map<String, Object> runJson, Progress progress, Consumer<String> log,
            NDManager manager) {
        return run(run, net, spec, data, config, groups, Extras.NONE, resume, runJson, progress,
                log, manager);
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
     * As {@link #run(RunFolder, StagedNet, ModelSpec, Data, TrainConfig, IntFunction, boolean,
     * Map, Progress, Consumer, NDManager)}, with {@code extras}.
     */
    public static Outcome run(RunFolder run, StagedNet net, ModelSpec spec, Data data,
            TrainConfig config, IntFunction<List<ParamGroup>> groups, Extras extras,
            boolean resume, Map<String, Object> runJson, Progress progress,
            Consumer<String> log, NDManager manager) {
        Objective objective = extras.objective();
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
            if (resume) {
                TrainerState state = restore(run.resolve(LAST), net, loop, manager);
                startEpoch = state.epoch() + 1;
                best = state.bestValAccuracy();
                bestSoFar = state.bestEpoch();
                log.accept("resuming after epoch " + state.epoch() + " from "
                        + run.resolve(LAST));
            }
            if (startEpoch > config.epochs()) {
                throw new GraftException("--resume: the run already finished all "
                        + config.epochs() + " epochs");
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
            return new Outcome(outcome, bestEpoch[0], ev, bestNet);
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
        try (NDManager tmp = manager.newSubManager();
                InputStream in = Files.newInputStream(opt)) {
            NDList tensors = Files.size(opt) > 8 ? NDList.decode(tmp, in) : new NDList();
            loop.optimizer().restore(tensors, state.optimizerSteps());
        } catch (IOException e) {
            throw new BadFileException(opt, "cannot read optimizer state: " + e.getMessage(), e);
        }
        return state;
    }
}
