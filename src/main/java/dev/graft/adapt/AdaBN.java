package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.data.UnlabeledDataset;
import dev.graft.model.StagedNet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdaBN (Li et al. 2016): every BatchNorm's running mean and variance replaced by the target's,
 * the weights untouched. The statistics are the average over the target of each batch's
 * statistics, weighted by batch size (PyTorch's {@code momentum=None} cumulative average).
 */
public final class AdaBN {

    /** DJL's (MXNet's) BatchNorm momentum graft builds with: running = 0.9 old + 0.1 batch. */
    static final float MOMENTUM = 0.9f;

    private AdaBN() {}

    /**
     * Re-estimates the statistics of {@code net} on {@code target} in batches of {@code batch}.
     *
     * @return the number of BatchNorm buffers re-estimated (0: the network has no BatchNorm)
     */
    public static int apply(StagedNet net, UnlabeledDataset target, int batch, NDManager manager) {
        Map<String, Parameter> stats = new LinkedHashMap<>();
        net.namedParameters().forEach((name, p) -> {
            if (name.endsWith("running_mean") || name.endsWith("running_var")) {
                stats.put(name, p);
            }
        });
        if (stats.isEmpty()) {
            return 0;
        }
        Map<String, NDArray> average = new LinkedHashMap<>();
        int seen = 0;
        for (int from = 0; from < target.size(); from += batch) {
            int to = Math.min(target.size(), from + batch);
            try (NDManager step = manager.newSubManager()) {
                Map<String, NDArray> before = new LinkedHashMap<>();
                stats.forEach((n, p) -> before.put(n, p.getArray().duplicate()));
                before.values().forEach(a -> a.attach(step));
                net.forward(new ParameterStore(step, false), target.range(from, to, step), true,
                        new LinkedHashMap<>());
                int n = to - from;
                for (Map.Entry<String, Parameter> e : stats.entrySet()) {
                    NDArray running = e.getValue().getArray();
                    // running = m old + (1 - m) batch, so batch = (running - m old) / (1 - m)
                    NDArray batchStat = running.sub(before.get(e.getKey()).mul(MOMENTUM))
                            .div(1 - MOMENTUM);
                    NDArray avg = average.get(e.getKey());
                    NDArray next = avg == null ? batchStat
                            : avg.add(batchStat.sub(avg).mul((float) n / (seen + n)));
                    next.attach(manager);
                    if (avg != null) {
                        avg.close();
                    }
                    average.put(e.getKey(), next);
                    running.set(next.toFloatArray());
                }
                seen += n;
            }
        }
        average.values().forEach(NDArray::close);
        return stats.size();
    }
}
