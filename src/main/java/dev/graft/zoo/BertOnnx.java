package dev.graft.zoo;

import dev.graft.export.onnx.Onnx.AttributeProto;
import dev.graft.export.onnx.Onnx.GraphProto;
import dev.graft.export.onnx.Onnx.ModelProto;
import dev.graft.export.onnx.Onnx.NodeProto;
import dev.graft.export.onnx.Onnx.TensorProto;
import dev.graft.io.BadFileException;
import dev.graft.model.BertConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BERT-family encoder read from an ONNX file's initializers under Hugging Face's names.
 *
 * <p>Exporters keep the names of embeddings, biases and LayerNorms, but store each linear
 * layer's weight as an anonymous MatMul operand ({@code onnx::MatMul_787}) laid out
 * {@code [in, out]}. Each such weight is named after the bias its following Add uses
 * ({@code ...query.bias} gives {@code ...query.weight}) and transposed to PyTorch's
 * {@code [out, in]}. The head count and LayerNorm epsilon, which no initializer holds, are read
 * from the graph: the heads from the constant the first query's Reshape splits the width by,
 * epsilon from the constant added to a variance (a ReduceMean of a Pow).
 */
public final class BertOnnx {

    /** An encoder's sizes and weights. */
    public record Encoder(BertConfig config, Map<String, Tensor> weights) {}

    /** A float tensor, row-major. */
    public record Tensor(long[] shape, float[] values) {}

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private BertOnnx() {}

    /** Reads {@code in} (an ONNX model's bytes); {@code file} names it in errors. */
    public static Encoder read(InputStream in, Path file) {
        ModelProto model;
        try {
            model = ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw new BadFileException(file, "is not an ONNX model (" + e.getMessage() + ")", e);
        }
        GraphProto g = model.getGraph();
        Map<String, TensorProto> init = new LinkedHashMap<>();
        g.getInitializerList().forEach(t -> init.put(t.getName(), t));
        Map<String, NodeProto> producer = new HashMap<>();
        Map<String, List<NodeProto>> consumers = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            n.getOutputList().forEach(o -> producer.put(o, n));
            n.getInputList().forEach(i -> consumers.computeIfAbsent(i, k ->
                    new java.util.ArrayList<>()).add(n));
        }
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (TensorProto t : init.values()) {
            if (t.getName().contains(".") && !t.getName().startsWith("onnx::")
                    && t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
                weights.put(t.getName(), floats(t, file));
            }
        }
        for (NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals("MatMul") || n.getInputCount() != 2
                    || !init.containsKey(n.getInput(1))) {
                continue;
            }
            String bias = consumers.getOrDefault(n.getOutput(0), List.of()).stream()
                    .filter(c -> c.getOpType().equals("Add"))
                    .flatMap(c -> c.getInputList().stream())
                    .filter(i -> i.endsWith(".bias") && init.containsKey(i))
                    .findFirst().orElseThrow(() -> new BadFileException(file, "the weight "
                            + n.getInput(1) + " of MatMul " + n.getName() + " is followed by no"
                            + " named bias, so graft cannot tell which layer it belongs to"));
            Tensor w = floats(init.get(n.getInput(1)), file);
            if (w.shape().length != 2) {
                throw new BadFileException(file, "MatMul weight " + n.getInput(1) + " has shape "
                        + java.util.Arrays.toString(w.shape()) + ", not [in, out]");
            }
            weights.put(bias.substring(0, bias.length() - "bias".length()) + "weight",
                    transpose(w));
        }
        return new Encoder(config(weights, g, producer, file), weights);
    }

    private static BertConfig config(Map<String, Tensor> w, GraphProto g,
            Map<String, NodeProto> producer, Path file) {
        Tensor words = require(w, "embeddings.word_embeddings.weight", file);
        Tensor positions = require(w, "embeddings.position_embeddings.weight", file);
        Tensor types = require(w, "embeddings.token_type_embeddings.weight", file);
        Tensor inner = require(w, "encoder.layer.0.intermediate.dense.bias", file);
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : w.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layers.isEmpty() || layers.last() != layers.size() - 1) {
            throw new BadFileException(file, "encoder layers " + layers + " are not numbered 0"
                    + " to N-1");
        }
        int hidden = (int) words.shape()[1];
        return new BertConfig((int) words.shape()[0], hidden, layers.size(),
                heads(g, producer, hidden, file), (int) inner.shape()[0],
                (int) positions.shape()[0], (int) types.shape()[0], epsilon(g, producer, file));
    }

    /**
     * The head count: the query's Add output is reshaped to {@code [batch, tokens, heads,
     * headSize]}; the shape's third entry is a constant (a Concat of Unsqueezes and Constants in
     * PyTorch's exports, or one constant shape).
     */
    private static int heads(GraphProto g, Map<String, NodeProto> producer, int hidden,
            Path file) {
        for (NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals("Reshape") || n.getInputCount() != 2) {
                continue;
            }
            NodeProto add = producer.get(n.getInput(0));
            if (add == null || !add.getOpType().equals("Add") || add.getInputList().stream()
                    .noneMatch(i -> i.equals("encoder.layer.0.attention.self.query.bias"))) {
                continue;
            }
            NodeProto shape = producer.get(n.getInput(1));
            long[] dims = null;
            if (shape != null && shape.getOpType().equals("Concat") && shape.getInputCount() == 4) {
                long[] third = constant(producer.get(shape.getInput(2)));
                dims = third == null ? null : new long[] {0, 0, third[0], 0};
            } else {
                dims = constant(shape);
            }
            if (dims != null && dims.length == 4 && dims[2] > 0 && hidden % dims[2] == 0) {
                return (int) dims[2];
            }
        }
        throw new BadFileException(file, "cannot find the attention head count in the graph (the"
                + " Reshape of layer 0's query to [batch, tokens, heads, size])");
    }

    /** The epsilon added to a LayerNorm's variance, or BERT's 1e-12 when the graph fuses it. */
    private static double epsilon(GraphProto g, Map<String, NodeProto> producer, Path file) {
        for (NodeProto n : g.getNodeList()) {
            if (!n.getOpType().equals("Add") || n.getInputCount() != 2) {
                continue;
            }
            NodeProto a = producer.get(n.getInput(0));
            NodeProto b = producer.get(n.getInput(1));
            if (a != null && a.getOpType().equals("ReduceMean") && b != null
                    && b.getOpType().equals("Constant")) {
                NodeProto pow = producer.get(a.getInput(0));
                float[] eps = constantFloats(b, file);
                if (pow != null && pow.getOpType().equals("Pow") && eps != null
                        && eps.length == 1) {
                    return eps[0];
                }
            }
        }
        return 1e-12;
    }

    private static long[] constant(NodeProto node) {
        if (node == null || !node.getOpType().equals("Constant")) {
            return null;
        }
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("value") && a.getT().getDataType()
                    == TensorProto.DataType.INT64_VALUE) {
                TensorProto t = a.getT();
                if (t.getInt64DataCount() > 0) {
                    return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
                }
                ByteBuffer bb = t.getRawData().asReadOnlyByteBuffer().order(
                        ByteOrder.LITTLE_ENDIAN);
                long[] v = new long[bb.remaining() / Long.BYTES];
                bb.asLongBuffer().get(v);
                return v;
            }
        }
        return null;
    }

    private static float[] constantFloats(NodeProto node, Path file) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("value") && a.getT().getDataType()
                    == TensorProto.DataType.FLOAT_VALUE) {
                return floats(a.getT(), file).values();
            }
        }
        return null;
    }

    private static Tensor require(Map<String, Tensor> w, String name, Path file) {
        Tensor t = w.get(name);
        if (t == null) {
            throw new BadFileException(file, "has no initializer " + name + "; is it a"
                    + " BERT-family encoder exported with Hugging Face's names?");
        }
        return t;
    }

    private static Tensor floats(TensorProto t, Path file) {
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        if (t.getDataLocation() == 1) {
            throw new BadFileException(file, "keeps " + t.getName() + " in an external data"
                    + " file; graft reads ONNX files that hold their weights");
        }
        float[] v;
        if (t.getFloatDataCount() > 0) {
            v = new float[t.getFloatDataCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = t.getFloatData(i);
            }
        } else {
            ByteBuffer bb = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            v = new float[bb.remaining() / Float.BYTES];
            bb.asFloatBuffer().get(v);
        }
        if (v.length != n) {
            throw new BadFileException(file, t.getName() + " declares shape "
                    + java.util.Arrays.toString(shape) + " but holds " + v.length + " values");
        }
        return new Tensor(shape, v);
    }

    private static Tensor transpose(Tensor w) {
        int rows = (int) w.shape()[0];
        int cols = (int) w.shape()[1];
        float[] out = new float[w.values().length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = w.values()[r * cols + c];
            }
        }
        return new Tensor(new long[] {cols, rows}, out);
    }
}
