package dev.graft.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.data.Examples;
import dev.graft.model.StagedNet;
import dev.graft.train.Progress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the teacher says about a batch: its logits and any targets derived from its stage
 * outputs (hint maps, relation embeddings), computed in inference mode. For a fixed training
 * set (no augmentation) they are computed once for every example and looked up by index
 * afterwards, when they fit in the memory budget.
 *
 * <p>The teacher may be an ensemble, as in Hinton et al.'s experiments: its logits are the mean
 * of its members' logits (so its softened output at any temperature is the normalized geometric
 * mean of theirs), and the stage outputs the other terms read are the first member's.
 */
final class TeacherOutputs {

    /** The key of the logits among the targets. */
    static final String LOGITS = "logits";

    private final List<StagedNet> members;
    private final List<String> stages;
    private final Targets targets;
    private Map<String, float[]> cache;
    private Map<String, Shape> rowShapes;

    /**
     * @param members the teacher, or the members of an ensemble teacher (same classes and
     *     inputs)
     * @param stages the first member's stages whose raw outputs {@code targets} reads
     * @param targets from the logits and those stage outputs to the named targets (which must
     *     include {@link #LOGITS}); run on every batch or once per example when cached
     */
    TeacherOutputs(List<StagedNet> members, List<String> stages, Targets targets) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a teacher needs at least one network");
        }
        this.members = List.copyOf(members);
        this.stages = List.copyOf(stages);
        this.targets = targets;
        for (StagedNet m : members) {
            m.namedParameters().values().forEach(p -> {
                if (p.requiresGradient()) {
                    p.getArray().setRequiresGradient(false); // a constant: no graph, no gradients
                }
            });
        }
    }

    /** From the teacher's logits and stage outputs for a batch to the targets the terms read. */
    @FunctionalInterface
    interface Targets {
        /**
         * @param stageOutputs the first member's outputs of the stages asked for
         * @param inputs the batch's inputs (a text batch's mask pools its tokens)
         */
        Map<String, NDArray> of(NDArray logits, Map<String, NDArray> stageOutputs,
                NDList inputs);
    }

    /** The teacher's logits for inputs {@code x}; the first member's stages into {@code capture}. */
    NDArray logits(NDList x, Map<String, NDArray> capture) {
        ParameterStore ps = new ParameterStore(x.head().getManager(), false);
        NDArray sum = members.get(0).forward(ps, x, false, capture);
        for (StagedNet m : members.subList(1, members.size())) {
            sum = sum.add(m.forward(ps, x, false, new LinkedHashMap<>()));
        }
        return members.size() == 1 ? sum : sum.div(members.size());
    }

    /** The targets for inputs {@code x}, computed now. */
    Map<String, NDArray> compute(NDList x) {
        Map<String, NDArray> outputs = new LinkedHashMap<>();
        stages.forEach(s -> outputs.put(s, null));
        NDArray logits = logits(x, outputs);
        return targets.of(logits, outputs, x);
    }

    /** The teacher's test accuracy on {@code data} (an ensemble's from its mean logits). */
    double accuracy(Examples data, NDManager manager) {
        int batchSize = members.get(0).inferenceBatchSize();
        long correct = 0;
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            try (NDManager m = manager.newSubManager()) {
                long[] pred = logits(data.range(from, to, m).inputs(), new LinkedHashMap<>())
                        .argMax(1).toLongArray();
                for (int i = 0; i < pred.length; i++) {
                    correct += pred[i] == data.label(from + i) ? 1 : 0;
                }
            }
        }
        return (double) correct / data.size();
    }

    /** Floats per example of each target, measured on one example. */
    Map<String, Long> floatsPerExample(Examples data, NDManager manager) {
        Map<String, Long> out = new LinkedHashMap<>();
        try (NDManager m = manager.newSubManager()) {
            compute(data.range(0, 1, m).inputs()).forEach((k, v) -> out.put(k, v.size()));
        }
        return out;
    }

    /** Computes the targets of every example of {@code data}; keeps those named in {@code keep}. */
    void cache(Examples data, java.util.Set<String> keep, Progress progress,
            NDManager manager) {
        int batchSize = members.get(0).inferenceBatchSize();
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        int n = data.size();
        progress.start("teacher outputs", (n + batchSize - 1) / batchSize);
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            try (NDManager m = manager.newSubManager()) {
                for (Map.Entry<String, NDArray> e : compute(data.range(from, to, m).inputs())
                        .entrySet()) {
                    if (!keep.contains(e.getKey())) {
                        continue;
                    }
                    Shape row = e.getValue().getShape().slice(1);
                    shapes.putIfAbsent(e.getKey(), row);
                    int per = Math.toIntExact(row.size());
                    float[] v = values.computeIfAbsent(e.getKey(), k -> new float[Math
                            .multiplyExact(n, per)]);
                    System.arraycopy(e.getValue().toFloatArray(), 0, v, from * per,
                            (to - from) * per);
                }
            }
            progress.step(() -> "");
        }
        progress.finish(String.format("%,d examples", n));
        this.cache = values;
        this.rowShapes = shapes;
    }

    /** Whether every target in {@code keys} is cached. */
    boolean cached(java.util.Collection<String> keys) {
        return cache != null && cache.keySet().containsAll(keys);
    }

    /** The cached targets {@code keys} of examples {@code indices}. */
    Map<String, NDArray> lookup(int[] indices, java.util.Collection<String> keys,
            NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String key : keys) {
            Shape row = rowShapes.get(key);
            float[] all = cache.get(key);
            int per = Math.toIntExact(row.size());
            float[] batch = new float[indices.length * per];
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(all, indices[i] * per, batch, i * per, per);
            }
            long[] dims = new long[row.dimension() + 1];
            dims[0] = indices.length;
            System.arraycopy(row.getShape(), 0, dims, 1, row.dimension());
            out.put(key, manager.create(batch, new Shape(dims)));
        }
        return out;
    }
}
