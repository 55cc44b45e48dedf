package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network as {@link Layer}s and the tensors they read, by PyTorch name: the form an exporter
 * writes and int8 simulation runs. {@link #forward} computes what the network computes at
 * inference; {@link #foldBatchNorm} merges each BatchNorm into the convolution before it, as
 * deployment runtimes do.
 */
public record LayerProgram(List<Layer> layers, Map<String, NDArray> tensors) {

    /** Changes what a convolution or linear layer sees, e.g. to round it to int8. */
    public interface Rewrite {
        /** The layer's input. */
        NDArray input(Layer layer, NDArray x);

        /** The layer's weight. */
        NDArray weight(Layer layer, NDArray w);

        /** No change. */
        Rewrite NONE = new Rewrite() {
            @Override
            public NDArray input(Layer layer, NDArray x) {
                return x;
            }

            @Override
            public NDArray weight(Layer layer, NDArray w) {
                return w;
            }
        };
    }

    public LayerProgram {
        layers = List.copyOf(layers);
        tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** The network's layers over its own parameter arrays (shared, not copied). */
    public static LayerProgram of(StagedNet net) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            t.put(e.getKey(), e.getValue().getArray());
        }
        return new LayerProgram(net.layers(), t);
    }

    /** The tensor called {@code name}. */
    public NDArray tensor(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new IllegalStateException("no tensor " + name);
        }
        return a;
    }

    /**
     * Each convolution directly followed by a BatchNorm becomes one convolution with a bias:
     * {@code s = gamma / sqrt(var + eps)}, {@code W' = W s} per output channel,
     * {@code b' = beta + (b - mean) s}. New tensors are created in {@code manager}.
     */
    public LayerProgram foldBatchNorm(NDManager manager) {
        Map<String, NDArray> t = new LinkedHashMap<>(tensors);
        List<Layer> folded = fold(layers, t, manager);
        return new LayerProgram(folded, t);
    }

    private static List<Layer> fold(List<Layer> in, Map<String, NDArray> t, NDManager manager) {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            Layer l = in.get(i);
            if (l instanceof Layer.Residual r) {
                out.add(new Layer.Residual(fold(r.body(), t, manager),
                        fold(r.shortcut(), t, manager)));
            } else if (l instanceof Layer.Scale sc) {
                out.add(new Layer.Scale(fold(sc.gate(), t, manager)));
            } else if (l instanceof Layer.Concat cat) {
                out.add(new Layer.Concat(cat.branches().stream().map(b -> fold(b, t, manager))
                        .toList()));
            } else if (l instanceof Layer.Conv c && i + 1 < in.size()
                    && in.get(i + 1) instanceof Layer.BatchNorm bn) {
                String p = bn.path() + ".";
                NDArray scale = t.get(p + "weight").div(t.get(p + "running_var")
                        .add(bn.epsilon()).sqrt());
                NDArray w = t.get(c.path() + ".weight");
                NDArray bias = c.bias() ? t.get(c.path() + ".bias") : manager.zeros(
                        scale.getShape());
                t.put(c.path() + ".weight", w.mul(scale.reshape(-1, 1, 1, 1)));
                t.put(c.path() + ".bias", t.get(p + "bias").add(bias.sub(
                        t.get(p + "running_mean")).mul(scale)));
                for (String k : List.of("weight", "bias", "running_mean", "running_var")) {
                    t.remove(p + k);
                }
                out.add(new Layer.Conv(c.path(), c.strideH(), c.strideW(), c.paddingH(),
                        c.paddingW(), true, c.groups()));
                i++;
            } else {
                out.add(l);
            }
        }
        return out;
    }

    /**
     * Runs the layers on {@code x} in inference mode.
     *
     * @param x {@code [batch, channels, height, width]}
     */
    public NDArray forward(NDArray x, Rewrite rewrite) {
        return run(layers, x, rewrite);
    }

    private NDArray run(List<Layer> list, NDArray x, Rewrite rewrite) {
        NDArray y = x;
        for (Layer l : list) {
            y = step(l, y, rewrite);
        }
        return y;
    }

    private NDArray step(Layer l, NDArray y, Rewrite rewrite) {
        if (l instanceof Layer.Conv c) {
            return Conv2d.conv2d(rewrite.input(l, y), rewrite.weight(l, tensor(c.path()
                    + ".weight")), c.bias() ? tensor(c.path() + ".bias") : null,
                    new Shape(c.strideH(), c.strideW()), new Shape(c.paddingH(), c.paddingW()),
                    new Shape(1, 1), c.groups()).head();
        } else if (l instanceof Layer.BatchNorm b) {
            return ai.djl.nn.norm.BatchNorm.batchNorm(y, tensor(b.path() + ".running_mean"),
                    tensor(b.path() + ".running_var"), tensor(b.path() + ".weight"),
                    tensor(b.path() + ".bias"), 1, 0.9f, b.epsilon(), false).head();
        } else if (l instanceof Layer.Linear f) {
            return ai.djl.nn.core.Linear.linear(rewrite.input(l, y), rewrite.weight(l,
                    tensor(f.path() + ".weight")), f.bias() ? tensor(f.path() + ".bias") : null)
                    .head();
        } else if (l instanceof Layer.Relu) {
            return ai.djl.nn.Activation.relu(y);
        } else if (l instanceof Layer.Silu) {
            return Layers.silu(y);
        } else if (l instanceof Layer.Sigmoid) {
            return ai.djl.nn.Activation.sigmoid(y);
        } else if (l instanceof Layer.AvgPool a) {
            return Pool.avgPool2d(y, new Shape(a.kernel(), a.kernel()),
                    new Shape(a.stride(), a.stride()), new Shape(a.padding(), a.padding()),
                    false, true);
        } else if (l instanceof Layer.Concat cat) {
            NDList parts = new NDList();
            for (List<Layer> branch : cat.branches()) {
                parts.add(run(branch, y, rewrite));
            }
            return NDArrays.concat(parts, 1);
        } else if (l instanceof Layer.AdaptiveAvgPool a) {
            return Layers.adaptiveAvgPool(y, a.height(), a.width());
        } else if (l instanceof Layer.Scale sc) {
            return y.mul(run(sc.gate(), y, rewrite));
        } else if (l instanceof Layer.MaxPool m) {
            return Pool.maxPool2d(y, new Shape(m.kernel(), m.kernel()),
                    new Shape(m.stride(), m.stride()), new Shape(m.padding(), m.padding()),
                    false);
        } else if (l instanceof Layer.Flatten) {
            return y.reshape(y.getShape().get(0), -1);
        } else if (l instanceof Layer.GlobalAveragePool) {
            return Pool.globalAvgPool2d(y);
        } else if (l instanceof Layer.Dropout) {
            return y;
        } else if (l instanceof Layer.Residual r) {
            return run(r.body(), y, rewrite).add(r.shortcut().isEmpty() ? y
                    : run(r.shortcut(), y, rewrite));
        }
        throw new IllegalStateException("unknown layer " + l);
    }
}
