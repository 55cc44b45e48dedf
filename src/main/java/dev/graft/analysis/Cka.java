package dev.graft.analysis;

import dev.graft.data.Batch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.graft.data.TensorDataset;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import java.util.ArrayList;
import java.util.List;

/**
 * Linear centered kernel alignment (Kornblith et al. 2019) between two representations of the
 * same examples: 1 for representations equal up to an orthogonal transform and isotropic
 * scaling, near 0 for unrelated ones. Computed in float64, from the features
 * ({@code ||Y'X||^2 / (||X'X|| ||Y'Y||)}) or, when features outnumber examples, from the Gram
 * matrices (the same value).
 */
public final class Cka {

    private Cka() {}

    /**
     * @param x {@code [n, dx]}
     * @param y {@code [n, dy]}, the same examples in the same order
     */
    public static double linear(NDArray x, NDArray y) {
        long n = x.getShape().get(0);
        if (x.getShape().dimension() != 2 || y.getShape().dimension() != 2
                || y.getShape().get(0) != n) {
            throw new IllegalArgumentException("CKA needs two [examples, features] matrices of"
                    + " the same examples, got " + x.getShape() + " and " + y.getShape());
        }
        if (n < 2) {
            throw new IllegalArgumentException("CKA needs at least 2 examples, got " + n);
        }
        try (NDManager m = x.getManager().newSubManager()) {
            NDArray a = center(x, m);
            NDArray b = center(y, m);
            double cross;
            double aa;
            double bb;
            if (Math.max(a.getShape().get(1), b.getShape().get(1)) <= n) {
                cross = frobeniusSquared(b.transpose().matMul(a));
                aa = Math.sqrt(frobeniusSquared(a.transpose().matMul(a)));
                bb = Math.sqrt(frobeniusSquared(b.transpose().matMul(b)));
            } else {
                NDArray k = a.matMul(a.transpose());
                NDArray l = b.matMul(b.transpose());
                cross = k.mul(l).sum().getDouble();
                aa = Math.sqrt(frobeniusSquared(k));
                bb = Math.sqrt(frobeniusSquared(l));
            }
            if (aa == 0 || bb == 0) {
                throw new IllegalArgumentException("CKA of a constant representation is"
                        + " undefined (every example has the same features)");
            }
            return cross / (aa * bb);
        }
    }

    private static NDArray center(NDArray x, NDManager m) {
        NDArray d = x.toType(DataType.FLOAT64, true);
        d.attach(m);
        return d.sub(d.mean(new int[] {0}, true));
    }

    private static double frobeniusSquared(NDArray a) {
        return a.square().sum().getDouble();
    }

    /**
     * The flattened output of every stage, then the logits, for the first {@code n} examples
     * of {@code data} (inference mode): one {@code [n, d]} matrix each, in {@code manager}.
     */
    public static List<NDArray> representations(StagedNet net, TensorDataset data, int n,
            NDManager manager) {
        int count = Math.min(n, data.size());
        int batch = net.inferenceBatchSize();
        List<List<NDArray>> parts = new ArrayList<>();
        for (int from = 0; from < count; from += batch) {
            int to = Math.min(count, from + batch);
            Batch b = data.range(from, to, manager);
            List<NDArray> all = net.forwardAll(new ParameterStore(manager, false), b.x(),
                    Pooling.FLATTEN);
            for (int s = 0; s < all.size(); s++) {
                if (parts.size() <= s) {
                    parts.add(new ArrayList<>());
                }
                parts.get(s).add(all.get(s));
            }
        }
        List<NDArray> out = new ArrayList<>();
        for (List<NDArray> p : parts) {
            out.add(p.size() == 1 ? p.get(0) : NDArrays.concat(new NDList(p), 0));
        }
        return out;
    }

    /** {@code cka[i][j]} between representation {@code i} of one model and {@code j} of the other. */
    public static double[][] matrix(List<NDArray> a, List<NDArray> b) {
        double[][] out = new double[a.size()][b.size()];
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < b.size(); j++) {
                out[i][j] = linear(a.get(i), b.get(j));
            }
        }
        return out;
    }
}
