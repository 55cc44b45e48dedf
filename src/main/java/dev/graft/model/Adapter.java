package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A learned map from one network's features into another's feature space (FitNets' regressor):
 * {@code nn.Conv2d(in, out, 1)} with bias for feature maps {@code [b, c, h, w]},
 * {@code nn.Linear(in, out)} for vectors {@code [b, d]}, initialized as PyTorch initializes them.
 * Its parameters are named {@code PREFIX.weight} and {@code PREFIX.bias}.
 */
public final class Adapter {

    private final Block block;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    private Adapter(Block block, String prefix) {
        this.block = block;
        TorchModule.collectParameters(prefix, block, parameters);
    }

    /**
     * An adapter taking inputs of {@code inputShape} (batch first) to {@code outChannels}
     * channels (maps) or units (vectors).
     */
    public static Adapter create(Shape inputShape, int outChannels, String prefix,
            NDManager manager, long seed) {
        Block b;
        if (inputShape.dimension() == 4) {
            b = Conv2d.builder().setFilters(outChannels).setKernelShape(new Shape(1, 1)).build();
        } else if (inputShape.dimension() == 2) {
            b = Linear.builder().setUnits(outChannels).build();
        } else {
            throw new IllegalArgumentException("an adapter maps [batch, channels, height, width]"
                    + " or [batch, features]; got " + inputShape);
        }
        b.initialize(manager, DataType.FLOAT32, inputShape);
        Adapter a = new Adapter(b, prefix);
        TorchInit.apply(a.parameters, TorchInit.Policy.TORCH_DEFAULT, seed);
        return a;
    }

    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return block.forward(ps, new NDList(x), training).head();
    }

    /** {@code PREFIX.weight}, {@code PREFIX.bias}. */
    public Map<String, Parameter> parameters() {
        return java.util.Collections.unmodifiableMap(parameters);
    }

    /** Number of trainable values. */
    public long parameterCount() {
        return parameters.values().stream().mapToLong(p -> p.getArray().size()).sum();
    }
}
