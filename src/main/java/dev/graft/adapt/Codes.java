package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.UnlabeledDataset;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;

/**
 * Codes without labels: a target domain's examples as the head sees them (the top stage,
 * average-pooled), one row each.
 *
 * @param values {@code [count, dim]} row-major
 */
record Codes(float[] values, int count, int dim) {

    Codes {
        if ((long) count * dim != values.length) {
            throw new IllegalArgumentException(count + " codes of dimension " + dim + " need "
                    + (long) count * dim + " values, got " + values.length);
        }
    }

    /** The head's inputs for every example of {@code data}, in inference mode. */
    static Codes of(StagedNet net, UnlabeledDataset data, NDManager manager) {
        String top = net.stageNames().get(net.stageNames().size() - 1);
        int batch = net.inferenceBatchSize();
        ParameterStore ps = new ParameterStore(manager, false);
        float[] values = null;
        int dim = 0;
        for (int from = 0; from < data.size(); from += batch) {
            int to = Math.min(data.size(), from + batch);
            try (NDManager step = manager.newSubManager()) {
                NDArray f = net.features(ps, data.range(from, to, step), top, Pooling.AVERAGE);
                if (values == null) {
                    dim = (int) f.getShape().get(1);
                    values = new float[Math.multiplyExact(data.size(), dim)];
                }
                float[] rows = f.toFloatArray();
                System.arraycopy(rows, 0, values, from * dim, rows.length);
            }
        }
        return new Codes(values == null ? new float[0] : values, data.size(), dim);
    }

    /** Row {@code i} as doubles. */
    double[] row(int i) {
        double[] r = new double[dim];
        for (int j = 0; j < dim; j++) {
            r[j] = values[i * dim + j];
        }
        return r;
    }
}
