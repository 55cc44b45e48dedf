package dev.graft.model;

import ai.djl.ndarray.types.Shape;
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
            List<Integer> w = layerWidths(o);
            return List.of(
                    new Stage("layer1", "layer1", new Sequential().add("flatten", Layers.flatten())
                            .add("fc", linear("layer1.fc", w.get(0), o))
                            .add("relu", Layers.relu())),
                    new Stage("layer2", "layer2", new Sequential()
                            .add("fc", linear("layer2.fc", w.get(1), o))
                            .add("relu", Layers.relu())));
        }

        @Override
        List<Integer> defaultWidths(ModelOptions o) {
            return List.of(300, 100);
        }

        @Override
        public List<ChannelGroup> channelGroups(int[] inputShape) {
            return List.of(units("layer1.fc", "layer2.fc.weight", 1),
                    units("layer2.fc", "head.weight", 1));
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
            List<Integer> w = layerWidths(o);
            return List.of(
                    new Stage("stage1", "stage1", convStage("stage1", w.get(0), w.get(1), o)),
                    new Stage("stage2", "stage2", convStage("stage2", w.get(2), w.get(3), o)),
                    new Stage("stage3", "stage3", new Sequential().add(Layers.flatten())
                            .add(linear("stage3.1", w.get(4), o)).add(Layers.relu())
                            .add(Layers.dropout(0.3f))));
        }

        @Override
        List<Integer> defaultWidths(ModelOptions o) {
            return List.of(o.channels(32), o.channels(32), o.channels(64), o.channels(64),
                    o.channels(256));
        }

        @Override
        public List<ChannelGroup> channelGroups(int[] inputShape) {
            // two 2x2 max-pools: stage3's linear layer reads (h/4) * (w/4) inputs per channel
            int perChannel = (inputShape[1] / 2 / 2) * (inputShape[2] / 2 / 2);
            return List.of(conv("stage1.0", "stage1.1.conv.weight", 1),
                    conv("stage1.1", "stage2.0.conv.weight", 1),
                    conv("stage2.0", "stage2.1.conv.weight", 1),
                    conv("stage2.1", "stage3.1.weight", perChannel),
                    units("stage3.1", "head.weight", 1));
        }

        private ChannelGroup conv(String layer, String consumer, int blockSize) {
            String bn = layer + ".bn.";
            return new ChannelGroup(layer + ".conv", List.of(layer + ".conv.weight", bn + "weight",
                    bn + "bias", bn + "running_mean", bn + "running_var"),
                    List.of(new ChannelGroup.Consumer(consumer, blockSize)));
        }

        private Sequential convStage(String stage, int first, int second, ModelOptions o) {
            return new Sequential().add(convBnRelu(stage + ".0.conv", first, o))
                    .add(convBnRelu(stage + ".1.conv", second, o)).add(Layers.maxPool(2, 2, 0));
        }

        private Sequential convBnRelu(String path, int channels, ModelOptions o) {
            return new Sequential().add("conv", conv3x3(path, channels, o))
                    .add("bn", Layers.batchNorm()).add("relu", Layers.relu());
        }

        @Override
        Stage head(int classes, ModelOptions o) {
            return new Stage(StagedNet.HEAD, "head", Layers.linear(classes));
        }
    },

    /** torchvision's ResNet-18, names and layout; small-image stem as an option. */
    RESNET18("resnet18", "torchvision ResNet-18 (BasicBlock x [2, 2, 2, 2])",
            TorchInit.Policy.TORCHVISION_RESNET, 1,
            (in, o) -> Torchvision.resnet(in, o, false, 2, 2, 2, 2), (k, o) -> Torchvision.resnetHead(k)),

    /** torchvision's ResNet-34. */
    RESNET34("resnet34", "torchvision ResNet-34 (BasicBlock x [3, 4, 6, 3])",
            TorchInit.Policy.TORCHVISION_RESNET, 1,
            (in, o) -> Torchvision.resnet(in, o, false, 3, 4, 6, 3), (k, o) -> Torchvision.resnetHead(k)),

    /** torchvision's ResNet-50 (v1.5: the stride on the 3x3 convolution). */
    RESNET50("resnet50", "torchvision ResNet-50 (Bottleneck x [3, 4, 6, 3])",
            TorchInit.Policy.TORCHVISION_RESNET, 1,
            (in, o) -> Torchvision.resnet(in, o, true, 3, 4, 6, 3), (k, o) -> Torchvision.resnetHead(k)),

    /** torchvision's VGG-16 (configuration D); its five 2x2 max-pools need 32 pixels. */
    VGG16("vgg16", "torchvision VGG-16 (13 conv3x3 in 5 blocks, 2 x FC-4096)",
            TorchInit.Policy.TORCHVISION_VGG, 32, (in, o) -> Torchvision.vgg16(false),
            (k, o) -> Torchvision.vggHead(k)),

    /** torchvision's VGG-16 with BatchNorm after every convolution. */
    VGG16_BN("vgg16_bn", "torchvision VGG-16 with BatchNorm", TorchInit.Policy.TORCHVISION_VGG,
            32, (in, o) -> Torchvision.vgg16(true), (k, o) -> Torchvision.vggHead(k)),

    /** torchvision's EfficientNet-B0. */
    EFFICIENTNET_B0("efficientnet_b0", "torchvision EfficientNet-B0 (MBConv, SiLU,"
            + " squeeze-and-excitation, stochastic depth)",
            TorchInit.Policy.TORCHVISION_EFFICIENTNET, 1, (in, o) -> Torchvision.efficientNetB0(),
            (k, o) -> Torchvision.efficientNetHead(k)),

    /**
     * torchvision's Inception-v3; 75 x 75 pixels at least, 299 as trained (and as its auxiliary
     * classifier, {@link ModelOptions#auxLogits}, needs).
     */
    INCEPTION_V3("inception_v3", "torchvision Inception-v3 (auxiliary head optional)",
            TorchInit.Policy.TORCHVISION_INCEPTION, 75, (in, o) -> Torchvision.inceptionV3(),
            Torchvision::inceptionHead),

    /**
     * A BERT-family text encoder (BERT, MiniLM, bge, e5; sizes in {@link ModelOptions#text()})
     * with Hugging Face's parameter names; input shape {@code [tokens]}, the longest sequence
     * shapes are computed for. See {@link Bert}.
     */
    BERT("bert", "BERT-family text encoder (embeddings, N transformer layers, mean pooling)",
            TorchInit.Policy.BERT, 1, (in, o) -> Bert.stages(o.text()), (k, o) -> Bert.head(k)),

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

    /** Builds an architecture's stages for an input shape. */
    private interface Trunk {
        List<Stage> stages(int[] inputShape, ModelOptions o);
    }

    /** Builds an architecture's head. */
    private interface Head {
        Stage head(int classes, ModelOptions o);
    }

    private final String id;
    private final String description;
    private final TorchInit.Policy init;
    private final int minimumSide;
    private final Trunk trunk;
    private final Head head;

    Architecture(String id, String description, TorchInit.Policy init) {
        this(id, description, init, 1, null, null);
    }

    Architecture(String id, String description, TorchInit.Policy init, int minimumSide,
            Trunk trunk, Head head) {
        this.id = id;
        this.description = description;
        this.init = init;
        this.minimumSide = minimumSide;
        this.trunk = trunk;
        this.head = head;
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

    List<Stage> stages(int[] inputShape, ModelOptions o) {
        return trunk.stages(inputShape, o);
    }

    Stage head(int classes, ModelOptions o) {
        return head.head(classes, o);
    }

    /**
     * {@code nn.Linear(in, units)}, or, when {@code o} gives the layer at {@code path} a rank
     * r, its low-rank factorization {@code nn.Sequential(nn.Linear(in, r, bias=False),
     * nn.Linear(r, units))}.
     */
    private static ai.djl.nn.Block linear(String path, int units, ModelOptions o) {
        Integer r = o.rank(path);
        return r == null ? Layers.linear(units) : new Sequential()
                .add(Layers.linear(r, false)).add(Layers.linear(units));
    }

    /**
     * A 3x3 convolution (stride 1, padding 1, no bias), or, when {@code o} gives it a rank r, a
     * 3x3 convolution to r channels followed by a 1x1 convolution to {@code filters}.
     */
    private static ai.djl.nn.Block conv3x3(String path, int filters, ModelOptions o) {
        Integer r = o.rank(path);
        return r == null ? Layers.conv(filters, 3, 1, 1) : new Sequential()
                .add(Layers.conv(r, 3, 1, 1)).add(Layers.conv(filters, 1, 1, 0));
    }

    /**
     * The layers {@link ModelOptions#ranks()} may factorize, by path (the trunk's linear and
     * convolution layers; not the head, which {@link StagedNet#withHead} replaces).
     */
    public List<String> factorizableLayers() {
        return switch (this) {
            case MLP -> List.of("layer1.fc", "layer2.fc");
            case CONVNET -> List.of("stage1.0.conv", "stage1.1.conv", "stage2.0.conv",
                    "stage2.1.conv", "stage3.1");
            default -> List.of();
        };
    }

    /** The image side torchvision's ImageNet weights for it expect: 299 for Inception-v3, else 224. */
    public int imageNetSide() {
        return this == INCEPTION_V3 ? 299 : 224;
    }

    /** The smallest image side the architecture takes. */
    int minimumSide() {
        return minimumSide;
    }

    /** The layer widths {@code o.width()} gives, in {@link #channelGroups} order. */
    List<Integer> defaultWidths(ModelOptions o) {
        return List.of();
    }

    /**
     * The layers whose output channels (or units) can be removed, with every tensor each one's
     * channels index; empty where channels are tied across residual sums (resnet18) or there is
     * no hidden layer (linear). {@link ModelOptions#widths()} lists their widths in this order.
     */
    public List<ChannelGroup> channelGroups(int[] inputShape) {
        return List.of();
    }

    /** The width of every layer of {@link #channelGroups}, as built from {@code o}. */
    public List<Integer> layerWidths(ModelOptions o) {
        return o.widths() != null ? o.widths() : defaultWidths(o);
    }

    private static ChannelGroup units(String layer, String consumer, int blockSize) {
        return new ChannelGroup(layer, List.of(layer + ".weight", layer + ".bias"),
                List.of(new ChannelGroup.Consumer(consumer, blockSize)));
    }

    /** Whether the network reads token ids and a mask rather than images. */
    public boolean isText() {
        return this == BERT;
    }

    /**
     * The shapes of one batch's inputs: {@code [batch, channels, height, width]} for images,
     * {@code [batch, tokens]} for the ids and the mask of a text encoder.
     */
    public Shape[] batchInputShapes(int[] inputShape, long batch) {
        return isText() ? Bert.inputShapes(inputShape[0], batch)
                : new Shape[] {new Shape(batch, inputShape[0], inputShape[1], inputShape[2])};
    }

    /**
     * An uninitialized network for inputs {@code [channels, height, width]}, or {@code [tokens]}
     * for a text encoder.
     */
    public StagedNet build(int[] inputShape, int classes, ModelOptions options) {
        if (isText()) {
            if (options.text() == null) {
                throw new IllegalArgumentException(id + " needs its sizes (ModelOptions.text)");
            }
            if (inputShape.length != 1 || inputShape[0] < 1
                    || inputShape[0] > options.text().maxPositions()) {
                throw new IllegalArgumentException("a text encoder's input shape is [tokens],"
                        + " 1 to " + options.text().maxPositions() + ", got "
                        + Arrays.toString(inputShape));
            }
            if (classes < 2) {
                throw new IllegalArgumentException("a classifier needs at least 2 classes, got "
                        + classes);
            }
            return new StagedNet(this, options, inputShape, classes, stages(inputShape, options),
                    head(classes, options));
        }
        if (options.text() != null) {
            throw new IllegalArgumentException(id + " is not a text encoder; its options carry"
                    + " no text sizes");
        }
        if (inputShape.length != 3 || Arrays.stream(inputShape).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("input shape must be [channels, height, width], got "
                    + Arrays.toString(inputShape));
        }
        if (Math.min(inputShape[1], inputShape[2]) < minimumSide()) {
            throw new IllegalArgumentException(id + " needs images of at least " + minimumSide()
                    + "x" + minimumSide() + " pixels, got " + inputShape[1] + "x"
                    + inputShape[2]);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got "
                    + classes);
        }
        if (options.ranks() != null && !factorizableLayers().containsAll(
                options.ranks().keySet())) {
            throw new IllegalArgumentException(id + " can factorize " + factorizableLayers()
                    + ", not " + options.ranks().keySet());
        }
        if (options.widths() != null
                && options.widths().size() != channelGroups(inputShape).size()) {
            throw new IllegalArgumentException(id + " has " + channelGroups(inputShape).size()
                    + " layers whose width can be set, got widths " + options.widths());
        }
        if (options.width() != 1 && this != CONVNET) {
            throw new IllegalArgumentException(id + " takes no --width (it multiplies convnet's"
                    + " channels); drop it");
        }
        if (options.hasAuxLogits() && this != INCEPTION_V3) {
            throw new IllegalArgumentException(id + " has no auxiliary classifier (auxLogits is"
                    + " for inception_v3)");
        }
        StagedNet net = new StagedNet(this, options, inputShape, classes, stages(inputShape,
                options), head(classes, options));
        AuxiliaryHead aux = net.auxiliaryHead();
        if (aux != null) {
            Shape[] s = {net.batchInputShape(1)};
            for (StagedNet.Stage st : net.stages()) {
                s = st.block().getOutputShapes(s);
                if (st.name().equals(aux.stage()) && Math.min(s[0].get(2), s[0].get(3)) < 17) {
                    throw new IllegalArgumentException(id + "'s auxiliary classifier needs "
                            + aux.stage() + " maps of at least 17x17 (299 x 299 images), got "
                            + s[0] + " from " + inputShape[1] + "x" + inputShape[2]);
                }
            }
        }
        return net;
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
