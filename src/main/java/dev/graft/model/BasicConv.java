package dev.graft.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * Inception-v3's {@code BasicConv2d}: {@code conv} (no bias, any kernel and padding per axis),
 * {@code bn} with epsilon 0.001, ReLU.
 */
final class BasicConv extends TorchModule {

    static final float EPSILON = 1e-3f;

    private final Block conv;
    private final Block bn;

    BasicConv(int filters, int kh, int kw, int stride, int ph, int pw) {
        conv = register("conv", Layers.conv(filters, kh, kw, stride, ph, pw));
        bn = register("bn", Layers.batchNorm(EPSILON));
    }

    /** A square {@code kernel}. */
    BasicConv(int filters, int kernel, int stride, int padding) {
        this(filters, kernel, kernel, stride, padding, padding);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList y = bn.forward(ps, conv.forward(ps, inputs, training, params), training, params);
        return new NDList(Activation.relu(y.head()));
    }

    @Override
    List<Layer> layers(String path) {
        Layer c = LayerList.of(join(path, "conv"), conv).get(0);
        return List.of(c, new Layer.BatchNorm(join(path, "bn"), EPSILON), new Layer.Relu());
    }

    @Override
    long multiplyAdds(Shape input) {
        return MultiplyAdds.of(conv, input);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        conv.initialize(manager, dataType, shapes);
        bn.initialize(manager, dataType, conv.getOutputShapes(shapes));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return conv.getOutputShapes(inputShapes);
    }
}
