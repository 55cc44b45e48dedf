package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's {@code SqueezeExcitation}: {@code x * sigmoid(fc2(silu(fc1(avgpool(x)))))}, the
 * {@code fc}s being 1x1 convolutions with bias, {@code fc1} to {@code squeeze} channels.
 */
final class SqueezeExcitation extends TorchModule {

    private final Block fc1;
    private final Block fc2;

    SqueezeExcitation(int channels, int squeeze) {
        register("avgpool", Layers.adaptiveAvgPool(1, 1));
        fc1 = register("fc1", Layers.conv(squeeze, 1, 1, 0, 1, true));
        fc2 = register("fc2", Layers.conv(channels, 1, 1, 0, 1, true));
        register("activation", Layers.silu());
        register("scale_activation", Layers.sigmoid());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDList s = new NDList(Layers.adaptiveAvgPool(x, 1, 1));
        s = fc1.forward(ps, s, training, params);
        s = fc2.forward(ps, new NDList(Layers.silu(s.head())), training, params);
        return new NDList(x.mul(ai.djl.nn.Activation.sigmoid(s.head())));
    }

    @Override
    List<Layer> layers(String path) {
        List<Layer> gate = new ArrayList<>();
        gate.add(new Layer.AdaptiveAvgPool(1, 1));
        gate.addAll(LayerList.of(join(path, "fc1"), fc1));
        gate.add(new Layer.Silu());
        gate.addAll(LayerList.of(join(path, "fc2"), fc2));
        gate.add(new Layer.Sigmoid());
        return List.of(new Layer.Scale(gate));
    }

    @Override
    long multiplyAdds(Shape input) {
        Shape pooled = new Shape(input.get(0), input.get(1), 1, 1);
        return MultiplyAdds.of(fc1, pooled)
                + MultiplyAdds.of(fc2, fc1.getOutputShapes(new Shape[] {pooled})[0]);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        Shape pooled = new Shape(shapes[0].get(0), shapes[0].get(1), 1, 1);
        fc1.initialize(manager, dataType, pooled);
        fc2.initialize(manager, dataType, fc1.getOutputShapes(new Shape[] {pooled}));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
