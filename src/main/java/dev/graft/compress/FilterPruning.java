package dev.graft.compress;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.ChannelGroup;
import dev.graft.model.Layer;
import dev.graft.model.StagedNet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Structured pruning that removes whole filters (convolution output channels) and hidden units,
 * ranked by the L1 norm of their weights (Li et al. 2017, "Pruning Filters for Efficient
 * ConvNets"), and rebuilds a smaller dense network: the BatchNorm after a pruned layer and the
 * next layer's input shrink with it, so the result has fewer parameters and multiply-adds, not a
 * mask. The layers and the tensors their channels index come from
 * {@link Architecture#channelGroups}; architectures without any (resnet18, whose channels are
 * tied across residual sums) are refused.
 */
public final class FilterPruning {

    private FilterPruning() {}

    /** The layers whose channels can be removed, or an error naming why there are none. */
    static List<ChannelGroup> groups(StagedNet net) {
        if (net.options().ranks() != null) {
            throw new GraftException("structured pruning cannot shrink a factorized network"
                    + " (its layers " + net.options().ranks().keySet() + " are low-rank pairs);"
                    + " remove filters first, then factorize the smaller model");
        }
        if (net.architecture().isText()) {
            throw new GraftException("structured pruning removes convolution filters, and "
                    + net.architecture().id() + " is a text encoder (its widths are tied"
                    + " across every layer's residual sums and attention heads); use"
                    + " unstructured pruning (--sparsity) or graft lowrank");
        }
        List<ChannelGroup> groups = net.architecture().channelGroups(net.inputShape());
        if (groups.isEmpty()) {
            boolean residual = net.layers().stream().anyMatch(l -> l instanceof Layer.Residual);
            throw new GraftException("structured pruning cannot shrink a "
                    + net.architecture().id() + (residual
                            ? ": its channels are tied across residual sums (a block's outputs"
                            + " are added to its input), which graft does not prune together"
                            + " yet; use unstructured pruning (--sparsity)"
                            : ": it has no layer graft knows how to narrow"));
        }
        return groups;
    }

    /**
     * The channels of each layer that survive when it keeps {@code widths} of them: the ones of
     * largest L1 norm, in their original order.
     */
    static List<int[]> strongest(StagedNet net, List<Integer> widths) {
        List<ChannelGroup> groups = groups(net);
        Map<String, Parameter> params = net.namedParameters();
        List<int[]> kept = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            float[] w = params.get(groups.get(g).weight()).getArray().toFloatArray();
            int channels = (int) params.get(groups.get(g).weight()).getArray().getShape().get(0);
            int keep = widths.get(g);
            if (keep < 1 || keep > channels) {
                throw new IllegalArgumentException(groups.get(g).layer() + " has " + channels
                        + " channels; it can keep 1 to " + channels + ", not " + keep);
            }
            kept.add(strongest(l1Rows(w, channels), keep));
        }
        return kept;
    }

    /** The L1 norm of each of the {@code rows} rows of a row-major tensor. */
    static double[] l1Rows(float[] w, int rows) {
        int per = w.length / rows;
        double[] norm = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int i = r * per; i < (r + 1) * per; i++) {
                norm[r] += Math.abs(w[i]);
            }
        }
        return norm;
    }

    /** The {@code keep} indices of largest score (ties: the lower index), ascending. */
    static int[] strongest(double[] score, int keep) {
        Integer[] order = new Integer[score.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a])
                : Integer.compare(a, b));
        int[] out = new int[keep];
        for (int i = 0; i < keep; i++) {
            out[i] = order[i];
        }
        Arrays.sort(out);
        return out;
    }

    /**
     * A new, smaller network: each layer of {@code net}'s channel groups keeps the channels
     * {@code kept} lists, every other tensor is copied as is.
     */
    static StagedNet shrink(StagedNet net, List<int[]> kept, NDManager manager) {
        List<ChannelGroup> groups = groups(net);
        List<Integer> widths = new ArrayList<>();
        Map<String, int[]> rows = new HashMap<>();
        Map<String, int[]> columns = new HashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            int[] k = kept.get(g);
            widths.add(k.length);
            for (String p : groups.get(g).producers()) {
                rows.put(p, k);
            }
            for (ChannelGroup.Consumer c : groups.get(g).consumers()) {
                columns.put(c.parameter(), blocks(k, c.blockSize()));
            }
        }
        StagedNet small = net.architecture().build(net.inputShape(), net.numClasses(),
                net.options().withWidths(widths)).initialize(manager, 0);
        Map<String, Parameter> from = net.namedParameters();
        for (Map.Entry<String, Parameter> e : small.namedParameters().entrySet()) {
            var src = from.get(e.getKey()).getArray();
            long[] shape = src.getShape().getShape().clone(); // DJL hands out its own array
            float[] data = src.toFloatArray();
            if (rows.containsKey(e.getKey())) {
                data = select(data, shape, 0, rows.get(e.getKey()));
                shape[0] = rows.get(e.getKey()).length;
            }
            if (columns.containsKey(e.getKey())) {
                data = select(data, shape, 1, columns.get(e.getKey()));
                shape[1] = columns.get(e.getKey()).length;
            }
            e.getValue().getArray().set(data);
        }
        return small;
    }

    /** Channel indices expanded to the {@code size} consecutive inputs each one feeds. */
    static int[] blocks(int[] channels, int size) {
        int[] out = new int[channels.length * size];
        for (int i = 0; i < channels.length; i++) {
            for (int j = 0; j < size; j++) {
                out[i * size + j] = channels[i] * size + j;
            }
        }
        return out;
    }

    /**
     * The entries of a row-major tensor whose index along {@code dim} (0 or 1) is in
     * {@code idx}.
     */
    static float[] select(float[] data, long[] shape, int dim, int[] idx) {
        long outer = 1;
        for (int d = 0; d < dim; d++) {
            outer *= shape[d];
        }
        long inner = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int n = (int) inner;
        float[] out = new float[(int) (outer * idx.length * inner)];
        int pos = 0;
        for (long o = 0; o < outer; o++) {
            for (int i : idx) {
                System.arraycopy(data, (int) ((o * shape[dim] + i) * inner), out, pos, n);
                pos += n;
            }
        }
        return out;
    }

    /**
     * Layer widths whose network has at most {@code share} of {@code reference}'s multiply-adds,
     * each layer keeping about the same share of its channels: the largest uniform share that
     * fits, then, while the budget allows, one more step for the layer that keeps the smallest
     * share (rounding to steps leaves budget over). A layer whose channels feed a convolution
     * keeps a multiple of {@code multiple} of them (at least one multiple, or its present width
     * when that is smaller), every other layer at least one.
     */
    static List<Integer> widthsForMultiplyAdds(StagedNet net, long reference, double share,
            int multiple) {
        if (multiple < 1) {
            throw new IllegalArgumentException("--channel-multiple must be at least 1, got "
                    + multiple);
        }
        List<Integer> full = net.architecture().layerWidths(net.options());
        int[] step = new int[full.size()];
        Map<String, Parameter> params = net.namedParameters();
        List<ChannelGroup> groups = groups(net);
        for (int g = 0; g < step.length; g++) {
            boolean feedsConv = groups.get(g).consumers().stream().anyMatch(c -> params.get(
                    c.parameter()).getArray().getShape().dimension() == 4);
            step[g] = feedsConv ? multiple : 1;
        }
        double lo = 0;
        double hi = 1;
        List<Integer> best = scaled(full, step, 0);
        for (int i = 0; i < 30; i++) {
            double mid = (lo + hi) / 2;
            List<Integer> w = scaled(full, step, mid);
            if (multiplyAdds(net, w) <= share * reference) {
                lo = mid;
                best = w;
            } else {
                hi = mid;
            }
        }
        List<Integer> w = new ArrayList<>(best);
        boolean grew = true;
        while (grew) {
            grew = false;
            Integer[] order = new Integer[w.size()];
            for (int g = 0; g < order.length; g++) {
                order[g] = g;
            }
            Arrays.sort(order, (a, b) -> Double.compare((double) w.get(a) / full.get(a),
                    (double) w.get(b) / full.get(b)));
            for (int g : order) {
                int wider = Math.min(full.get(g), w.get(g) + step[g]);
                if (wider == w.get(g)) {
                    continue;
                }
                List<Integer> candidate = new ArrayList<>(w);
                candidate.set(g, wider);
                if (multiplyAdds(net, candidate) <= share * reference) {
                    w.set(g, wider);
                    grew = true;
                    break;
                }
            }
        }
        return w;
    }

    private static long multiplyAdds(StagedNet net, List<Integer> widths) {
        return net.architecture().build(net.inputShape(), net.numClasses(),
                net.options().withWidths(widths)).multiplyAdds();
    }

    /** Each width times {@code keep}, rounded to its step, at least one step, at most itself. */
    static List<Integer> scaled(List<Integer> widths, int[] step, double keep) {
        List<Integer> out = new ArrayList<>();
        for (int g = 0; g < widths.size(); g++) {
            int w = widths.get(g);
            int s = step[g];
            long k = Math.max(1, Math.round(w * keep / s)) * s;
            out.add((int) Math.min(w, k));
        }
        return out;
    }
}
