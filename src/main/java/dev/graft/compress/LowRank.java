package dev.graft.compress;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.graft.model.StagedNet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Low-rank factorization by truncated SVD. A layer's weight, as a matrix {@code W [out, in]}
 * (a convolution's {@code [out, in, k, k]} as {@code [out, in*k*k]}), becomes
 * {@code W ~ U_r S_r V_r^T = B A} with {@code A = sqrt(S_r) V_r^T [r, in]} and
 * {@code B = U_r sqrt(S_r) [out, r]}: a linear layer turns into a linear layer to r units
 * without bias followed by one to {@code out} units with the old bias; a k x k convolution into
 * a k x k convolution to r channels followed by a 1 x 1 convolution. The pair has
 * {@code r (in + out)} weights instead of {@code in * out}; by Eckart-Young no rank-r matrix is
 * closer to W in Frobenius norm.
 */
public final class LowRank {

    private LowRank() {}

    /** A layer's weight as the matrix that is factorized. */
    record Layer(String path, int rows, int cols, long[] shape) {
        /** Weights of the factorized pair at rank {@code r}. */
        long factorizedWeights(int r) {
            return (long) r * (rows + cols);
        }
    }

    /** The factorizable layers of {@code net} with their weights' shapes. */
    static Map<String, Layer> layers(StagedNet net) {
        Map<String, Layer> out = new LinkedHashMap<>();
        Map<String, Parameter> params = net.namedParameters();
        for (String path : net.architecture().factorizableLayers()) {
            Parameter w = params.get(path + ".weight");
            if (w == null) {
                continue; // already factorized
            }
            long[] shape = w.getArray().getShape().getShape().clone();
            out.put(path, new Layer(path, (int) shape[0], (int) (w.getArray().size() / shape[0]),
                    shape));
        }
        return out;
    }

    /** Singular values, descending, and the factors of a row-major {@code rows x cols} matrix. */
    record Svd(double[] singular, DMatrixRMaj u, DMatrixRMaj v) {}

    static Svd svd(float[] w, int rows, int cols) {
        DMatrixRMaj a = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < w.length; i++) {
            a.data[i] = w[i];
        }
        SingularValueDecomposition_F64<DMatrixRMaj> d =
                DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!d.decompose(a)) {
            throw new IllegalStateException("SVD did not converge on a " + rows + " x " + cols
                    + " weight");
        }
        DMatrixRMaj u = d.getU(null, false);
        DMatrixRMaj v = d.getV(null, false);
        DMatrixRMaj s = d.getW(null);
        SingularOps_DDRM.descendingOrder(u, false, s, v, false);
        int k = Math.min(rows, cols);
        double[] singular = new double[k];
        for (int i = 0; i < k; i++) {
            singular[i] = s.get(i, i);
        }
        return new Svd(singular, u, v);
    }

    /** The smallest rank whose singular values keep {@code energy} of the sum of squares. */
    static int rankForEnergy(double[] singular, double energy) {
        double total = 0;
        for (double s : singular) {
            total += s * s;
        }
        double kept = 0;
        for (int r = 1; r <= singular.length; r++) {
            kept += singular[r - 1] * singular[r - 1];
            if (kept >= energy * total - 1e-12 * total) {
                return r;
            }
        }
        return singular.length;
    }

    /**
     * The largest rank (at least 1) whose pair has at most {@code share} of the layer's
     * weights.
     */
    static int rankForWeights(Layer layer, double share) {
        long budget = (long) Math.floor(share * layer.rows() * (double) layer.cols());
        return (int) Math.max(1, budget / (layer.rows() + layer.cols()));
    }

    /** Share of the squared singular values the first {@code r} keep. */
    static double energy(double[] singular, int r) {
        double total = 0;
        double kept = 0;
        for (int i = 0; i < singular.length; i++) {
            total += singular[i] * singular[i];
            kept += i < r ? singular[i] * singular[i] : 0;
        }
        return total == 0 ? 1 : kept / total;
    }

    /**
     * A new network in which each layer of {@code ranks} is replaced by its rank-r pair; every
     * other tensor is copied.
     *
     * @param ranks layer path to rank, each rank in [1, min(rows, cols)]
     */
    static StagedNet factorize(StagedNet net, Map<String, Integer> ranks, NDManager manager) {
        Map<String, Layer> layers = layers(net);
        for (Map.Entry<String, Integer> e : ranks.entrySet()) {
            Layer l = layers.get(e.getKey());
            if (l == null) {
                throw new IllegalArgumentException("--layers " + e.getKey() + " is not a"
                        + " factorizable layer of this " + net.architecture().id() + "; it has "
                        + layers.keySet());
            }
            int max = Math.min(l.rows(), l.cols());
            if (e.getValue() < 1 || e.getValue() > max) {
                throw new IllegalArgumentException("rank " + e.getValue() + " for "
                        + e.getKey() + ": a " + l.rows() + " x " + l.cols() + " weight allows"
                        + " ranks 1 to " + max);
            }
        }
        StagedNet out = net.architecture().build(net.inputShape(), net.numClasses(),
                net.options().withRanks(ranks)).initialize(manager, 0);
        Map<String, Parameter> from = net.namedParameters();
        Map<String, Parameter> to = out.namedParameters();
        for (Map.Entry<String, Parameter> e : to.entrySet()) {
            if (from.containsKey(e.getKey())) {
                e.getValue().getArray().set(from.get(e.getKey()).getArray().toByteBuffer());
            }
        }
        for (Map.Entry<String, Integer> e : ranks.entrySet()) {
            Layer l = layers.get(e.getKey());
            int r = e.getValue();
            Svd svd = svd(from.get(l.path() + ".weight").getArray().toFloatArray(), l.rows(),
                    l.cols());
            float[] a = new float[r * l.cols()];
            float[] b = new float[l.rows() * r];
            for (int k = 0; k < r; k++) {
                double root = Math.sqrt(svd.singular()[k]);
                for (int j = 0; j < l.cols(); j++) {
                    a[k * l.cols() + j] = (float) (root * svd.v().get(j, k));
                }
                for (int i = 0; i < l.rows(); i++) {
                    b[i * r + k] = (float) (root * svd.u().get(i, k));
                }
            }
            to.get(l.path() + ".0.weight").getArray().set(a);
            to.get(l.path() + ".1.weight").getArray().set(b);
            Parameter bias = from.get(l.path() + ".bias");
            if (bias != null) {
                to.get(l.path() + ".1.bias").getArray().set(bias.getArray().toByteBuffer());
            }
        }
        return out;
    }

    /** The layers of {@code names}, or every factorizable layer that is linear when empty. */
    static List<String> chosen(StagedNet net, List<String> names) {
        if (!names.isEmpty()) {
            return names;
        }
        return layers(net).values().stream().filter(l -> l.shape().length == 2)
                .map(Layer::path).toList();
    }
}
