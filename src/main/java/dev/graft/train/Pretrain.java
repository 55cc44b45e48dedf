package dev.graft.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Augmentation;
import dev.graft.data.ClassSelection;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Trains an architecture from scratch on a dataset (or a class subset of it): the source model
 * every transfer starts from. Writes a run folder with {@code model/} (best checkpoint),
 * {@code last/} (for {@code --resume}), {@code metrics.jsonl} and {@code run.json}.
 */
public final class Pretrain {

    /**
     * Everything a pretraining run depends on; its hash names the default run folder.
     *
     * @param data dataset name or folder
     * @param classes class subset ({@code 0-4}), or null for all
     * @param shots images per class, or null for all
     * @param valFraction share of each class held out for validation
     */
    public record Config(
            @JsonProperty("data") String data,
            @JsonProperty("classes") String classes,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("architecture") String architecture,
            @JsonProperty("options") ModelOptions options,
            @JsonProperty("train") TrainConfig train) {}

    /** What a run produced. */
    public record Result(
            @JsonProperty("test_accuracy") double testAccuracy,
            @JsonProperty("test_loss") double testLoss,
            @JsonProperty("epochs") int epochs,
            @JsonProperty("best_epoch") int bestEpoch,
            @JsonProperty("stopped_early") boolean stoppedEarly,
            @JsonProperty("train_images_per_second") double trainImagesPerSecond,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("run") String run,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("validation_examples") int validationExamples,
            @JsonProperty("history") List<EpochMetrics> history,
            @JsonProperty("test") Evaluation test) {}

    /** Folder names inside a run. */
    public static final String MODEL = "model";
    public static final String LAST = "last";
    static final String OPTIMIZER_STATE = "optimizer.safetensors";
    static final String TRAINER_STATE = "trainer.json";

    /** Where a run stands, saved with {@code last/} so {@code --resume} can continue. */
    record TrainerState(@JsonProperty("epoch") int epoch,
            @JsonProperty("best_val_accuracy") double bestValAccuracy,
            @JsonProperty("best_epoch") int bestEpoch,
            @JsonProperty("optimizer_steps") Map<String, Integer> optimizerSteps) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Pretrain(Consumer<String> log) {
        this.log = log;
    }

    public Pretrain progress(Progress p) {
        this.progress = p;
        return this;
    }

    /** The data a config selects: train, validation and test splits, plus where they came from. */
    public record Splits(ImageDataset train, ImageDataset validation, ImageDataset test,
            String source) {}

    /** Resolves, subsets and splits the data of {@code config}; validates before any work. */
    public Splits prepareData(Config config) {
        DatasetResolver.Resolved r = new DatasetResolver().resolve(config.data(), log);
        log.accept("data: " + config.data() + " from " + r.source());
        ImageDataset train = r.train();
        ImageDataset test = r.test();
        if (config.classes() != null) {
            int[] classes = ClassSelection.parse(config.classes(), train.classNames());
            train = train.withClasses(classes);
            test = test.withClasses(classes);
        }
        long seed = config.train().seed();
        ImageDataset.Split split = train.holdOut(config.valFraction(), Seeds.derive(seed, "split"));
        train = split.train();
        if (config.shots() != null) {
            train = train.sampleShots(config.shots(), Seeds.derive(seed, "shots"));
        }
        return new Splits(train, split.validation(), test, r.source());
    }

    /**
     * Runs pretraining into {@code runDir}.
     *
     * @param resume continue from {@code runDir/last} instead of starting afresh
     */
    public Result run(Config config, Path runDir, boolean resume) {
        Architecture arch = Architecture.byId(config.architecture());
        Splits data = prepareData(config);
        if (resume && !Files.isDirectory(runDir.resolve(LAST))) {
            throw new GraftException("--resume: " + runDir.resolve(LAST) + " does not exist;"
                    + " nothing to resume (start without --resume)");
        }
        try (RunFolder run = RunFolder.open(runDir, !resume);
                NDManager manager = NDManager.newBaseManager()) {
            Normalization norm = Normalization.fit(data.train());
            long seed = config.train().seed();
            StagedNet net = arch.build(data.train().imageShape(), data.train().numClasses(),
                    config.options()).initialize(manager, Seeds.derive(seed, "init"));
            log.accept(String.format("model: %s, %,d parameters; train %d, validation %d, test %d"
                    + " images", arch.id(), net.parameterCount(), data.train().size(),
                    data.validation().size(), data.test().size()));
            ModelSpec spec = new ModelSpec(ModelSpec.FORMAT_VERSION, arch.id(), config.options(),
                    net.inputShape(), net.numClasses(), data.train().classNames(), norm,
                    net.stageNames(), Checkpoint.parameterShapes(net), new ModelSpec.Provenance(
                            GraftVersion.graft(), GraftVersion.djl(), GraftVersion.engine(),
                            Instant.now().toString(), seed, config.data(), data.source(),
                            data.train().fingerprint(), null, "pretrain"));
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "pretrain");
            runJson.put("config", config);
            runJson.put("status", "running");
            run.writeRun(runJson);
            try (TensorDataset train = TensorDataset.of(data.train(), norm, manager);
                    TensorDataset val = TensorDataset.of(data.validation(), norm, manager);
                    TensorDataset test = TensorDataset.of(data.test(), norm, manager);
                    TrainingLoop loop = new TrainingLoop(net, config.train(), manager)) {
                loop.progress(progress);
                int startEpoch = 1;
                double best = Double.NEGATIVE_INFINITY;
                int bestSoFar = 0;
                if (resume) {
                    TrainerState state = restore(runDir.resolve(LAST), net, loop, manager);
                    startEpoch = state.epoch() + 1;
                    best = state.bestValAccuracy();
                    bestSoFar = state.bestEpoch();
                    log.accept("resuming after epoch " + state.epoch() + " from "
                            + runDir.resolve(LAST));
                }
                if (startEpoch > config.train().epochs()) {
                    throw new GraftException("--resume: the run already finished all "
                            + config.train().epochs() + " epochs");
                }
                double[] bestAcc = {best};
                int[] bestEpoch = {bestSoFar};
                TrainingLoop.Outcome outcome;
                try {
                    outcome = loop.fit(train, val.size() > 0 ? val : null, startEpoch, best,
                            (m, improved) -> {
                                run.event(m);
                                if (improved) {
                                    bestAcc[0] = m.valAccuracy() == null ? bestAcc[0]
                                            : m.valAccuracy();
                                    bestEpoch[0] = m.epoch();
                                    Checkpoint.save(run.resolve(MODEL), net, spec, null);
                                }
                                saveLast(run.resolve(LAST), net, spec, loop, new TrainerState(
                                        m.epoch(), bestAcc[0], bestEpoch[0],
                                        loop.optimizer().stepCounts()));
                            });
                } catch (TrainingDivergedException e) {
                    runJson.put("status", "diverged");
                    runJson.put("error", e.getMessage());
                    run.writeRun(runJson);
                    throw e;
                }
                // evaluate the best checkpoint (differs from the last under early stopping)
                Checkpoint.Loaded best0 = Checkpoint.load(run.resolve(MODEL), manager);
                Evaluation ev = Evaluation.of(best0.net(), test, 512,
                        data.test().classNames(), manager);
                Result result = new Result(ev.accuracy(), ev.loss(), outcome.history().isEmpty()
                        ? 0 : outcome.history().get(outcome.history().size() - 1).epoch(),
                        bestEpoch[0], outcome.stoppedEarly(), outcome.meanImagesPerSecond(),
                        net.parameterCount(), run.resolve(MODEL).toString(), runDir.toString(),
                        data.source(), data.train().size(), data.validation().size(),
                        outcome.history(), ev);
                runJson.put("status", "finished");
                runJson.put("result", result);
                run.writeRun(runJson);
                run.event(Map.of("event", "test", "accuracy", ev.accuracy(), "loss", ev.loss()));
                return result;
            }
        }
    }

    private static void saveLast(Path dir, StagedNet net, ModelSpec spec, TrainingLoop loop,
            TrainerState state) {
        Checkpoint.save(dir, net, spec, staging -> {
            try (OutputStream out = Files.newOutputStream(staging.resolve(OPTIMIZER_STATE))) {
                loop.optimizer().stateTensors().encode(out, NDList.Encoding.SAFETENSORS);
            }
            Files.writeString(staging.resolve(TRAINER_STATE), Json.MAPPER.writeValueAsString(state));
        });
    }

    private static TrainerState restore(Path last, StagedNet net, TrainingLoop loop,
            NDManager manager) {
        Checkpoint.loadWeights(net, last.resolve(Checkpoint.WEIGHTS), manager);
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

    /** Convenience for tests and the demo: default augmentation-free config. */
    public static TrainConfig defaultTrain(int epochs, long seed) {
        return new TrainConfig(epochs, 128, OptimizerConfig.adam(1e-3), LrSchedule.OneCycle
                .defaults(), Augmentation.NONE, seed, 0, List.of());
    }
}
