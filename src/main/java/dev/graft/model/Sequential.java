package dev.graft.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/** Children applied in order, like {@code torch.nn.Sequential} with named or numbered children. */
public final class Sequential extends TorchModule {

    /** Appends a child named by its position ({@code 0}, {@code 1}, ...). */
    public Sequential add(Block block) {
        register(Integer.toString(modules().size()), block);
        return this;
    }

    /** Appends a named child. */
    public Sequential add(String name, Block block) {
        register(name, block);
        return this;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList x = inputs;
        for (Block b : modules().values()) {
            x = b.forward(ps, x, training, params);
        }
        return x;
    }

    @Override
    List<Layer> layers(String path) {
        List<Layer> out = new ArrayList<>();
        modules().forEach((name, child) -> out.addAll(LayerList.of(join(path, name), child)));
        return out;
    }

    @Override
    long multiplyAdds(Shape input) {
        return chainMultiplyAdds(modules().values(), input);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        initializeChain(modules().values(), manager, dataType, shapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return chainShapes(modules().values(), inputShapes);
    }
}
