package dev.graft.model;

import dev.graft.model.StagedNet.Stage;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's classification networks as stages, with its exact module layout so every
 * parameter has its {@code state_dict} name: ResNet, VGG, EfficientNet.
 */
final class Torchvision {

    private Torchvision() {}

    /**
     * ResNet: {@code stem} ({@code conv1, bn1, relu, maxpool} at the top level, or a 3x3
     * stride-1 {@code conv1} without max-pooling for small images), {@code layer1..layer4}.
     *
     * @param blocks blocks per layer, e.g. {@code [3, 4, 6, 3]}
     */
    static List<Stage> resnet(int[] inputShape, ModelOptions o, boolean bottleneck,
            int... blocks) {
        Sequential stem = new Sequential();
        boolean small = o.useSmallStem(inputShape);
        stem.add("conv1", small ? Layers.conv(64, 3, 1, 1) : Layers.conv(64, 7, 2, 3));
        stem.add("bn1", Layers.batchNorm()).add("relu", Layers.relu());
        if (!small) {
            stem.add("maxpool", Layers.maxPool(3, 2, 1));
        }
        List<Stage> out = new ArrayList<>();
        out.add(new Stage("stem", "", stem));
        int in = 64;
        for (int i = 0; i < blocks.length; i++) {
            int planes = 64 << i;
            String name = "layer" + (i + 1);
            Sequential layer = new Sequential();
            for (int b = 0; b < blocks[i]; b++) {
                int stride = b == 0 && i > 0 ? 2 : 1;
                ResNetBlock block = bottleneck ? ResNetBlock.bottleneck(in, planes, stride)
                        : ResNetBlock.basic(in, planes, stride);
                layer.add(block);
                in = bottleneck ? planes * ResNetBlock.EXPANSION : planes;
            }
            out.add(new Stage(name, name, layer));
        }
        return out;
    }

    /** ResNet's head: {@code avgpool}, flatten, {@code fc}. */
    static Stage resnetHead(int classes) {
        return new Stage(StagedNet.HEAD, "", new Sequential()
                .add("avgpool", Layers.globalAvgPool()).add("flatten", Layers.flatten())
                .add("fc", Layers.linear(classes)));
    }

    /** VGG-16 ("configuration D"): channels per convolution, 0 for a 2x2 max-pool. */
    private static final int[][] VGG16 = {{64, 64}, {128, 128}, {256, 256, 256},
        {512, 512, 512}, {512, 512, 512}};

    /**
     * VGG-16: {@code block1..block5} (the numbered children of {@code features}: 3x3 convs with
     * bias [, BN], ReLU, then a 2x2 max-pool), and {@code classifier}: {@code avgpool} to 7x7,
     * flatten, {@code classifier.0} linear 4096, ReLU, dropout 0.5, {@code classifier.3} linear
     * 4096, ReLU, dropout 0.5.
     */
    static List<Stage> vgg16(boolean batchNorm) {
        List<Stage> out = new ArrayList<>();
        int index = 0;
        for (int b = 0; b < VGG16.length; b++) {
            Sequential block = new Sequential();
            for (int channels : VGG16[b]) {
                block.add(Integer.toString(index++), Layers.conv(channels, 3, 1, 1, 1, true));
                if (batchNorm) {
                    block.add(Integer.toString(index++), Layers.batchNorm());
                }
                block.add(Integer.toString(index++), Layers.relu());
            }
            block.add(Integer.toString(index++), Layers.maxPool(2, 2, 0));
            out.add(new Stage("block" + (b + 1), "features", block));
        }
        out.add(new Stage("classifier", "", new Sequential()
                .add("avgpool", Layers.adaptiveAvgPool(7, 7)).add("flatten", Layers.flatten())
                .add("classifier", new Sequential().add(Layers.linear(4096)).add(Layers.relu())
                        .add(Layers.dropout(0.5f)).add(Layers.linear(4096)).add(Layers.relu())
                        .add(Layers.dropout(0.5f)))));
        return out;
    }

    /** VGG's head: {@code classifier.6}, the last linear layer. */
    static Stage vggHead(int classes) {
        return new Stage(StagedNet.HEAD, "classifier", new Sequential()
                .add("6", Layers.linear(classes)));
    }

    /**
     * EfficientNet-B0: {@code stem} ({@code features.0}: 3x3 stride-2 conv-BN-SiLU to 32),
     * {@code stage1..stage7} ({@code features.1..7}, MBConv blocks: expansion, kernel, stride,
     * output channels, repeats as the paper's table), {@code top} ({@code features.8}: 1x1
     * conv-BN-SiLU to 1280). Stochastic depth grows linearly from 0 to 0.2 over the 16 blocks.
     */
    static List<Stage> efficientNetB0() {
        int[][] settings = { // expand, kernel, stride, out, repeats
            {1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
            {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
        int total = 0;
        for (int[] s : settings) {
            total += s[4];
        }
        List<Stage> out = new ArrayList<>();
        out.add(new Stage("stem", "features", new Sequential().add("0",
                MBConv.convBnAct(32, 3, 2, 1, true))));
        int in = 32;
        int blockId = 0;
        for (int i = 0; i < settings.length; i++) {
            int[] s = settings[i];
            Sequential stage = new Sequential();
            for (int r = 0; r < s[4]; r++) {
                stage.add(new MBConv(in, s[3], s[0], s[1], r == 0 ? s[2] : 1,
                        0.2f * blockId++ / total));
                in = s[3];
            }
            out.add(new Stage("stage" + (i + 1), "features", new Sequential()
                    .add(Integer.toString(i + 1), stage)));
        }
        out.add(new Stage("top", "features", new Sequential().add("8",
                MBConv.convBnAct(4 * in, 1, 1, 1, true))));
        return out;
    }

    /** EfficientNet's head: {@code avgpool}, flatten, {@code classifier.0} dropout 0.2, {@code classifier.1}. */
    static Stage efficientNetHead(int classes) {
        return new Stage(StagedNet.HEAD, "", new Sequential()
                .add("avgpool", Layers.globalAvgPool()).add("flatten", Layers.flatten())
                .add("classifier", new Sequential().add(Layers.dropout(0.2f))
                        .add(Layers.linear(classes))));
    }
}
