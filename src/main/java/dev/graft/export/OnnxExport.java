package dev.graft.export;

import ai.djl.ndarray.NDArray;
import dev.graft.compress.Int8;
import dev.graft.export.onnx.Onnx.ModelProto;
import dev.graft.export.onnx.Onnx.OperatorSetIdProto;
import dev.graft.export.onnx.Onnx.StringStringEntryProto;
import dev.graft.export.onnx.Onnx.TensorProto;
import dev.graft.model.Layer;
import dev.graft.model.LayerProgram;
import dev.graft.model.ModelSpec;
import dev.graft.train.GraftVersion;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a network as an ONNX model (IR version 7, operator set 13): input {@code input}
 * {@code [batch, channels, height, width]}, normalized as the model's {@code model.json} says
 * (also in the model's metadata), output {@code logits} {@code [batch, classes]}. BatchNorm is
 * folded into the convolutions before it. In int8 form every convolution and linear layer reads
 * its input through QuantizeLinear/DequantizeLinear (uint8, the calibrated range) and its weight
 * as int8 values with one scale per output channel through DequantizeLinear, its bias as int32
 * at the product of the two scales: the QDQ form that ONNX Runtime runs with int8 kernels.
 */
public final class OnnxExport {

    /** ONNX IR version written. */
    public static final int IR_VERSION = 7;
    /** ONNX operator set written (per-axis DequantizeLinear needs 13). */
    public static final int OPSET = 13;

    private OnnxExport() {}

    /**
     * @param folded the network with BatchNorm folded ({@link LayerProgram#foldBatchNorm})
     * @param int8 the calibrated quantizers, or null for float32
     */
    public static ModelProto model(LayerProgram folded, ModelSpec spec, Int8.Plan int8,
            String source) {
        OnnxGraph g = new OnnxGraph("graft_" + spec.architecture());
        boolean text = isText(folded);
        String x;
        if (text) {
            g.tokenInput(INPUT_IDS);
            g.tokenInput(ATTENTION_MASK);
            x = new Writer(g, folded, int8, ATTENTION_MASK).layers(folded.layers(), INPUT_IDS);
        } else {
            int[] in = spec.inputShape();
            g.input("input", in[0], in[1], in[2]);
            x = new Writer(g, folded, int8, null).layers(folded.layers(), "input");
        }
        String logits = g.node("Identity", "logits", new String[] {x});
        g.output(logits, spec.numClasses());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("graft.architecture", spec.architecture());
        meta.put("graft.source", source);
        meta.put("graft.precision", int8 == null ? "float32" : "int8 (QDQ, "
                + int8.calibration().name().toLowerCase(java.util.Locale.ROOT) + " over "
                + int8.images() + " images)");
        if (text) {
            meta.put("graft.input", INPUT_IDS + " and " + ATTENTION_MASK + ", int64 [batch,"
                    + " tokens], from the tokenizer.json beside this file (at most "
                    + spec.inputShape()[0] + " tokens)");
        }
        if (spec.normalization() != null) {
            meta.put("graft.input", "x = (pixel / 255 - mean) / std per channel");
            meta.put("graft.normalization.mean", Arrays.toString(spec.normalization().mean()));
            meta.put("graft.normalization.std", Arrays.toString(spec.normalization().std()));
        }
        if (spec.classNames() != null) {
            meta.put("graft.classes", String.join("\n", spec.classNames()));
        }
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION)
                .setProducerName("graft").setProducerVersion(GraftVersion.graft())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("")
                        .setVersion(OPSET))
                .setGraph(g.build());
        meta.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder()
                .setKey(k).setValue(v)));
        return m.build();
    }

    /** The inputs of a text encoder's graph, named as Hugging Face's ONNX exports name them. */
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";

    /** True when {@code program} reads token ids (a text encoder). */
    public static boolean isText(LayerProgram program) {
        return !program.layers().isEmpty() && program.layers().get(0) instanceof Layer.Embeddings;
    }

    /** Appends nodes for layers, threading the current value's name through them. */
    private static final class Writer {
        private final OnnxGraph g;
        private final LayerProgram program;
        private final Int8.Plan int8;
        /** The int64 attention mask input (text), or null. */
        private final String maskInput;
        /** Whether the current value is {@code [batch, tokens, features]}. */
        private boolean tokens;
        private String maskFloat;
        private String attentionBias;

        Writer(OnnxGraph g, LayerProgram program, Int8.Plan int8, String maskInput) {
            this.g = g;
            this.program = program;
            this.int8 = int8;
            this.maskInput = maskInput;
        }

        /** The mask as float32 {@code [batch, tokens]}, cast once. */
        private String maskFloat() {
            if (maskFloat == null) {
                maskFloat = g.node("Cast", "mask_float", new String[] {maskInput},
                        OnnxGraph.integer("to", TensorProto.DataType.FLOAT.getNumber()));
            }
            return maskFloat;
        }

        /** {@code (1 - mask) * lowest float} as {@code [batch, 1, 1, tokens]}, built once. */
        private String attentionBias() {
            if (attentionBias == null) {
                String inverted = g.node("Sub", "mask_inverted", new String[] {
                    scalar("one", 1f), maskFloat()});
                String scaled = g.node("Mul", "mask_bias", new String[] {inverted,
                    scalar("mask_lowest", Layer.MASKED_SCORE)});
                attentionBias = g.node("Unsqueeze", "attention_bias", new String[] {scaled,
                    g.int64s("axes_1_2", new long[] {1, 2}, 2)});
            }
            return attentionBias;
        }

        private String scalar(String name, float v) {
            return g.floats(name, new float[] {v});
        }

        private String embeddings(Layer.Embeddings e, String ids) {
            String p = e.path() + ".";
            String words = g.node("Gather", "word_embeddings", new String[] {floats(p
                    + "word_embeddings.weight"), ids}, OnnxGraph.integer("axis", 0));
            String shape = g.node("Shape", "ids_shape", new String[] {ids});
            String length = g.node("Slice", "tokens", new String[] {shape,
                g.int64s("one_start", new long[] {1}, 1), g.int64s("two_end", new long[] {2}, 1)});
            String positions = g.node("Slice", "position_embeddings", new String[] {floats(p
                    + "position_embeddings.weight"), g.int64s("zero_start", new long[] {0}, 1),
                length, g.int64s("axis_0", new long[] {0}, 1)});
            NDArray types = program.tensor(p + "token_type_embeddings.weight").get(0);
            String x = g.node("Add", "embeddings", new String[] {g.node("Add", "embeddings",
                    new String[] {words, positions}), g.floats(p + "token_type_embeddings.row0",
                    types.toFloatArray(), types.getShape().getShape())});
            tokens = true;
            return layerNorm(x, p + "LayerNorm", e.epsilon());
        }

        /**
         * LayerNorm in operators of set 13 (LayerNormalization came in 17), in the pattern
         * ONNX Runtime fuses back into one kernel.
         */
        private String layerNorm(String x, String path, float eps) {
            String mean = g.node("ReduceMean", path + ".mean", new String[] {x},
                    OnnxGraph.ints("axes", -1), OnnxGraph.integer("keepdims", 1));
            String centred = g.node("Sub", path + ".centred", new String[] {x, mean});
            String square = g.node("Pow", path + ".square", new String[] {centred,
                scalar("two", 2f)});
            String variance = g.node("ReduceMean", path + ".variance", new String[] {square},
                    OnnxGraph.ints("axes", -1), OnnxGraph.integer("keepdims", 1));
            String std = g.node("Sqrt", path + ".std", new String[] {g.node("Add", path
                    + ".variance_eps", new String[] {variance, scalar(path + ".eps", eps)})});
            String normed = g.node("Div", path + ".normed", new String[] {centred, std});
            String scaled = g.node("Mul", path, new String[] {normed, floats(path
                    + ".weight")});
            return g.node("Add", path, new String[] {scaled, floats(path + ".bias")});
        }

        /** Erf GELU in the pattern ONNX Runtime fuses. */
        private String gelu(String x) {
            String erf = g.node("Erf", "gelu_erf", new String[] {g.node("Div", "gelu_div",
                    new String[] {x, scalar("sqrt2", (float) Math.sqrt(2))})});
            String gate = g.node("Add", "gelu_add", new String[] {erf, scalar("one", 1f)});
            return g.node("Mul", "gelu", new String[] {g.node("Mul", "gelu_mul",
                    new String[] {x, gate}), scalar("half", 0.5f)});
        }

        private String attention(Layer.SelfAttention a, String x) {
            long d = program.tensor(a.query().path() + ".weight").getShape().get(0);
            long dh = d / a.heads();
            String split = g.int64s("heads_shape", new long[] {0, 0, a.heads(), dh}, 4);
            String q = g.node("Transpose", "query_heads", new String[] {g.node("Reshape",
                    "query_split", new String[] {layer(a.query(), x), split})},
                    OnnxGraph.ints("perm", 0, 2, 1, 3));
            String k = g.node("Transpose", "key_heads", new String[] {g.node("Reshape",
                    "key_split", new String[] {layer(a.key(), x), split})},
                    OnnxGraph.ints("perm", 0, 2, 3, 1));
            String v = g.node("Transpose", "value_heads", new String[] {g.node("Reshape",
                    "value_split", new String[] {layer(a.value(), x), split})},
                    OnnxGraph.ints("perm", 0, 2, 1, 3));
            String scores = g.node("Add", "scores", new String[] {g.node("Div", "scores",
                    new String[] {g.node("MatMul", "scores", new String[] {q, k}),
                        scalar("sqrt_head_size", (float) Math.sqrt(dh))}), attentionBias()});
            String probs = g.node("Softmax", "attention_probs", new String[] {scores},
                    OnnxGraph.integer("axis", -1));
            String context = g.node("Transpose", "context", new String[] {g.node("MatMul",
                    "context", new String[] {probs, v})}, OnnxGraph.ints("perm", 0, 2, 1, 3));
            return g.node("Reshape", "context", new String[] {context, g.int64s("hidden_shape",
                    new long[] {0, 0, d}, 3)});
        }

        /** {@code sum_t h m / max(sum_t m, 1e-9)}: {@code [b, t, d] -> [b, d]}. */
        private String maskedMean(String x) {
            String m = g.node("Unsqueeze", "mask_column", new String[] {maskFloat(),
                g.int64s("axis_2", new long[] {2}, 1)});
            String axis = g.int64s("axis_1", new long[] {1}, 1);
            String sum = g.node("ReduceSum", "token_sum", new String[] {g.node("Mul",
                    "masked_tokens", new String[] {x, m}), axis},
                    OnnxGraph.integer("keepdims", 0));
            String count = g.node("Max", "token_count", new String[] {g.node("ReduceSum",
                    "token_count", new String[] {m, axis}, OnnxGraph.integer("keepdims", 0)),
                scalar("count_floor", 1e-9f)});
            tokens = false;
            return g.node("Div", "pooled", new String[] {sum, count});
        }

        /**
         * A linear layer over {@code [b, t, in]}: MatMul with the weight stored transposed
         * ({@code [in, out]}, as PyTorch's exporter writes it), then Add of the bias; int8 as
         * DequantizeLinear of the input and of the weight (one scale per column), the bias in
         * float.
         */
        private String tokenLinear(Layer.Linear f, String x) {
            NDArray w = program.tensor(f.path() + ".weight");
            long out = w.getShape().get(0);
            long in = w.getShape().get(1);
            float[] values = w.toFloatArray();
            String input = x;
            String weight;
            if (int8 == null) {
                weight = g.floats(f.path() + ".weight_t", transpose(values, out, in), in, out);
            } else {
                Int8.Activation a = int8.inputs().get(f.path());
                if (a == null) {
                    throw new IllegalArgumentException("the int8 plan has no range for "
                            + f.path());
                }
                input = quantizeDequantize(x, f.path() + ".input", a);
                Int8.Weight qw = Int8.quantize(values, (int) out);
                byte[] t = new byte[qw.values().length];
                for (int r = 0; r < out; r++) {
                    for (int c = 0; c < in; c++) {
                        t[(int) (c * out + r)] = qw.values()[(int) (r * in + c)];
                    }
                }
                weight = g.node("DequantizeLinear", f.path() + ".weight_dq", new String[] {
                    g.int8s(f.path() + ".weight_int8_t", t, in, out),
                    g.floats(f.path() + ".weight_scale", qw.scales(), out),
                    g.int8s(f.path() + ".weight_zero_point", new byte[(int) out], out)},
                        OnnxGraph.integer("axis", 1));
            }
            String y = g.node("MatMul", f.path(), new String[] {input, weight});
            return f.bias() ? g.node("Add", f.path(), new String[] {y, floats(f.path()
                    + ".bias")}) : y;
        }

        private static float[] transpose(float[] w, long rows, long cols) {
            float[] t = new float[w.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[(int) (c * rows + r)] = w[(int) (r * cols + c)];
                }
            }
            return t;
        }

        String layers(List<Layer> layers, String x) {
            String y = x;
            for (int i = 0; i < layers.size(); i++) {
                y = layer(layers.get(i), y);
                Int8.Activation next = int8 == null || !(layers.get(i) instanceof Layer.Relu)
                        ? null : nextInput(layers, i + 1);
                if (next != null) {
                    // quantized where it is produced, so ONNX Runtime runs the convolution
                    // before it with an int8 output (the Relu vanishes into the zero point)
                    // and max-pooling on int8; the next layer's own quantizer then finds
                    // values already on its grid, so the result is the simulation's
                    y = quantizeDequantize(y, "relu", next);
                }
            }
            return y;
        }

        /**
         * The input quantizer of the convolution or linear layer that reads position
         * {@code from} through nothing but max-pooling, flattening and dropout, or null.
         */
        private Int8.Activation nextInput(List<Layer> layers, int from) {
            for (int j = from; j < layers.size(); j++) {
                Layer l = layers.get(j);
                if (l instanceof Layer.Conv || l instanceof Layer.Linear) {
                    return int8.inputs().get(Int8.path(l));
                }
                if (!(l instanceof Layer.MaxPool || l instanceof Layer.Flatten
                        || l instanceof Layer.Dropout)) {
                    return null;
                }
            }
            return null;
        }

        private String quantizeDequantize(String x, String base, Int8.Activation a) {
            String scale = g.floats(base + ".scale", new float[] {a.scale()});
            String zero = g.uint8s(base + ".zero_point", new byte[] {(byte) a.zeroPoint()});
            String q = g.node("QuantizeLinear", base + "_q", new String[] {x, scale, zero});
            return g.node("DequantizeLinear", base + "_dq", new String[] {q, scale, zero});
        }

        private String layer(Layer l, String x) {
            if (l instanceof Layer.Embeddings e) {
                return embeddings(e, x);
            }
            if (l instanceof Layer.LayerNorm n) {
                return layerNorm(x, n.path(), n.epsilon());
            }
            if (l instanceof Layer.SelfAttention a) {
                return attention(a, x);
            }
            if (l instanceof Layer.Gelu) {
                return gelu(x);
            }
            if (l instanceof Layer.MaskedMeanPool) {
                return maskedMean(x);
            }
            if (l instanceof Layer.Linear f && tokens) {
                return tokenLinear(f, x);
            }
            if (l instanceof Layer.Conv c) {
                NDArray w = program.tensor(c.path() + ".weight");
                String[] inputs = operands(c.path(), x, w, c.bias());
                return g.node("Conv", c.path(), inputs, OnnxGraph.ints("kernel_shape",
                        w.getShape().get(2), w.getShape().get(3)),
                        OnnxGraph.ints("strides", c.strideH(), c.strideW()),
                        OnnxGraph.ints("pads", c.paddingH(), c.paddingW(), c.paddingH(),
                                c.paddingW()), OnnxGraph.ints("dilations", 1, 1),
                        OnnxGraph.integer("group", c.groups()));
            }
            if (l instanceof Layer.Linear f) {
                NDArray w = program.tensor(f.path() + ".weight");
                return g.node("Gemm", f.path(), operands(f.path(), x, w, f.bias()),
                        OnnxGraph.integer("transB", 1));
            }
            if (l instanceof Layer.BatchNorm b) {
                String p = b.path() + ".";
                return g.node("BatchNormalization", b.path(), new String[] {x,
                    floats(p + "weight"), floats(p + "bias"), floats(p + "running_mean"),
                    floats(p + "running_var")}, OnnxGraph.real("epsilon",
                            b.epsilon()));
            }
            if (l instanceof Layer.Relu) {
                return g.node("Relu", "relu", new String[] {x});
            }
            if (l instanceof Layer.Silu) {
                String gate = g.node("Sigmoid", "silu_sigmoid", new String[] {x});
                return g.node("Mul", "silu", new String[] {x, gate});
            }
            if (l instanceof Layer.Sigmoid) {
                return g.node("Sigmoid", "sigmoid", new String[] {x});
            }
            if (l instanceof Layer.Scale sc) {
                return g.node("Mul", "scale", new String[] {x, layers(sc.gate(), x)});
            }
            if (l instanceof Layer.AdaptiveAvgPool a && a.height() == 1 && a.width() == 1) {
                return g.node("GlobalAveragePool", "avgpool", new String[] {x});
            }
            if (l instanceof Layer.AvgPool a) {
                return g.node("AveragePool", "avgpool", new String[] {x},
                        OnnxGraph.ints("kernel_shape", a.kernel(), a.kernel()),
                        OnnxGraph.ints("strides", a.stride(), a.stride()),
                        OnnxGraph.ints("pads", a.padding(), a.padding(), a.padding(),
                                a.padding()), OnnxGraph.integer("count_include_pad", 1));
            }
            if (l instanceof Layer.Concat cat) {
                String[] parts = new String[cat.branches().size()];
                for (int i = 0; i < parts.length; i++) {
                    parts[i] = layers(cat.branches().get(i), x);
                }
                return g.node("Concat", "concat", parts, OnnxGraph.integer("axis", 1));
            }
            if (l instanceof Layer.MaxPool m) {
                return g.node("MaxPool", "maxpool", new String[] {x},
                        OnnxGraph.ints("kernel_shape", m.kernel(), m.kernel()),
                        OnnxGraph.ints("strides", m.stride(), m.stride()),
                        OnnxGraph.ints("pads", m.padding(), m.padding(), m.padding(),
                                m.padding()));
            }
            if (l instanceof Layer.Flatten) {
                return g.node("Flatten", "flatten", new String[] {x},
                        OnnxGraph.integer("axis", 1));
            }
            if (l instanceof Layer.GlobalAveragePool) {
                String pooled = g.node("GlobalAveragePool", "avgpool", new String[] {x});
                return g.node("Flatten", "flatten", new String[] {pooled},
                        OnnxGraph.integer("axis", 1));
            }
            if (l instanceof Layer.Dropout) {
                return x;
            }
            if (l instanceof Layer.Residual r) {
                String body = layers(r.body(), x);
                String shortcut = r.shortcut().isEmpty() ? x : layers(r.shortcut(), x);
                return g.node("Add", "add", new String[] {body, shortcut});
            }
            throw new IllegalArgumentException("ONNX export does not support layer " + l);
        }

        /** Input, weight and (optional) bias of a convolution or linear layer. */
        private String[] operands(String path, String x, NDArray weight, boolean bias) {
            long[] dims = weight.getShape().getShape();
            if (int8 == null) {
                String w = g.floats(path + ".weight", weight.toFloatArray(), dims);
                return bias ? new String[] {x, w, floats(path + ".bias")} : new String[] {x, w};
            }
            Int8.Activation a = int8.inputs().get(path);
            if (a == null) {
                throw new IllegalArgumentException("the int8 plan has no range for " + path);
            }
            String xd = quantizeDequantize(x, path + ".input", a);
            Int8.Weight qw = Int8.quantize(weight.toFloatArray(), (int) dims[0]);
            String wq = g.int8s(path + ".weight_int8", qw.values(), dims);
            String ws = g.floats(path + ".weight_scale", qw.scales(), dims[0]);
            String wz = g.int8s(path + ".weight_zero_point", new byte[(int) dims[0]], dims[0]);
            String wd = g.node("DequantizeLinear", path + ".weight_dq", new String[] {wq, ws, wz},
                    OnnxGraph.integer("axis", 0));
            if (!bias) {
                return new String[] {xd, wd};
            }
            float[] bs = new float[qw.scales().length];
            for (int c = 0; c < bs.length; c++) {
                bs[c] = a.scale() * qw.scales()[c];
            }
            String bq = g.int32s(path + ".bias_int32", Int8.quantizeBias(program.tensor(path
                    + ".bias").toFloatArray(), a.scale(), qw.scales()), dims[0]);
            String bsc = g.floats(path + ".bias_scale", bs, dims[0]);
            String bd = g.node("DequantizeLinear", path + ".bias_dq", new String[] {bq, bsc},
                    OnnxGraph.integer("axis", 0));
            return new String[] {xd, wd, bd};
        }

        private String floats(String name) {
            NDArray t = program.tensor(name);
            return g.floats(name, t.toFloatArray(), t.getShape().getShape());
        }
    }
}
