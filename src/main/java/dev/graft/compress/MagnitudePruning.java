package dev.graft.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.graft.model.StagedNet;
import dev.graft.train.Mask;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Unstructured magnitude pruning: the weights of smallest absolute value are pruned, within each
 * layer (layer-wise) or across all layers together (global). Prunable are the weight matrices of
 * linear and convolution layers (2-D and 4-D {@code *.weight}); biases and BatchNorm are kept.
 * Given the mask of an earlier round, what it pruned stays pruned and the new round prunes among
 * the weights still kept, up to the target sparsity of all prunable weights.
 */
public final class MagnitudePruning {

    private MagnitudePruning() {}

    /** The prunable parameters of {@code net}, by name. */
    public static Map<String, Parameter> prunable(StagedNet net) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        net.namedParameters().forEach((name, p) -> {
            int d = p.getArray().getShape().dimension();
            if (name.endsWith(".weight") && (d == 2 || d == 4)) {
                out.put(name, p);
            }
        });
        return out;
    }

    /**
     * Each prunable layer pruned to its own sparsity.
     *
     * @param sparsity the share of a layer's weights pruned, by parameter name (e.g. the output
     *     layer at half the rate, as Frankle and Carbin do)
     * @param previous an earlier round's mask, or null
     */
    public static Mask layerwise(StagedNet net, ToDoubleFunction<String> sparsity, Mask previous,
            NDManager manager) {
        Map<String, NDArray> keep = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : prunable(net).entrySet()) {
            double s = check(sparsity.applyAsDouble(e.getKey()), e.getKey());
            float[] w = e.getValue().getArray().toFloatArray();
            float[] before = before(previous, e.getKey(), w.length);
            keep.put(e.getKey(), manager.create(prune(new float[][] {w}, new float[][] {before},
                    s)[0], e.getValue().getArray().getShape()));
        }
        return new Mask(keep);
    }

    /**
     * All prunable weights ranked together and the smallest pruned, so layers lose different
     * shares.
     */
    public static Mask global(StagedNet net, double sparsity, Mask previous, NDManager manager) {
        check(sparsity, "global");
        Map<String, Parameter> params = prunable(net);
        List<String> names = new ArrayList<>(params.keySet());
        float[][] w = new float[names.size()][];
        float[][] before = new float[names.size()][];
        for (int i = 0; i < w.length; i++) {
            w[i] = params.get(names.get(i)).getArray().toFloatArray();
            before[i] = before(previous, names.get(i), w[i].length);
        }
        float[][] kept = prune(w, before, sparsity);
        Map<String, NDArray> keep = new LinkedHashMap<>();
        for (int i = 0; i < w.length; i++) {
            keep.put(names.get(i), manager.create(kept[i],
                    params.get(names.get(i)).getArray().getShape()));
        }
        return new Mask(keep);
    }

    private static double check(double s, String what) {
        if (!(s >= 0 && s < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), got " + s + " for "
                    + what);
        }
        return s;
    }

    private static float[] before(Mask previous, String name, int n) {
        if (previous == null || !previous.tensors().containsKey(name)) {
            float[] ones = new float[n];
            Arrays.fill(ones, 1f);
            return ones;
        }
        return previous.tensors().get(name).toFloatArray();
    }

    /**
     * Keeps all but the {@code round(sparsity * total)} weights of smallest magnitude, the
     * already-pruned counting first; ties broken by position, so exactly that many are pruned.
     */
    static float[][] prune(float[][] w, float[][] before, double sparsity) {
        int[] offset = new int[w.length + 1];
        for (int t = 0; t < w.length; t++) {
            offset[t + 1] = offset[t] + w[t].length;
        }
        int total = offset[w.length];
        // one long per weight: its rank key (0 = already pruned, else 1 + the bits of |w|, which
        // order as the magnitudes do) above its flat index, so a sort ranks and breaks ties
        long[] order = new long[total];
        int prunedBefore = 0;
        for (int t = 0; t < w.length; t++) {
            for (int i = 0; i < w[t].length; i++) {
                boolean pruned = before[t][i] == 0;
                prunedBefore += pruned ? 1 : 0;
                long rank = pruned ? 0 : 1L + Float.floatToIntBits(Math.abs(w[t][i]));
                order[offset[t] + i] = rank << 32 | (offset[t] + i);
            }
        }
        Arrays.sort(order);
        float[][] keep = new float[w.length][];
        for (int t = 0; t < w.length; t++) {
            keep[t] = new float[w[t].length];
            Arrays.fill(keep[t], 1f);
        }
        int n = Math.max((int) Math.round(sparsity * total), prunedBefore);
        for (int j = 0; j < n; j++) {
            int flat = (int) order[j];
            int t = Arrays.binarySearch(offset, flat);
            t = t >= 0 ? t : -t - 2;
            while (offset[t + 1] <= flat) {
                t++; // past empty tensors that share an offset
            }
            keep[t][flat - offset[t]] = 0f;
        }
        return keep;
    }
}
