package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A classifier of feature vectors that is not part of a network: Transfer-Learning-Library's
 * {@code DomainDiscriminator}, {@code Linear(d, h) - BatchNorm1d - ReLU - Linear(h, h) -
 * BatchNorm1d - ReLU - Linear(h, 1)}, returning logits (the sigmoid sits in the loss). Its
 * parameters are named {@code PREFIX.0.weight}, {@code PREFIX.1.running_mean}, ... as the
 * {@code nn.Sequential} would name them.
 */
public final class Discriminator {

    private final Sequential block;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    private Discriminator(Sequential block, String prefix) {
        this.block = block;
        TorchModule.collectParameters(prefix, block, parameters);
    }

    /**
     * @param features input width {@code d}
     * @param hidden width of the two hidden layers (TLL: 1024)
     */
    public static Discriminator create(int features, int hidden, String prefix,
            NDManager manager, long seed) {
        Sequential s = new Sequential().add(Layers.linear(hidden)).add(Layers.batchNorm())
                .add(Layers.relu()).add(Layers.linear(hidden)).add(Layers.batchNorm())
                .add(Layers.relu()).add(Layers.linear(1));
        s.initialize(manager, DataType.FLOAT32, new Shape(2, features));
        Discriminator d = new Discriminator(s, prefix);
        TorchInit.apply(d.parameters, TorchInit.Policy.TORCH_DEFAULT, seed);
        return d;
    }

    /**
     * @param x {@code [batch, d]}
     * @return logits {@code [batch]}
     */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray y = block.forward(ps, new NDList(x), training).head();
        return y.reshape(y.getShape().get(0));
    }

    /** The trained parameters (not BatchNorm's running statistics), by name. */
    public Map<String, Parameter> trainable() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        parameters.forEach((n, p) -> {
            if (p.requiresGradient()) {
                out.put(n, p);
            }
        });
        return out;
    }
}
