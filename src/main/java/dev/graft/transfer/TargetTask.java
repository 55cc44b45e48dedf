package dev.graft.transfer;

import ai.djl.ndarray.NDManager;
import dev.graft.data.ClassSelection;
import dev.graft.data.DatasetResolver;
import dev.graft.data.Examples;
import dev.graft.data.ImageDataset;
import dev.graft.data.Labelled;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.data.TextData;
import dev.graft.data.TextDataset;
import dev.graft.data.TextTokenizer;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A pretrained source checkpoint and the target task it should serve: the labelled pool every
 * label budget is drawn from, and the target test set, as images or texts (as the checkpoint
 * reads). Loaded and checked once, before any training.
 *
 * @param pool every labelled target training example (budgets sample from it)
 * @param dataSource where the data came from (for the run's record)
 */
public record TargetTask(Path model, ModelSpec spec, Labelled pool, Labelled test,
        String dataName, String dataSource) {

    /**
     * @param data target dataset (null: the source model's)
     * @param classes target classes (null: all)
     * @param disjoint when true, target classes that the source model was trained on are an error
     */
    public static TargetTask load(Path model, String data, String classes, boolean disjoint,
            Consumer<String> log) {
        return load(model, data, classes, disjoint, TextData.Fields.DEFAULT, log);
    }

    /** As {@link #load(Path, String, String, boolean, Consumer)}, naming a text file's fields. */
    public static TargetTask load(Path model, String data, String classes, boolean disjoint,
            TextData.Fields fields, Consumer<String> log) {
        ModelSpec spec = Checkpoint.readSpec(model, "--model");
        String dataName = data != null ? data : spec.sourceDataset();
        if (dataName == null) {
            throw new GraftException("--model " + model + " names no dataset of its own; give"
                    + " the target with --data");
        }
        Labelled pool;
        Labelled test;
        String source;
        if (Architecture.byId(spec.architecture()).isText()) {
            TextData.Resolved r = TextData.resolve(dataName, fields, log);
            pool = r.train();
            test = r.test();
            source = r.source();
        } else {
            DatasetResolver.Resolved r = new DatasetResolver().resolve(dataName,
                    spec.inputShape(), log);
            if (!Arrays.equals(r.train().imageShape(), spec.inputShape())) {
                throw new GraftException("--model " + model + " takes inputs " + Arrays.toString(
                        spec.inputShape()) + " but " + dataName + " has images "
                        + Arrays.toString(r.train().imageShape()));
            }
            pool = r.train();
            test = r.test();
            source = r.source();
        }
        log.accept("data: " + dataName + " from " + source);
        if (classes != null) {
            int[] selected = ClassSelection.parse(classes, pool.classNames());
            pool = pool.withClasses(selected);
            test = test.withClasses(selected);
        }
        List<String> shared = new ArrayList<>(pool.classNames());
        shared.retainAll(spec.classNames() == null ? List.of() : spec.classNames());
        if (!shared.isEmpty()) {
            String msg = "target classes " + shared + " are also source classes of " + model;
            if (disjoint) {
                throw new GraftException(msg + "; choose target classes the model was not"
                        + " trained on (its classes are " + spec.classNames() + ")");
            }
            log.accept("note: " + msg);
        }
        return new TargetTask(model, spec, pool, test, dataName, source);
    }

    /** True when the checkpoint reads texts. */
    public boolean isText() {
        return Architecture.byId(spec.architecture()).isText();
    }

    /**
     * Examples of this task as the network reads them: images normalized with {@code norm}, or
     * texts through the checkpoint's tokenizer.
     */
    public Examples examples(Labelled d, Normalization norm, NDManager manager) {
        if (d instanceof TextDataset text) {
            try (TextTokenizer tok = tokenizer()) {
                return tok.tokenize(text);
            }
        }
        return TensorDataset.of(images(d, "this step"), norm, manager);
    }

    /** The checkpoint's tokenizer (text checkpoints only). */
    public TextTokenizer tokenizer() {
        return Checkpoint.tokenizer(model, spec);
    }

    /** {@code d} as images, or a clear refusal naming what needs them. */
    public static ImageDataset images(Labelled d, String what) {
        if (d instanceof ImageDataset images) {
            return images;
        }
        throw new GraftException(what + " works on images, and " + d.name() + " holds texts");
    }

    /** {@code d} as texts, or a clear refusal naming what needs them. */
    public static TextDataset texts(Labelled d, String what) {
        if (d instanceof TextDataset texts) {
            return texts;
        }
        throw new GraftException(what + " works on texts, and " + d.name() + " holds images");
    }

    /** The source model's stage names. */
    public List<String> stages() {
        return spec.stages() == null ? List.of() : spec.stages();
    }

    /** A fresh copy of the pretrained network, in {@code manager}. */
    public StagedNet loadSource(NDManager manager) {
        return Checkpoint.load(model, manager).net();
    }

    /**
     * {@code shots} labelled examples per class drawn from the pool with {@code seed}; null for
     * the whole pool.
     */
    public Labelled budget(Integer shots, long seed) {
        return shots == null ? pool : pool.sampleShots(shots, seed);
    }

    /** Fails before any work when a budget asks for more images than a class has. */
    public void checkBudgets(List<Integer> shots) {
        int fewest = Arrays.stream(pool.classCounts()).min().orElse(0);
        for (Integer k : shots) {
            if (k != null && k > fewest) {
                throw new GraftException("--shots " + k + " is more than the target data has:"
                        + " its smallest class has " + fewest + " examples; use at most "
                        + fewest + " (or 'all')");
            }
        }
    }

    /**
     * The test images of the task {@code spec} was trained on (its classes, by name), or null
     * when they cannot be found; {@code why} says what they were wanted for.
     */
    /**
     * The source task's training images, its classes as the checkpoint names them, for
     * strategies that train on them again (joint); a clear error when they cannot be had.
     */
    static ImageDataset sourceTrainSet(ModelSpec spec) {
        if (spec.classNames() == null || spec.sourceDataset() == null) {
            throw new GraftException("joint trains the source task again, and the checkpoint"
                    + " names no source dataset and classes (import-ed weights do not)");
        }
        try {
            return new DatasetResolver().resolve(spec.sourceDataset(), spec.inputShape(),
                    s -> { }).train().withClassNames(spec.classNames());
        } catch (RuntimeException e) {
            throw new GraftException("joint needs the source task's images ("
                    + spec.sourceDataset() + "): " + e.getMessage(), e);
        }
    }

    static Labelled sourceTestSet(ModelSpec spec, String why, Consumer<String> log) {
        if (spec.classNames() == null) {
            return null;
        }
        try {
            if (Architecture.byId(spec.architecture()).isText()) {
                return TextData.resolve(spec.sourceDataset(), TextData.Fields.DEFAULT, s -> { })
                        .test().withClassNames(spec.classNames());
            }
            return new DatasetResolver().resolve(spec.sourceDataset(), s -> { }).test()
                    .withClassNames(spec.classNames());
        } catch (RuntimeException e) {
            log.accept("no " + why + ": the source task's data is not available ("
                    + e.getMessage() + ")");
            return null;
        }
    }
}
