package dev.graft.model;

import dev.graft.model.StagedNet.Stage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The registry of architectures. Each builds its stages and head with PyTorch-compatible
 * parameter names, so a checkpoint loads into the equivalent {@code torch.nn.Module} (see
 * {@code bench/graft_models.py}).
 */
public enum Architecture {

    /** LeNet-300-100: flatten, 300, 100, classes, ReLU between. */
    MLP("mlp", "LeNet-300-100 (input-300-100-classes, ReLU)", TorchInit.Policy.TORCH_DEFAULT) {
        @Override
        List<Stage> stages(int[] inputShape, ModelOptions o) {
            return List.of(
                    new Stage("layer1", "layer1", new Sequential().add("flatten", Layers.flatten())
                            .add("fc", Layers.linear(300)).add("relu", Layers.relu())),
                    new Stage("layer2", "layer2", new Sequential()
                            .add("fc", Layers.linear(100)).add("relu", Layers.relu())));
        }

        @Override
        Stage head(int classes, ModelOptions o) {
            return new Stage(StagedNet.HEAD, "head", Layers.linear(classes));
        }
    },

    /**
     * Two conv stages of 2 x [conv3x3 - BN - ReLU] + max-pool (32 then 64 channels, times
     * width), then flatten - linear(256) - ReLU - dropout(0.3), then the head.
     */
    CONVNET("convnet", "2 x (2 x conv3x3-BN-ReLU, maxpool) + FC-256 + dropout",
            TorchInit.Policy.TORCH_DEFAULT) {
        @Override
        List<Stage> stages(int[] inputShape, ModelOptions o) {
            return List.of(
                    new Stage("stage1", "stage1", convStage(o.channels(32))),
                    new Stage("stage2", "stage2", convStage(o.channels(64))),
                    new Stage("stage3", "stage3", new Sequential().add(Layers.flatten())
                            .add(Layers.linear(o.channels(256))).add(Layers.relu())
                            .add(Layers.dropout(0.3f))));
        }

        private Sequential convStage(int channels) {
            return new Sequential().add(convBnRelu(channels)).add(convBnRelu(channels))
                    .add(Layers.maxPool(2, 2, 0));
        }

        private Sequential convBnRelu(int channels) {
            return new Sequential().add("conv", Layers.conv(channels, 3, 1, 1))
                    .add("bn", Layers.batchNorm()).add("relu", Layers.relu());
        }

        @Override
        Stage head(int classes, ModelOptions o) {
            return new Stage(StagedNet.HEAD, "head", Layers.linear(classes));
        }
    },

    /** torchvision's ResNet-18, names and layout; small-image stem as an option. */
    RESNET18("resnet18", "torchvision ResNet-18 (BasicBlock x [2, 2, 2, 2])",
            TorchInit.Policy.TORCHVISION_RESNET) {
        @Override
        List<Stage> stages(int[] inputShape, ModelOptions o) {
            Sequential stem = new Sequential();
            if (o.useSmallStem(inputShape)) {
                stem.add("conv1", Layers.conv(64, 3, 1, 1));
            } else {
                stem.add("conv1", Layers.conv(64, 7, 2, 3));
            }
            stem.add("bn1", Layers.batchNorm()).add("relu", Layers.relu());
            if (!o.useSmallStem(inputShape)) {
                stem.add("maxpool", Layers.maxPool(3, 2, 1));
            }
            List<Stage> out = new ArrayList<>();
            out.add(new Stage("stem", "", stem));
            int[] widths = {64, 128, 256, 512};
            int in = 64;
            for (int i = 0; i < widths.length; i++) {
                int stride = i == 0 ? 1 : 2;
                String name = "layer" + (i + 1);
                out.add(new Stage(name, name, new Sequential()
                        .add(new BasicBlock(in, widths[i], stride))
                        .add(new BasicBlock(widths[i], widths[i], 1))));
                in = widths[i];
            }
            return out;
        }

        @Override
        Stage head(int classes, ModelOptions o) {
            return new Stage(StagedNet.HEAD, "", new Sequential()
                    .add("avgpool", Layers.globalAvgPool()).add("flatten", Layers.flatten())
                    .add("fc", Layers.linear(classes)));
        }
    },

    /**
     * Logistic regression on a vector: no stages, the head is flatten then {@code fc}. Trains
     * softmax probes on cached features with the same loop as everything else.
     */
    LINEAR("linear", "multinomial logistic regression (no stages; for probes on features)",
            TorchInit.Policy.TORCH_DEFAULT) {
        @Override
        List<Stage> stages(int[] inputShape, ModelOptions o) {
            return List.of();
        }

        @Override
        Stage head(int classes, ModelOptions o) {
            return new Stage(StagedNet.HEAD, "", new Sequential().add("flatten", Layers.flatten())
                    .add("fc", Layers.linear(classes)));
        }
    };

    private final String id;
    private final String description;
    private final TorchInit.Policy init;

    Architecture(String id, String description, TorchInit.Policy init) {
        this.id = id;
        this.description = description;
        this.init = init;
    }

    /** The name used on the command line and in {@code model.json}. */
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    TorchInit.Policy init() {
        return init;
    }

    abstract List<Stage> stages(int[] inputShape, ModelOptions o);

    abstract Stage head(int classes, ModelOptions o);

    /** An uninitialized network for inputs {@code [channels, height, width]}. */
    public StagedNet build(int[] inputShape, int classes, ModelOptions options) {
        if (inputShape.length != 3 || Arrays.stream(inputShape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("input shape must be [channels, height, width], got "
                    + Arrays.toString(inputShape));
        }
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got "
                    + classes);
        }
        return new StagedNet(this, options, inputShape, classes, stages(inputShape, options),
                head(classes, options));
    }

    /** The architecture called {@code id}, or an error listing the known ones. */
    public static Architecture byId(String id) {
        for (Architecture a : values()) {
            if (a.id.equalsIgnoreCase(id)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + id + "'; known: "
                + String.join(", ", ids()));
    }

    /** All architecture ids. */
    public static List<String> ids() {
        List<String> ids = new ArrayList<>();
        for (Architecture a : values()) {
            ids.add(a.id);
        }
        return ids;
    }
}
