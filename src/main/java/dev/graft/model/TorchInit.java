package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PyTorch's initial values, drawn in Java from a seed so a run is reproducible whatever the
 * engine's random state.
 *
 * <ul>
 *   <li>Conv / Linear weight (PyTorch default, {@code kaiming_uniform_(a=sqrt(5))}):
 *       {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}; their bias the same bound.
 *   <li>torchvision ResNet convs: {@code kaiming_normal_(mode="fan_out", relu)}:
 *       {@code N(0, sqrt(2 / fan_out))}.
 *   <li>torchvision VGG and EfficientNet convs the same, their biases 0; linear layers
 *       {@code N(0, 0.01)} (VGG) or {@code U(-1/sqrt(out), 1/sqrt(out))} (EfficientNet), biases 0.
 *   <li>torchvision Inception-v3: conv and linear weights {@code N(0, 0.1)}, the linear bias as
 *       PyTorch's default.
 *   <li>BatchNorm: weight 1, bias 0, running mean 0, running variance 1.
 *   <li>BERT (Hugging Face's {@code _init_weights}): linear and embedding weights
 *       {@code N(0, 0.02)}, biases 0, LayerNorm weight 1 and bias 0.
 * </ul>
 */
final class TorchInit {

    enum Policy {
        TORCH_DEFAULT,
        TORCHVISION_RESNET,
        TORCHVISION_VGG,
        TORCHVISION_EFFICIENTNET,
        TORCHVISION_INCEPTION,
        /** Hugging Face's BERT: weights and embeddings N(0, 0.02), biases 0, LayerNorm 1 / 0. */
        BERT
    }

    private TorchInit() {}

    static void apply(StagedNet net, long seed) {
        apply(net.namedParameters(), net.architecture().init(), seed);
    }

    static void apply(Map<String, Parameter> params, Policy policy, long seed) {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String name = e.getKey();
            NDArray array = e.getValue().getArray();
            Shape shape = array.getShape();
            String owner = name.substring(0, Math.max(0, name.lastIndexOf('.')));
            String leaf = name.substring(name.lastIndexOf('.') + 1);
            boolean batchNorm = params.containsKey(TorchModule.join(owner, "running_mean"));
            float[] v = new float[Math.toIntExact(shape.size())];
            SplittableRandom rng = new SplittableRandom(seed ^ (name.hashCode() * 0x9E3779B97F4A7C15L));
            if (policy == Policy.BERT) {
                if (owner.endsWith("LayerNorm")) {
                    Arrays.fill(v, leaf.equals("weight") ? 1f : 0f);
                } else if (leaf.equals("weight")) {
                    normal(v, 0.02, rng);
                } else {
                    Arrays.fill(v, 0f);
                }
            } else if (batchNorm) {
                Arrays.fill(v, leaf.equals("weight") || leaf.equals("running_var") ? 1f : 0f);
            } else if (leaf.equals("weight")) {
                long fanIn = shape.size() / shape.get(0);
                if (policy == Policy.TORCHVISION_INCEPTION) {
                    // trunc_normal_(std, a=-2, b=2): the bounds are 20 or more deviations;
                    // torchvision gives AuxLogits.conv1 std 0.01 and AuxLogits.fc 0.001
                    normal(v, name.startsWith("AuxLogits.conv1.") ? 0.01
                            : name.startsWith("AuxLogits.fc.") ? 0.001 : 0.1, rng);
                } else if (policy != Policy.TORCH_DEFAULT && shape.dimension() == 4) {
                    // kaiming_normal_(mode="fan_out"): fan_out = out_channels x kernel area
                    long fanOut = shape.get(0) * shape.get(2) * shape.get(3);
                    normal(v, Math.sqrt(2.0 / fanOut), rng);
                } else if (policy == Policy.TORCHVISION_VGG) {
                    normal(v, 0.01, rng);
                } else if (policy == Policy.TORCHVISION_EFFICIENTNET) {
                    uniform(v, 1 / Math.sqrt(shape.get(0)), rng);
                } else {
                    uniform(v, 1 / Math.sqrt(fanIn), rng);
                }
            } else if (leaf.equals("bias") && (policy == Policy.TORCHVISION_VGG
                    || policy == Policy.TORCHVISION_EFFICIENTNET)) {
                Arrays.fill(v, 0f);
            } else if (leaf.equals("bias")) {
                Parameter w = params.get(TorchModule.join(owner, "weight"));
                Shape ws = w.getArray().getShape();
                uniform(v, 1 / Math.sqrt((double) ws.size() / ws.get(0)), rng);
            } else {
                throw new IllegalStateException("no initial value rule for " + name);
            }
            array.set(FloatBuffer.wrap(v));
        }
    }

    private static void normal(float[] v, double std, SplittableRandom rng) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
    }

    private static void uniform(float[] v, double bound, SplittableRandom rng) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
    }
}
