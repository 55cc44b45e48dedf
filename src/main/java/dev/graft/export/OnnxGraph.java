package dev.graft.export;

import com.google.protobuf.ByteString;
import dev.graft.export.onnx.Onnx.AttributeProto;
import dev.graft.export.onnx.Onnx.GraphProto;
import dev.graft.export.onnx.Onnx.NodeProto;
import dev.graft.export.onnx.Onnx.TensorProto;
import dev.graft.export.onnx.Onnx.TensorShapeProto;
import dev.graft.export.onnx.Onnx.TypeProto;
import dev.graft.export.onnx.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/** Builds an ONNX graph: nodes in order, initializers, typed inputs and outputs. */
final class OnnxGraph {

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Map<String, Integer> used = new HashMap<>();

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /** A value name not used before, from {@code base}. */
    String fresh(String base) {
        int n = used.merge(base, 1, Integer::sum);
        return n == 1 ? base : base + "_" + n;
    }

    /** Adds a node and returns its (single) output's name. */
    String node(String op, String outputBase, String[] inputs, AttributeProto... attributes) {
        String out = fresh(outputBase);
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out + "_" + op)
                .addOutput(out);
        for (String in : inputs) {
            n.addInput(in);
        }
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return out;
    }

    /** A float32 initializer; returns its name. */
    String floats(String base, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return initializer(base, TensorProto.DataType.FLOAT, b.array(), dims);
    }

    /** An int8 initializer; returns its name. */
    String int8s(String base, byte[] values, long... dims) {
        return initializer(base, TensorProto.DataType.INT8, values, dims);
    }

    /** A uint8 initializer; returns its name. */
    String uint8s(String base, byte[] values, long... dims) {
        return initializer(base, TensorProto.DataType.UINT8, values, dims);
    }

    /** An int32 initializer; returns its name. */
    String int32s(String base, int[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return initializer(base, TensorProto.DataType.INT32, b.array(), dims);
    }

    /** An int64 initializer; returns its name. */
    String int64s(String base, long[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return initializer(base, TensorProto.DataType.INT64, b.array(), dims);
    }

    private String initializer(String base, TensorProto.DataType type, byte[] raw,
            long... dims) {
        String name = fresh(base);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name)
                .setDataType(type.getNumber()).setRawData(ByteString.copyFrom(raw));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** A float32 graph input or output whose first dimension is the variable batch. */
    private static ValueInfoProto batchTensor(String name, long... rest) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long d : rest) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return tensor(name, TensorProto.DataType.FLOAT, shape);
    }

    private static ValueInfoProto tensor(String name, TensorProto.DataType type,
            TensorShapeProto.Builder shape) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(type.getNumber()).setShape(shape)))
                .build();
    }

    void input(String name, long... rest) {
        used.merge(name, 1, Integer::sum);
        graph.addInput(batchTensor(name, rest));
    }

    /** An int64 graph input {@code [batch, tokens]}, both variable (token ids, a mask). */
    void tokenInput(String name) {
        used.merge(name, 1, Integer::sum);
        graph.addInput(tensor(name, TensorProto.DataType.INT64, TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("tokens"))));
    }

    void output(String name, long... rest) {
        graph.addOutput(batchTensor(name, rest));
    }

    GraphProto build() {
        return graph.build();
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
                .setI(value).build();
    }

    static AttributeProto real(String name, float value) {
        return AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }
}
