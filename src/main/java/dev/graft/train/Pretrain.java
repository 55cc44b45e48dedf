package dev.graft.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.ClassSelection;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
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
    public static final String MODEL = RunTraining.MODEL;
    public static final String LAST = RunTraining.LAST;

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
        return prepareData(config.data(), config.classes(), config.shots(), config.valFraction(),
                config.train().seed(), log);
    }

    /**
     * Resolves {@code data}, keeps {@code classes} (null: all), holds out {@code valFraction} of
     * each class, then samples {@code shots} per class (null: all) from the rest.
     */
    public static Splits prepareData(String data, String classes, Integer shots,
            double valFraction, long seed, Consumer<String> log) {
        return prepareData(data, null, classes, shots, valFraction, seed, log);
    }

    /**
     * As above, for a model taking {@code imageShape}: what an image folder's pictures are
     * resized and cropped to (see {@link DatasetResolver#resolve(String, int[], Consumer)}).
     */
    public static Splits prepareData(String data, int[] imageShape, String classes,
            Integer shots, double valFraction, long seed, Consumer<String> log) {
        DatasetResolver.Resolved r = new DatasetResolver().resolve(data, imageShape, log);
        log.accept("data: " + data + " from " + r.source());
        ImageDataset train = r.train();
        ImageDataset test = r.test();
        if (classes != null) {
            int[] selected = ClassSelection.parse(classes, train.classNames());
            train = train.withClasses(selected);
            test = test.withClasses(selected);
        }
        ImageDataset.Split split = train.holdOut(valFraction, Seeds.derive(seed, "split"));
        train = split.train();
        if (shots != null) {
            train = train.sampleShots(shots, Seeds.derive(seed, "shots"));
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
        try (RunFolder run = RunTraining.open(runDir, resume, config, config.train().epochs(),
                        log);
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
                try (TensorDataset train = TensorDataset.of(data.train(), norm, manager);
                    TensorDataset val = TensorDataset.of(data.validation(), norm, manager);
                    TensorDataset test = TensorDataset.of(data.test(), norm, manager)) {
                RunTraining.Outcome o = RunTraining.run(run, net, spec, new RunTraining.Data(
                        train, val, test, data.test().classNames()), config.train(), null,
                        runJson, progress, log, manager);
                Evaluation ev = o.test();
                Result result = new Result(ev.accuracy(), ev.loss(), o.lastEpoch(),
                        o.bestEpoch(), o.loop().stoppedEarly(), o.loop().meanImagesPerSecond(),
                        net.parameterCount(), run.resolve(MODEL).toString(), runDir.toString(),
                        data.source(), data.train().size(), data.validation().size(),
                        o.history(), ev);
                runJson.put("status", "finished");
                runJson.put("result", result);
                run.writeRun(runJson);
                return result;
            }
        }
    }

}
