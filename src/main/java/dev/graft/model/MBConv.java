package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * torchvision's EfficientNet {@code MBConv}: {@code block} = [1x1 expansion conv-BN-SiLU (when
 * the ratio is not 1),] depthwise k x k conv-BN-SiLU with the stride, squeeze-and-excitation to
 * a quarter of the input channels, 1x1 projection conv-BN; plus the input when stride and width
 * allow, the block's output then dropped per example with probability {@code dropProbability}
 * in training and rescaled by {@code 1 / (1 - p)} (stochastic depth, "row" mode).
 */
final class MBConv extends TorchModule {

    private final Sequential block;
    private final boolean residual;
    private final float dropProbability;

    MBConv(int in, int out, int expandRatio, int kernel, int stride, float dropProbability) {
        int expanded = in * expandRatio;
        block = new Sequential();
        if (expanded != in) {
            block.add(convBnAct(expanded, 1, 1, 1, true));
        }
        block.add(convBnAct(expanded, kernel, stride, expanded, true));
        block.add(new SqueezeExcitation(expanded, Math.max(1, in / 4)));
        block.add(convBnAct(out, 1, 1, 1, false));
        register("block", block);
        this.residual = stride == 1 && in == out;
        this.dropProbability = dropProbability;
    }

    /** torchvision's {@code Conv2dNormActivation}: {@code 0} conv, {@code 1} BN, {@code 2} SiLU. */
    static Sequential convBnAct(int filters, int kernel, int stride, int groups,
            boolean activation) {
        Sequential s = new Sequential().add(Layers.conv(filters, kernel, stride, (kernel - 1) / 2,
                groups, false)).add(Layers.batchNorm());
        return activation ? s.add(Layers.silu()) : s;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray y = block.forward(ps, inputs, training, params).head();
        if (!residual) {
            return new NDList(y);
        }
        if (training && dropProbability > 0) {
            float survival = 1 - dropProbability;
            NDArray keep = y.getManager().randomUniform(0f, 1f, new Shape(y.getShape().get(0), 1,
                    1, 1)).lt(survival).toType(y.getDataType(), false).div(survival);
            y = y.mul(keep);
        }
        return new NDList(y.add(inputs.head()));
    }

    @Override
    List<Layer> layers(String path) {
        List<Layer> body = LayerList.of(join(path, "block"), block);
        return residual ? List.of(new Layer.Residual(body, List.of())) : body;
    }

    @Override
    long multiplyAdds(Shape input) {
        return MultiplyAdds.of(block, input);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        block.initialize(manager, dataType, shapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return block.getOutputShapes(inputShapes);
    }
}
