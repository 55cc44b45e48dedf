package dev.graft.compress;

import ai.djl.ndarray.NDManager;
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
import dev.graft.train.TrainConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The task a checkpoint was trained on, which a compression step is tuned and judged on: its
 * dataset (or another with its classes), its classes selected by name, a validation hold-out
 * and the test set, as tensors normalized the model's way.
 */
public final class ModelTask implements AutoCloseable {

    final ModelSpec spec;
    final String dataName;
    final String source;
    final String fingerprint;
    final TensorDataset train;
    final TensorDataset validation;
    final TensorDataset test;
    private final RunTraining.Data data;

    private ModelTask(ModelSpec spec, String dataName, String source, ImageDataset train,
            ImageDataset validation, ImageDataset test, NDManager manager) {
        this.spec = spec;
        this.dataName = dataName;
        this.source = source;
        this.fingerprint = train.fingerprint();
        this.train = TensorDataset.of(train, spec.normalization(), manager);
        this.validation = TensorDataset.of(validation, spec.normalization(), manager);
        this.test = TensorDataset.of(test, spec.normalization(), manager);
        this.data = new RunTraining.Data(this.train, this.validation, this.test,
                test.classNames());
    }

    /**
     * @param data dataset name or folder (null: the one the model was trained on)
     * @param seed draws the validation hold-out
     */
    public static ModelTask load(Path model, ModelSpec spec, String data, double valFraction,
            long seed,
            Consumer<String> log, NDManager manager) {
        String dataName = data != null ? data : spec.sourceDataset();
        DatasetResolver.Resolved r = new DatasetResolver().resolve(dataName, spec.inputShape(),
                log);
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
        return new ModelTask(spec, dataName, r.source(), split.train(), split.validation(), test,
                manager);
    }

    /** The training images (less the validation hold-out). */
    public TensorDataset train() {
        return train;
    }

    /** The test images. */
    public TensorDataset test() {
        return test;
    }

    /** Where the data came from. */
    public String source() {
        return source;
    }

    /** Test accuracy of {@code net}. */
    public double accuracy(StagedNet net, NDManager manager) {
        return Evaluation.of(net, test, null, manager).accuracy();
    }

    /** The description of {@code net}, derived from the model's by {@code command}. */
    ModelSpec derivedSpec(StagedNet net, Path parent, long seed, String command) {
        return new ModelSpec(ModelSpec.FORMAT_VERSION, spec.architecture(), net.options(),
                spec.inputShape(), spec.numClasses(), spec.classNames(), spec.normalization(),
                spec.stages(), Checkpoint.parameterShapes(net), new ModelSpec.Provenance(
                        GraftVersion.graft(), GraftVersion.djl(), GraftVersion.engine(),
                        Instant.now().toString(), seed, dataName, source, fingerprint,
                        parent.toString(), command));
    }

    /**
     * Fine-tunes {@code net} into the run folder {@code dir} and returns the outcome; its
     * {@code best()} is the network to go on with.
     */
    RunTraining.Outcome fineTune(Path dir, String what, StagedNet net, ModelSpec netSpec,
            TrainConfig config, RunTraining.Extras extras, Progress progress,
            Consumer<String> log, NDManager manager) {
        Map<String, Object> runJson = new LinkedHashMap<>();
        runJson.put("command", what);
        try (RunFolder run = RunFolder.open(dir, true)) {
            RunTraining.Outcome o = RunTraining.run(run, net, netSpec, data, config, null,
                    extras, runJson, progress, log, manager);
            runJson.put("status", "finished");
            run.writeRun(runJson);
            return o;
        }
    }

    @Override
    public void close() {
        train.close();
        validation.close();
        test.close();
    }
}
