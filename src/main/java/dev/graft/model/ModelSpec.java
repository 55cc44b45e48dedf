package dev.graft.model;

import dev.graft.data.Normalization;
import java.util.List;
import java.util.Map;

/**
 * What {@code model.json} says about a checkpoint: enough to rebuild the network, feed it inputs
 * the way it was trained, and know where it came from.
 *
 * @param formatVersion version of this file's layout ({@link #FORMAT_VERSION})
 * @param architecture registry id, e.g. {@code convnet}
 * @param inputShape {@code [channels, height, width]}
 * @param stages stage names, bottom to top
 * @param parameters PyTorch-style name to shape, for every tensor in {@code weights.safetensors}
 * @param tasks a multi-task checkpoint's tasks, the first answered by the network's own head,
 *     every other by a head stored as {@code tasks.<name>.<head parameter>}; null for one task
 */
public record ModelSpec(
        int formatVersion,
        String architecture,
        ModelOptions options,
        int[] inputShape,
        int numClasses,
        List<String> classNames,
        Normalization normalization,
        List<String> stages,
        Map<String, long[]> parameters,
        Provenance provenance,
        List<Task> tasks) {

    public static final int FORMAT_VERSION = 1;

    @com.fasterxml.jackson.annotation.JsonCreator
    public ModelSpec {}

    /** A single-task checkpoint's description. */
    public ModelSpec(int formatVersion, String architecture, ModelOptions options,
            int[] inputShape, int numClasses, List<String> classNames,
            Normalization normalization, List<String> stages, Map<String, long[]> parameters,
            Provenance provenance) {
        this(formatVersion, architecture, options, inputShape, numClasses, classNames,
                normalization, stages, parameters, provenance, null);
    }

    /**
     * One task of a multi-task checkpoint.
     *
     * @param dataset the dataset name that gives this task's labels ({@code DATA:TASK})
     * @param stage the stage of the shared trunk the task's head sits on: the task's own layers
     *     are the stages above it and a head; null (as in checkpoints written before heads
     *     could sit lower) for the top stage
     */
    public record Task(String name, List<String> classNames, String dataset, String stage) {}

    /**
     * The prefix of the tensors a multi-task checkpoint holds of task {@code name}'s own layers
     * (the stages above the one its head sits on, and the head), under their usual names.
     */
    public static String taskPrefix(String name) {
        return "tasks." + name + ".";
    }

    /**
     * The dataset the checkpoint was trained on, or fashion-mnist when it does not say; an
     * error for imported weights, whose training data graft does not know.
     */
    public String sourceDataset() {
        if (provenance != null && provenance.dataset() == null
                && "import".equals(provenance.command())) {
            throw new dev.graft.io.GraftException("this checkpoint was imported from "
                    + provenance.dataSource() + ": graft does not have the data it was trained"
                    + " on; pass --data");
        }
        return provenance != null && provenance.dataset() != null ? provenance.dataset()
                : "fashion-mnist";
    }

    /**
     * Where a checkpoint came from.
     *
     * @param dataFingerprint {@link dev.graft.data.ImageDataset#fingerprint()} of the training split
     * @param parent the checkpoint this one was derived from, or null
     * @param command what produced it, e.g. {@code pretrain}
     */
    public record Provenance(String graftVersion, String djlVersion, String engine,
            String created, long seed, String dataset, String dataSource,
            String dataFingerprint, String parent, String command) {}
}
