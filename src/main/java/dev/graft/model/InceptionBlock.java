package dev.graft.model;

import ai.djl.ndarray.NDArrays;
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
 * An Inception module ({@code InceptionA..E} of torchvision's Inception-v3): branches run on the
 * same input and are concatenated along channels. A branch is a sequence of steps: a named
 * {@link BasicConv} child, a parameter-free pooling, or a split into sub-branches that are
 * themselves concatenated (InceptionE's 1x3 / 3x1 pairs).
 */
final class InceptionBlock extends TorchModule {

    /** One step of a branch. */
    sealed interface Step {}

    /** The child registered under {@code name}. */
    record Child(String name) implements Step {}

    /** A parameter-free block (pooling), not part of the state_dict. */
    record Op(Block block) implements Step {}

    /** Sub-branches on the same input, concatenated. */
    record Split(List<List<Step>> branches) implements Step {}

    private final List<List<Step>> branches = new ArrayList<>();

    /** Registers {@code conv} as a child called {@code name} and returns its step. */
    Step conv(String name, BasicConv conv) {
        register(name, conv);
        return new Child(name);
    }

    /** Adds a branch of {@code steps}. */
    InceptionBlock branch(Step... steps) {
        branches.add(List.of(steps));
        return this;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return concat(branches, inputs, ps, training, params);
    }

    private NDList concat(List<List<Step>> list, NDList x, ParameterStore ps, boolean training,
            PairList<String, Object> params) {
        NDList parts = new NDList();
        for (List<Step> branch : list) {
            NDList y = x;
            for (Step s : branch) {
                if (s instanceof Split sp) {
                    y = concat(sp.branches(), y, ps, training, params);
                } else {
                    y = block(s).forward(ps, y, training, params);
                }
            }
            parts.add(y.head());
        }
        return new NDList(NDArrays.concat(parts, 1));
    }

    /** The block of a child or op step. */
    private Block block(Step s) {
        return s instanceof Child c ? modules().get(c.name()) : ((Op) s).block();
    }

    @Override
    List<Layer> layers(String path) {
        return List.of(describe(path, branches));
    }

    private Layer describe(String path, List<List<Step>> list) {
        List<List<Layer>> out = new ArrayList<>();
        for (List<Step> branch : list) {
            List<Layer> layers = new ArrayList<>();
            for (Step s : branch) {
                if (s instanceof Split sp) {
                    layers.add(describe(path, sp.branches()));
                } else {
                    String at = s instanceof Child c ? join(path, c.name()) : path;
                    layers.addAll(LayerList.of(at, block(s)));
                }
            }
            out.add(layers);
        }
        return new Layer.Concat(out);
    }

    @Override
    long multiplyAdds(Shape input) {
        return walk(branches, input, null, null).multiplyAdds;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        walk(branches, shapes[0], manager, dataType);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {walk(branches, inputShapes[0], null, null).output};
    }

    private record Walk(Shape output, long multiplyAdds) {}

    /** Follows shapes through the branches, initializing children when given a manager. */
    private Walk walk(List<List<Step>> list, Shape input, NDManager manager, DataType type) {
        long channels = 0;
        long macs = 0;
        Shape last = null;
        for (List<Step> branch : list) {
            Shape s = input;
            for (Step step : branch) {
                if (step instanceof Split sp) {
                    Walk w = walk(sp.branches(), s, manager, type);
                    macs += w.multiplyAdds;
                    s = w.output;
                    continue;
                }
                Block b = block(step);
                if (manager != null && step instanceof Child) {
                    b.initialize(manager, type, s);
                }
                macs += MultiplyAdds.of(b, s);
                s = b.getOutputShapes(new Shape[] {s})[0];
            }
            channels += s.get(1);
            last = s;
        }
        return new Walk(new Shape(last.get(0), channels, last.get(2), last.get(3)), macs);
    }
}
