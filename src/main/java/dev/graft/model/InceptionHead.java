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
 * Inception-v3's head: {@code avgpool}, {@code dropout} 0.5, {@code fc}; with the auxiliary
 * classifier kept, also {@code AuxLogits} (5x5 average pooling with stride 3, {@code conv0} 1x1
 * to 128, {@code conv1} 5x5 to 768, global pooling, {@code fc}) on {@code mixed6}'s output, run
 * only by training.
 */
final class InceptionHead extends TorchModule implements AuxiliaryHead {

    /** {@code Mixed_6e}'s output at 299 x 299: the shape AuxLogits is built for. */
    private static final Shape AUX_INPUT = new Shape(1, 768, 17, 17);

    /** The main path, in order. */
    private final List<Block> main;
    private final Sequential aux;

    InceptionHead(int classes, boolean auxLogits) {
        main = List.of(register("avgpool", Layers.globalAvgPool()),
                register("dropout", Layers.dropout(0.5f)),
                register("fc", Layers.linear(classes)));
        aux = auxLogits ? register("AuxLogits", new Sequential()
                .add("pool", Layers.avgPool(5, 3, 0))
                .add("conv0", new BasicConv(128, 1, 1, 0))
                .add("conv1", new BasicConv(768, 5, 1, 0))
                .add("avgpool", Layers.globalAvgPool())
                .add("fc", Layers.linear(classes))) : null;
    }

    @Override
    public String stage() {
        return aux == null ? null : "mixed6";
    }

    @Override
    public double weight() {
        return 0.4;
    }

    @Override
    public NDArray auxiliaryLogits(ParameterStore ps, NDArray stageOutput, boolean training) {
        return aux.forward(ps, new NDList(stageOutput), training).head();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList x = inputs;
        for (Block b : main) {
            x = b.forward(ps, x, training, params);
        }
        return x;
    }

    @Override
    List<Layer> layers(String path) {
        List<Layer> out = new ArrayList<>();
        for (var e : modules().entrySet()) {
            if (!e.getKey().equals("AuxLogits")) {
                out.addAll(LayerList.of(join(path, e.getKey()), e.getValue()));
            }
        }
        return out;
    }

    @Override
    long multiplyAdds(Shape input) {
        return chainMultiplyAdds(main, input);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        initializeChain(main, manager, dataType, shapes);
        if (aux != null) {
            aux.initialize(manager, dataType, AUX_INPUT);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return chainShapes(main, inputShapes);
    }
}
