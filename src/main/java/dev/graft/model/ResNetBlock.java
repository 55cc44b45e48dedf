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
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's ResNet blocks: convolution-BatchNorm pairs {@code conv1, bn1, conv2, bn2[, conv3,
 * bn3]} with ReLU between them, then {@code relu(body(x) + shortcut(x))}, the shortcut being
 * {@code downsample} (1x1 conv + BN) when the stride or width changes.
 */
public final class ResNetBlock extends TorchModule {

    /** ResNet-50's bottleneck widens its output to 4 x the inner width. */
    public static final int EXPANSION = 4;

    private final List<Block> body = new ArrayList<>();
    private final Block downsample;

    private ResNetBlock(int inChannels, int outChannels, int stride, int[] widths,
            int[] kernels, int[] strides) {
        for (int i = 0; i < widths.length; i++) {
            body.add(register("conv" + (i + 1), Layers.conv(widths[i], kernels[i], strides[i],
                    kernels[i] / 2)));
            body.add(register("bn" + (i + 1), Layers.batchNorm()));
        }
        downsample = stride != 1 || inChannels != outChannels ? register("downsample",
                new Sequential().add(Layers.conv(outChannels, 1, stride, 0))
                        .add(Layers.batchNorm())) : null;
    }

    /** {@code BasicBlock}: two 3x3 convolutions, the first with the stride. */
    public static ResNetBlock basic(int inChannels, int outChannels, int stride) {
        return new ResNetBlock(inChannels, outChannels, stride, new int[] {outChannels,
            outChannels}, new int[] {3, 3}, new int[] {stride, 1});
    }

    /**
     * {@code Bottleneck} (ResNet v1.5): 1x1 to {@code planes}, 3x3 with the stride, 1x1 to
     * {@code planes x 4}.
     */
    public static ResNetBlock bottleneck(int inChannels, int planes, int stride) {
        return new ResNetBlock(inChannels, planes * EXPANSION, stride, new int[] {planes, planes,
            planes * EXPANSION}, new int[] {1, 3, 1}, new int[] {1, stride, 1});
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList y = inputs;
        for (int i = 0; i < body.size(); i += 2) {
            y = body.get(i).forward(ps, y, training, params);
            y = body.get(i + 1).forward(ps, y, training, params);
            if (i + 2 < body.size()) {
                y = new NDList(Activation.relu(y.head()));
            }
        }
        NDArray shortcut = downsample == null ? inputs.head()
                : downsample.forward(ps, inputs, training, params).head();
        return new NDList(Activation.relu(y.head().add(shortcut)));
    }

    @Override
    List<Layer> layers(String path) {
        List<Layer> layers = new ArrayList<>();
        int i = 0;
        for (var e : modules().entrySet()) {
            if (e.getKey().equals("downsample")) {
                continue;
            }
            layers.addAll(LayerList.of(join(path, e.getKey()), e.getValue()));
            if (++i % 2 == 0 && i < body.size()) {
                layers.add(new Layer.Relu());
            }
        }
        List<Layer> shortcut = downsample == null ? List.of()
                : LayerList.of(join(path, "downsample"), downsample);
        return List.of(new Layer.Residual(layers, shortcut), new Layer.Relu());
    }

    @Override
    long multiplyAdds(Shape input) {
        return (downsample == null ? 0 : MultiplyAdds.of(downsample, input))
                + chainMultiplyAdds(body, input);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        initializeChain(body, manager, dataType, shapes);
        if (downsample != null) {
            downsample.initialize(manager, dataType, shapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return chainShapes(body, inputShapes);
    }
}
