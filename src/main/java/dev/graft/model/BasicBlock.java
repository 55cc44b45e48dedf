package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * torchvision's ResNet {@code BasicBlock}: {@code relu(bn2(conv2(relu(bn1(conv1(x))))) +
 * shortcut(x))}, the shortcut being {@code downsample} (1x1 conv + BN) when the stride or width
 * changes.
 */
public final class BasicBlock extends TorchModule {

    private final Block conv1;
    private final Block bn1;
    private final Block conv2;
    private final Block bn2;
    private final Block downsample;

    public BasicBlock(int inChannels, int outChannels, int stride) {
        conv1 = register("conv1", Layers.conv(outChannels, 3, stride, 1));
        bn1 = register("bn1", Layers.batchNorm());
        conv2 = register("conv2", Layers.conv(outChannels, 3, 1, 1));
        bn2 = register("bn2", Layers.batchNorm());
        if (stride != 1 || inChannels != outChannels) {
            downsample = register("downsample", new Sequential()
                    .add(Layers.conv(outChannels, 1, stride, 0)).add(Layers.batchNorm()));
        } else {
            downsample = null;
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList y = conv1.forward(ps, inputs, training, params);
        y = bn1.forward(ps, y, training, params);
        y = new NDList(Activation.relu(y.head()));
        y = conv2.forward(ps, y, training, params);
        y = bn2.forward(ps, y, training, params);
        NDArray shortcut = downsample == null ? inputs.head()
                : downsample.forward(ps, inputs, training, params).head();
        return new NDList(Activation.relu(y.head().add(shortcut)));
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        conv1.initialize(manager, dataType, shapes);
        Shape[] s = conv1.getOutputShapes(shapes);
        bn1.initialize(manager, dataType, s);
        conv2.initialize(manager, dataType, s);
        bn2.initialize(manager, dataType, conv2.getOutputShapes(s));
        if (downsample != null) {
            downsample.initialize(manager, dataType, shapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return conv2.getOutputShapes(conv1.getOutputShapes(inputShapes));
    }
}
