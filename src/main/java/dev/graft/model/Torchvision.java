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

    /**
     * Inception-v3 without its auxiliary classifier: {@code stem} ({@code Conv2d_1a_3x3} to
     * {@code maxpool2}), {@code mixed5} ({@code Mixed_5b..5d}, InceptionA), {@code mixed6}
     * ({@code Mixed_6a} InceptionB, {@code Mixed_6b..6e} InceptionC), {@code mixed7}
     * ({@code Mixed_7a} InceptionD, {@code Mixed_7b..7c} InceptionE).
     */
    static List<Stage> inceptionV3() {
        Sequential stem = new Sequential()
                .add("Conv2d_1a_3x3", new BasicConv(32, 3, 2, 0))
                .add("Conv2d_2a_3x3", new BasicConv(32, 3, 1, 0))
                .add("Conv2d_2b_3x3", new BasicConv(64, 3, 1, 1))
                .add("maxpool1", Layers.maxPool(3, 2, 0))
                .add("Conv2d_3b_1x1", new BasicConv(80, 1, 1, 0))
                .add("Conv2d_4a_3x3", new BasicConv(192, 3, 1, 0))
                .add("maxpool2", Layers.maxPool(3, 2, 0));
        Sequential mixed5 = new Sequential().add("Mixed_5b", inceptionA(32))
                .add("Mixed_5c", inceptionA(64)).add("Mixed_5d", inceptionA(64));
        Sequential mixed6 = new Sequential().add("Mixed_6a", inceptionB())
                .add("Mixed_6b", inceptionC(128)).add("Mixed_6c", inceptionC(160))
                .add("Mixed_6d", inceptionC(160)).add("Mixed_6e", inceptionC(192));
        Sequential mixed7 = new Sequential().add("Mixed_7a", inceptionD())
                .add("Mixed_7b", inceptionE()).add("Mixed_7c", inceptionE());
        return List.of(new Stage("stem", "", stem), new Stage("mixed5", "", mixed5),
                new Stage("mixed6", "", mixed6), new Stage("mixed7", "", mixed7));
    }

    private static BasicConv conv1x1(int filters) {
        return new BasicConv(filters, 1, 1, 0);
    }

    /** 1 x 7 (or 1 x 3) then 7 x 1 (3 x 1) factorized convolutions, padded to keep the size. */
    private static BasicConv row(int filters, int k) {
        return new BasicConv(filters, 1, k, 1, 0, k / 2);
    }

    private static BasicConv column(int filters, int k) {
        return new BasicConv(filters, k, 1, 1, k / 2, 0);
    }

    private static InceptionBlock.Step avgPool() {
        return new InceptionBlock.Op(Layers.avgPool(3, 1, 1));
    }

    private static InceptionBlock.Step maxPool() {
        return new InceptionBlock.Op(Layers.maxPool(3, 2, 0));
    }

    private static InceptionBlock inceptionA(int poolFeatures) {
        InceptionBlock b = new InceptionBlock();
        return b.branch(b.conv("branch1x1", conv1x1(64)))
                .branch(b.conv("branch5x5_1", conv1x1(48)),
                        b.conv("branch5x5_2", new BasicConv(64, 5, 1, 2)))
                .branch(b.conv("branch3x3dbl_1", conv1x1(64)),
                        b.conv("branch3x3dbl_2", new BasicConv(96, 3, 1, 1)),
                        b.conv("branch3x3dbl_3", new BasicConv(96, 3, 1, 1)))
                .branch(avgPool(), b.conv("branch_pool", conv1x1(poolFeatures)));
    }

    private static InceptionBlock inceptionB() {
        InceptionBlock b = new InceptionBlock();
        return b.branch(b.conv("branch3x3", new BasicConv(384, 3, 2, 0)))
                .branch(b.conv("branch3x3dbl_1", conv1x1(64)),
                        b.conv("branch3x3dbl_2", new BasicConv(96, 3, 1, 1)),
                        b.conv("branch3x3dbl_3", new BasicConv(96, 3, 2, 0)))
                .branch(maxPool());
    }

    private static InceptionBlock inceptionC(int c7) {
        InceptionBlock b = new InceptionBlock();
        return b.branch(b.conv("branch1x1", conv1x1(192)))
                .branch(b.conv("branch7x7_1", conv1x1(c7)), b.conv("branch7x7_2", row(c7, 7)),
                        b.conv("branch7x7_3", column(192, 7)))
                .branch(b.conv("branch7x7dbl_1", conv1x1(c7)),
                        b.conv("branch7x7dbl_2", column(c7, 7)),
                        b.conv("branch7x7dbl_3", row(c7, 7)),
                        b.conv("branch7x7dbl_4", column(c7, 7)),
                        b.conv("branch7x7dbl_5", row(192, 7)))
                .branch(avgPool(), b.conv("branch_pool", conv1x1(192)));
    }

    private static InceptionBlock inceptionD() {
        InceptionBlock b = new InceptionBlock();
        return b.branch(b.conv("branch3x3_1", conv1x1(192)),
                        b.conv("branch3x3_2", new BasicConv(320, 3, 2, 0)))
                .branch(b.conv("branch7x7x3_1", conv1x1(192)),
                        b.conv("branch7x7x3_2", row(192, 7)),
                        b.conv("branch7x7x3_3", column(192, 7)),
                        b.conv("branch7x7x3_4", new BasicConv(192, 3, 2, 0)))
                .branch(maxPool());
    }

    private static InceptionBlock inceptionE() {
        InceptionBlock b = new InceptionBlock();
        return b.branch(b.conv("branch1x1", conv1x1(320)))
                .branch(b.conv("branch3x3_1", conv1x1(384)), new InceptionBlock.Split(List.of(
                        List.of(b.conv("branch3x3_2a", row(384, 3))),
                        List.of(b.conv("branch3x3_2b", column(384, 3))))))
                .branch(b.conv("branch3x3dbl_1", conv1x1(448)),
                        b.conv("branch3x3dbl_2", new BasicConv(384, 3, 1, 1)),
                        new InceptionBlock.Split(List.of(
                                List.of(b.conv("branch3x3dbl_3a", row(384, 3))),
                                List.of(b.conv("branch3x3dbl_3b", column(384, 3))))))
                .branch(avgPool(), b.conv("branch_pool", conv1x1(192)));
    }

    /** Inception-v3's head ({@link InceptionHead}), with {@code AuxLogits} when asked. */
    static Stage inceptionHead(int classes, ModelOptions o) {
        return new Stage(StagedNet.HEAD, "", new InceptionHead(classes, o.hasAuxLogits()));
    }

    /** EfficientNet's head: {@code avgpool}, flatten, {@code classifier.0} dropout 0.2, {@code classifier.1}. */
    static Stage efficientNetHead(int classes) {
        return new Stage(StagedNet.HEAD, "", new Sequential()
                .add("avgpool", Layers.globalAvgPool()).add("flatten", Layers.flatten())
                .add("classifier", new Sequential().add(Layers.dropout(0.2f))
                        .add(Layers.linear(classes))));
    }
}
