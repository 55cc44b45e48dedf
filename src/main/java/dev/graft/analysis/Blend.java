package dev.graft.analysis;

import dev.graft.data.Batch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.data.TensorDataset;
import dev.graft.model.StagedNet;
import dev.graft.model.Weights;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Points on the straight line between two sets of weights of one architecture, written into a
 * working network: {@code (1 - t) a + t b}, for all parameters or some.
 */
final class Blend {

    private Blend() {}

    /**
     * Refuses two networks that are not the same architecture with the same shapes, naming
     * what differs.
     */
    static void requireSameShape(StagedNet a, StagedNet b, String what) {
        Map<String, Parameter> pa = a.namedParameters();
        Map<String, Parameter> pb = b.namedParameters();
        if (!a.architecture().equals(b.architecture())) {
            throw new IllegalArgumentException(what + " needs two models of one architecture,"
                    + " got " + a.architecture().id() + " and " + b.architecture().id());
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : pa.entrySet()) {
            Parameter o = pb.get(e.getKey());
            if (o == null) {
                problems.add(e.getKey() + " is missing from the second");
            } else if (!o.getArray().getShape().equals(e.getValue().getArray().getShape())) {
                problems.add(e.getKey() + " is " + e.getValue().getArray().getShape() + " vs "
                        + o.getArray().getShape());
            }
        }
        if (!problems.isEmpty() || pa.size() != pb.size()) {
            throw new IllegalArgumentException(what + " needs two models of the same shapes"
                    + " (same architecture, width and classes): " + (problems.isEmpty()
                            ? pa.size() + " vs " + pb.size() + " tensors" : String.join("; ",
                                    problems)));
        }
    }

    /** Writes {@code (1 - t) a + t b} into {@code net} for the tensors named. */
    static void into(StagedNet net, Weights a, Weights b, double t, Collection<String> names,
            NDManager manager) {
        Map<String, Parameter> params = net.namedParameters();
        try (NDManager tmp = manager.newSubManager()) {
            for (String name : names) {
                NDArray va = a.tensors().get(name);
                NDArray vb = b.tensors().get(name);
                NDArray v = t == 0 ? va : t == 1 ? vb
                        : va.mul((float) (1 - t)).add(vb.mul((float) t));
                v = v.toType(params.get(name).getArray().getDataType(), false);
                params.get(name).getArray().set(v.toByteBuffer());
                if (v != va && v != vb) {
                    v.attach(tmp);
                }
            }
        }
    }

    /** Whether {@code name} is a BatchNorm running statistic (not trained, re-estimated). */
    static boolean isRunningStatistic(String name) {
        return name.endsWith("running_mean") || name.endsWith("running_var");
    }

    /**
     * Re-estimates the BatchNorm running statistics of {@code net} for its current weights:
     * resets them (mean 0, variance 1) and runs {@code batches} training-mode forward passes
     * over {@code data} in order, without gradients. With momentum 0.1 the reset values keep
     * a weight of 0.9^batches (0.5% after 50). A network without BatchNorm is left alone.
     */
    static void reestimateBatchNorm(StagedNet net, TensorDataset data, int batches,
            int batchSize, NDManager manager) {
        boolean any = false;
        try (NDManager tmp = manager.newSubManager()) {
            for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
                if (isRunningStatistic(e.getKey())) {
                    any = true;
                    NDArray a = e.getValue().getArray();
                    a.set(tmp.full(a.getShape(), e.getKey().endsWith("running_var") ? 1f : 0f,
                            a.getDataType()).toByteBuffer());
                }
            }
        }
        if (!any) {
            return;
        }
        int n = data.size();
        for (int i = 0; i < batches; i++) {
            int from = (int) ((long) i * batchSize % Math.max(1, n - batchSize + 1));
            try (NDManager step = manager.newSubManager()) {
                Batch b = data.range(from, Math.min(n, from + batchSize), step);
                net.forward(new ParameterStore(step, false), b.x(), true, new java.util
                        .LinkedHashMap<>());
            }
        }
    }
}
