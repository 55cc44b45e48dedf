package dev.graft.transfer;

import ai.djl.ndarray.NDManager;
import dev.graft.data.ClassSelection;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.io.GraftException;
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
 * label budget is drawn from, and the target test set. Loaded and checked once, before any
 * training.
 *
 * @param pool every labelled target training image (budgets sample from it)
 * @param dataSource where the data came from (for the run's record)
 */
public record TargetTask(Path model, ModelSpec spec, ImageDataset pool, ImageDataset test,
        String dataName, String dataSource) {

    /**
     * @param data target dataset (null: the source model's)
     * @param classes target classes (null: all)
     * @param disjoint when true, target classes that the source model was trained on are an error
     */
    public static TargetTask load(Path model, String data, String classes, boolean disjoint,
            Consumer<String> log) {
        ModelSpec spec = Checkpoint.readSpec(model, "--model");
        String dataName = data != null ? data : spec.sourceDataset();
        DatasetResolver.Resolved r = new DatasetResolver().resolve(dataName, spec.inputShape(),
                log);
        log.accept("data: " + dataName + " from " + r.source());
        ImageDataset pool = r.train();
        ImageDataset test = r.test();
        if (classes != null) {
            int[] selected = ClassSelection.parse(classes, pool.classNames());
            pool = pool.withClasses(selected);
            test = test.withClasses(selected);
        }
        if (!Arrays.equals(pool.imageShape(), spec.inputShape())) {
            throw new GraftException("--model " + model + " takes inputs " + Arrays.toString(
                    spec.inputShape()) + " but " + dataName + " has images "
                    + Arrays.toString(pool.imageShape()));
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
        return new TargetTask(model, spec, pool, test, dataName, r.source());
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
     * {@code shots} labelled images per class drawn from the pool with {@code seed}; null for
     * the whole pool.
     */
    public ImageDataset budget(Integer shots, long seed) {
        return shots == null ? pool : pool.sampleShots(shots, seed);
    }

    /** Fails before any work when a budget asks for more images than a class has. */
    public void checkBudgets(List<Integer> shots) {
        int fewest = Arrays.stream(pool.classCounts()).min().orElse(0);
        for (Integer k : shots) {
            if (k != null && k > fewest) {
                throw new GraftException("--shots " + k + " is more than the target data has:"
                        + " its smallest class has " + fewest + " images; use at most "
                        + fewest + " (or 'all')");
            }
        }
    }

    /**
     * The test images of the task {@code spec} was trained on (its classes, by name), or null
     * when they cannot be found; {@code why} says what they were wanted for.
     */
    static ImageDataset sourceTestSet(ModelSpec spec, String why, Consumer<String> log) {
        if (spec.classNames() == null) {
            return null;
        }
        try {
            return new DatasetResolver().resolve(spec.sourceDataset(), s -> { }).test()
                    .withClassNames(spec.classNames());
        } catch (RuntimeException e) {
            log.accept("no " + why + ": the source task's data is not available ("
                    + e.getMessage() + ")");
            return null;
        }
    }
}
