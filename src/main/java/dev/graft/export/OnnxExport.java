package dev.graft.export;

import ai.djl.ndarray.NDArray;
import dev.graft.compress.Int8;
import dev.graft.export.onnx.Onnx.ModelProto;
import dev.graft.export.onnx.Onnx.OperatorSetIdProto;
import dev.graft.export.onnx.Onnx.StringStringEntryProto;
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
        int[] in = spec.inputShape();
        g.input("input", in[0], in[1], in[2]);
        String x = new Writer(g, folded, int8).layers(folded.layers(), "input");
        String logits = g.node("Identity", "logits", new String[] {x});
        g.output(logits, spec.numClasses());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("graft.architecture", spec.architecture());
        meta.put("graft.source", source);
        meta.put("graft.precision", int8 == null ? "float32" : "int8 (QDQ, "
                + int8.calibration().name().toLowerCase(java.util.Locale.ROOT) + " over "
                + int8.images() + " images)");
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

    /** Appends nodes for layers, threading the current value's name through them. */
    private static final class Writer {
        private final OnnxGraph g;
        private final LayerProgram program;
        private final Int8.Plan int8;

        Writer(OnnxGraph g, LayerProgram program, Int8.Plan int8) {
            this.g = g;
            this.program = program;
            this.int8 = int8;
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
