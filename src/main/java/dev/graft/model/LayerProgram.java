package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
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
     * Runs the layers on one image batch in inference mode.
     *
     * @param x {@code [batch, channels, height, width]}
     */
    public NDArray forward(NDArray x, Rewrite rewrite) {
        return forward(new NDList(x), rewrite);
    }

    /**
     * Runs the layers on a batch as the network reads it ({@code [batch, c, h, w]} images, or
     * token ids and their attention mask) in inference mode; returns the logits.
     */
    public NDArray forward(NDList inputs, Rewrite rewrite) {
        NDArray mask = inputs.size() > 1 ? inputs.get(1).toType(DataType.FLOAT32, false) : null;
        return run(layers, inputs.head(), mask, rewrite);
    }

    private NDArray run(List<Layer> list, NDArray x, NDArray mask, Rewrite rewrite) {
        NDArray y = x;
        for (Layer l : list) {
            y = step(l, y, mask, rewrite);
        }
        return y;
    }

    private NDArray step(Layer l, NDArray y, NDArray mask, Rewrite rewrite) {
        if (l instanceof Layer.Embeddings e) {
            return embeddings(e, y);
        } else if (l instanceof Layer.LayerNorm n) {
            return layerNorm(y, n.path(), n.epsilon());
        } else if (l instanceof Layer.SelfAttention a) {
            return attention(a, y, mask(mask, l), rewrite);
        } else if (l instanceof Layer.Gelu) {
            return ai.djl.nn.Activation.gelu(y);
        } else if (l instanceof Layer.MaskedMeanPool) {
            return Pooling.maskedMean(y, mask(mask, l));
        } else if (l instanceof Layer.Conv c) {
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
                parts.add(run(branch, y, mask, rewrite));
            }
            return NDArrays.concat(parts, 1);
        } else if (l instanceof Layer.AdaptiveAvgPool a) {
            return Layers.adaptiveAvgPool(y, a.height(), a.width());
        } else if (l instanceof Layer.Scale sc) {
            return y.mul(run(sc.gate(), y, mask, rewrite));
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
            return run(r.body(), y, mask, rewrite).add(r.shortcut().isEmpty() ? y
                    : run(r.shortcut(), y, mask, rewrite));
        }
        throw new IllegalStateException("unknown layer " + l);
    }

    private static NDArray mask(NDArray mask, Layer l) {
        if (mask == null) {
            throw new IllegalArgumentException(l + " needs the attention mask beside the ids");
        }
        return mask;
    }

    private NDArray embeddings(Layer.Embeddings e, NDArray ids) {
        String p = e.path() + ".";
        long tokens = ids.getShape().get(1);
        NDArray words = tensor(p + "word_embeddings.weight");
        NDArray x = ids.getNDArrayInternal().embedding(ids, words, SparseFormat.DENSE).head()
                .add(tensor(p + "position_embeddings.weight").get("0:" + tokens))
                .add(tensor(p + "token_type_embeddings.weight").get("0"));
        return layerNorm(x, p + "LayerNorm", e.epsilon());
    }

    private NDArray layerNorm(NDArray x, String path, float eps) {
        NDArray w = tensor(path + ".weight");
        return x.getNDArrayInternal().layerNorm(x, w.getShape(), w, tensor(path + ".bias"), eps)
                .head();
    }

    private NDArray attention(Layer.SelfAttention a, NDArray x, NDArray mask, Rewrite rewrite) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long d = x.getShape().get(2);
        long dh = d / a.heads();
        NDArray q = step(a.query(), x, mask, rewrite).reshape(b, t, a.heads(), dh)
                .transpose(0, 2, 1, 3);
        NDArray k = step(a.key(), x, mask, rewrite).reshape(b, t, a.heads(), dh)
                .transpose(0, 2, 3, 1);
        NDArray v = step(a.value(), x, mask, rewrite).reshape(b, t, a.heads(), dh)
                .transpose(0, 2, 1, 3);
        NDArray bias = mask.neg().add(1f).mul(Layer.MASKED_SCORE).reshape(b, 1, 1, t);
        NDArray probs = q.matMul(k).div((float) Math.sqrt(dh)).add(bias).softmax(-1);
        return probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);
    }
}
