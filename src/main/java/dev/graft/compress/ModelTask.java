package dev.graft.compress;

import ai.djl.ndarray.NDManager;
import dev.graft.data.DatasetResolver;
import dev.graft.data.Examples;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.data.TextData;
import dev.graft.data.TextDataset;
import dev.graft.data.TextTokenizer;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
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
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The task a checkpoint was trained on, which a compression step is tuned and judged on: its
 * dataset (or another with its classes), its classes selected by name, a validation hold-out
 * and the test set, as the network reads them (images normalized the model's way, or texts
 * through its tokenizer).
 */
public final class ModelTask implements AutoCloseable {

    final ModelSpec spec;
    final String dataName;
    final String source;
    final String fingerprint;
    final Examples train;
    final Examples validation;
    final Examples test;
    private final RunTraining.Data data;

    private ModelTask(ModelSpec spec, String dataName, String source, String fingerprint,
            Examples train, Examples validation, Examples test, List<String> classNames) {
        this.spec = spec;
        this.dataName = dataName;
        this.source = source;
        this.fingerprint = fingerprint;
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.data = new RunTraining.Data(train, validation, test, classNames);
    }

    /**
     * @param data dataset name or folder (null: the one the model was trained on)
     * @param seed draws the validation hold-out
     */
    public static ModelTask load(Path model, ModelSpec spec, String data, double valFraction,
            long seed,
            Consumer<String> log, NDManager manager) {
        String dataName = data != null ? data : spec.sourceDataset();
        if (dataName == null) {
            throw new GraftException("--model " + model + " names no dataset of its own; give"
                    + " its task with --data");
        }
        if (Architecture.byId(spec.architecture()).isText()) {
            return text(model, spec, dataName, valFraction, seed, log);
        }
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
                throw wrongClasses(model, spec, dataName, e);
            }
        }
        if (!Arrays.equals(train.imageShape(), spec.inputShape())) {
            throw new GraftException("--model " + model + " takes inputs " + Arrays.toString(
                    spec.inputShape()) + " but " + dataName + " has images "
                    + Arrays.toString(train.imageShape()));
        }
        ImageDataset.Split split = train.holdOut(valFraction, seed);
        return new ModelTask(spec, dataName, r.source(), split.train().fingerprint(),
                TensorDataset.of(split.train(), spec.normalization(), manager),
                TensorDataset.of(split.validation(), spec.normalization(), manager),
                TensorDataset.of(test, spec.normalization(), manager), test.classNames());
    }

    private static ModelTask text(Path model, ModelSpec spec, String dataName,
            double valFraction, long seed, Consumer<String> log) {
        TextData.Prepared d = TextData.prepare(dataName, TextData.Fields.DEFAULT, null, null,
                valFraction, seed, seed, log);
        TextDataset train = d.train();
        TextDataset validation = d.validation();
        TextDataset test = d.test();
        if (spec.classNames() != null && !spec.classNames().equals(train.classNames())) {
            try {
                train = train.withClassNames(spec.classNames());
                validation = validation.withClassNames(spec.classNames());
                test = test.withClassNames(spec.classNames());
            } catch (IllegalArgumentException e) {
                throw wrongClasses(model, spec, dataName, e);
            }
        }
        try (TextTokenizer tok = Checkpoint.tokenizer(model, spec)) {
            return new ModelTask(spec, dataName, d.source(), train.fingerprint(),
                    tok.tokenize(train), tok.tokenize(validation), tok.tokenize(test),
                    test.classNames());
        }
    }

    private static GraftException wrongClasses(Path model, ModelSpec spec, String dataName,
            IllegalArgumentException e) {
        return new GraftException("--model " + model + " was trained on classes "
                + spec.classNames() + ", which " + dataName + " lacks: " + e.getMessage()
                + "; pass --data with the model's dataset");
    }

    /** True when the model reads texts. */
    public boolean isText() {
        return Architecture.byId(spec.architecture()).isText();
    }

    /** The training examples (less the validation hold-out). */
    public Examples train() {
        return train;
    }

    /** The test examples. */
    public Examples test() {
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
