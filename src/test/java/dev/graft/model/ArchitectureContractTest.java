package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.data.Normalization;
import dev.graft.io.BadFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every architecture honours the staged-network contract. */
class ArchitectureContractTest {

    static final int[] FASHION = {1, 28, 28};

    /** A tiny BERT: vocabulary 50, width 16, 2 layers of 2 heads, sequences up to 12. */
    static final BertConfig TINY_BERT = new BertConfig(50, 16, 2, 2, 32, 12, 2, 1e-12);

    /** Fashion-MNIST's shape, the smallest images the architecture takes, or 12 tokens. */
    static int[] input(Architecture arch) {
        if (arch.isText()) {
            return new int[] {12};
        }
        int side = Math.max(28, arch.minimumSide());
        return new int[] {1, side, side};
    }

    static ModelOptions options(Architecture arch) {
        return arch.isText() ? ModelOptions.ofText(TINY_BERT) : ModelOptions.DEFAULT;
    }

    /**
     * A batch of {@code n} inputs: random images, or random token ids with a mask that hides
     * the last tokens of every other example (so padding is exercised).
     */
    static ai.djl.ndarray.NDList inputs(StagedNet net, int n, NDManager m) {
        if (!net.architecture().isText()) {
            return new ai.djl.ndarray.NDList(m.randomNormal(net.batchInputShape(n)));
        }
        int t = 7;
        long[] ids = new long[n * t];
        long[] mask = new long[n * t];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(n);
        for (int i = 0; i < ids.length; i++) {
            int row = i / t;
            boolean real = row % 2 == 0 || i % t < 4;
            ids[i] = real ? 1 + rng.nextInt(49) : 0;
            mask[i] = real ? 1 : 0;
        }
        return new ai.djl.ndarray.NDList(m.create(ids, new Shape(n, t)),
                m.create(mask, new Shape(n, t)));
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void forwardFeaturesAndHeadHaveTheDocumentedShapes(Architecture arch) {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = arch.build(input(arch), 10, options(arch)).initialize(m, 1);
            ParameterStore ps = new ParameterStore(m, false);
            ai.djl.ndarray.NDList x = inputs(net, 3, m);
            assertEquals(new Shape(3, 10), net.forward(ps, x, false).head().getShape());
            List<NDArray> all = net.forwardAll(ps, x, Pooling.NONE);
            assertEquals(net.stageNames().size() + 1, all.size());
            for (String stage : net.stageNames()) {
                NDArray pooled = net.features(ps, x, stage, Pooling.AVERAGE);
                assertEquals(2, pooled.getShape().dimension(), stage);
                assertEquals(3, pooled.getShape().get(0));
            }
            StagedNet five = net.withHead(5, m, 2);
            assertEquals(new Shape(3, 5), five.forward(ps, x, false).head().getShape());
            // the trunk is shared, not copied
            for (String stage : net.stageNames()) {
                String first = net.parameters(stage).keySet().iterator().next();
                assertTrue(net.namedParameters().get(first) == five.namedParameters().get(first));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void checkpointRoundTripsBitExactly(Architecture arch, @TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = arch.build(input(arch), 10, options(arch)).initialize(m, 7);
            ModelSpec spec = spec(net);
            Checkpoint.save(dir.resolve("ckpt"), net, spec, arch.isText()
                    ? staging -> Files.writeString(staging.resolve(Checkpoint.TOKENIZER), "{}")
                    : null);
            Checkpoint.Loaded back = Checkpoint.load(dir.resolve("ckpt"), m);
            Map<String, Parameter> a = net.namedParameters();
            Map<String, Parameter> b = back.net().namedParameters();
            assertEquals(a.keySet(), b.keySet());
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k).getArray().toFloatArray(),
                        b.get(k).getArray().toFloatArray(), 0f, k);
            }
            assertEquals(spec.normalization(), back.spec().normalization());
            assertTrue(Files.exists(dir.resolve("ckpt").resolve(Checkpoint.WEIGHTS)));
            assertTrue(!Files.exists(dir.resolve("ckpt.partial")));
        }
    }

    @Test
    void convnetNamesFollowPyTorch() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.CONVNET.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            Map<String, Parameter> p = net.namedParameters();
            assertEquals(List.of("stage1", "stage2", "stage3"), net.stageNames());
            assertEquals(new Shape(32, 1, 3, 3), p.get("stage1.0.conv.weight").getShape());
            assertTrue(p.containsKey("stage1.1.bn.running_var"));
            assertEquals(new Shape(64, 32, 3, 3), p.get("stage2.0.conv.weight").getShape());
            assertEquals(new Shape(256, 64 * 7 * 7), p.get("stage3.1.weight").getShape());
            assertEquals(new Shape(10, 256), p.get("head.weight").getShape());
            assertEquals(24, p.size());
        }
    }

    @Test
    void resnet18NamesAndSizeFollowTorchvision() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.RESNET18.build(new int[] {3, 224, 224}, 1000,
                    ModelOptions.DEFAULT).initialize(m, 1);
            Map<String, Parameter> p = net.namedParameters();
            assertEquals(new Shape(64, 3, 7, 7), p.get("conv1.weight").getShape());
            assertEquals(new Shape(128, 64, 1, 1), p.get("layer2.0.downsample.0.weight")
                    .getShape());
            assertTrue(p.containsKey("layer4.1.bn2.running_mean"));
            assertEquals(new Shape(1000, 512), p.get("fc.weight").getShape());
            // torchvision's resnet18 has 11,689,512 parameters
            assertEquals(11_689_512L, net.parameterCount());
            StagedNet small = Architecture.RESNET18.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            assertEquals(new Shape(64, 1, 3, 3), small.namedParameters().get("conv1.weight")
                    .getShape());
        }
    }

    /**
     * Parameters and multiply-adds at 224 x 224 (Inception-v3 299 x 299, without the auxiliary
     * classifier) with 1,000 classes as torchvision's models have
     * them (parameters summed over {@code model.parameters()}, multiply-adds by forward hooks on
     * every Conv2d and Linear, counting a grouped convolution's in_channels / groups).
     */
    @Test
    void torchvisionFamiliesHaveTorchvisionsSizes() {
        int[] imagenet = {3, 224, 224};
        Map<Architecture, long[]> sizes = Map.of(
                Architecture.RESNET34, new long[] {21_797_672L, 3_663_761_408L},
                Architecture.RESNET50, new long[] {25_557_032L, 4_089_184_256L},
                Architecture.VGG16, new long[] {138_357_544L, 15_470_264_320L},
                Architecture.VGG16_BN, new long[] {138_365_992L, 15_470_264_320L},
                Architecture.EFFICIENTNET_B0, new long[] {5_288_548L, 385_814_752L},
                Architecture.INCEPTION_V3, new long[] {23_834_568L, 5_713_216_096L});
        try (NDManager m = NDManager.newBaseManager()) {
            sizes.forEach((arch, want) -> {
                int[] in = arch == Architecture.INCEPTION_V3 ? new int[] {3, 299, 299} : imagenet;
                assertEquals(want[1], arch.build(in, 1000, ModelOptions.DEFAULT)
                        .multiplyAdds(), arch.id() + " multiply-adds");
                if (!arch.id().startsWith("vgg")) { // 0.5 GB each; the strict load checks them
                    assertEquals(want[0], arch.build(new int[] {3, 80, 80}, 1000,
                            ModelOptions.DEFAULT).initialize(m, 1).parameterCount(), arch.id());
                }
            });
        }
        try (NDManager m = NDManager.newBaseManager()) {
            // with its auxiliary classifier, torchvision's published count; inference costs
            // the same (the classifier runs only in training)
            StagedNet aux = Architecture.INCEPTION_V3.build(new int[] {3, 299, 299}, 1000,
                    ModelOptions.DEFAULT.withAuxLogits(true));
            assertEquals(5_713_216_096L, aux.multiplyAdds());
            assertEquals(27_161_264L, aux.initialize(m, 1).parameterCount());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Architecture.VGG16.build(FASHION, 10, ModelOptions.DEFAULT));
        assertTrue(e.getMessage().contains("vgg16 needs images of at least 32x32 pixels, got"
                + " 28x28"), e.getMessage());
    }

    /**
     * Width 0.25: 8 and 16 channels, 64 hidden units. Convolutions 72 + 576 + 1,152 + 2,304,
     * BatchNorm scales and shifts 16 + 16 + 32 + 32, FC 784 x 64 + 64, head 64 x 10 + 10.
     */
    @Test
    void aFractionalWidthMakesAThinnerConvnet() {
        StagedNet thin = Architecture.CONVNET.build(FASHION, 10, new ModelOptions(0.25, null));
        try (NDManager m = NDManager.newBaseManager()) {
            thin.initialize(m, 1);
            assertEquals(72 + 576 + 1152 + 2304 + 16 + 16 + 32 + 32 + 784 * 64 + 64 + 650,
                    thin.parameterCount());
        }
        assertThrows(IllegalArgumentException.class, () -> new ModelOptions(0, null));
    }

    @Test
    void loadingWrongShapesReportsEveryMismatch(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet wide = Architecture.CONVNET.build(FASHION, 10, new ModelOptions(2, null))
                    .initialize(m, 1);
            Checkpoint.save(dir.resolve("wide"), wide, spec(wide), null);
            StagedNet narrow = Architecture.CONVNET.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            BadFileException e = assertThrows(BadFileException.class, () -> Checkpoint
                    .loadWeights(narrow, dir.resolve("wide").resolve(Checkpoint.WEIGHTS)));
            assertTrue(e.getMessage().contains("stage1.0.conv.weight has shape (64, 1, 3, 3)"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("head.weight has shape (10, 512)"), e.getMessage());
            assertTrue(e.getMessage().contains("23 tensor(s) do not match"), e.getMessage());
            assertTrue(e.getMessage().startsWith(dir.resolve("wide").resolve(Checkpoint.WEIGHTS)
                    .toString()));
        }
    }

    @Test
    void batchNormRunningMeanMovesByPyTorchsMomentum() {
        // PyTorch: running = (1 - 0.1) * running + 0.1 * batch_mean; starting at 0 the batch
        // mean of a constant-3 input gives 0.3 after one training step.
        try (NDManager m = NDManager.newBaseManager()) {
            Sequential bn = new Sequential().add("bn", Layers.batchNorm());
            bn.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(4, 2, 3, 3));
            Map<String, Parameter> p = new java.util.LinkedHashMap<>();
            TorchModule.collectParameters("", bn, p);
            TorchInit.apply(p, TorchInit.Policy.TORCH_DEFAULT, 0);
            NDArray x = m.full(new Shape(4, 2, 3, 3), 3f);
            bn.forward(new ParameterStore(m, false), new ai.djl.ndarray.NDList(x), true);
            assertArrayEquals(new float[] {0.3f, 0.3f},
                    p.get("bn.running_mean").getArray().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0.9f, 0.9f},
                    p.get("bn.running_var").getArray().toFloatArray(), 1e-6f);
        }
    }

    static ModelSpec spec(StagedNet net) {
        return new ModelSpec(ModelSpec.FORMAT_VERSION, net.architecture().id(), net.options(),
                net.inputShape(), net.numClasses(), null, net.architecture().isText() ? null
                        : Normalization.identity(net.inputShape()[0]), net.stageNames(),
                Checkpoint.parameterShapes(net), null);
    }

    @Test
    void multiplyAddsCountConvolutionsAndLinearLayers() {
        try (NDManager m = NDManager.newBaseManager()) {
            // LeNet-300-100: 784*300 + 300*100 + 100*10
            assertEquals(266_200, Architecture.MLP.build(FASHION, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1).multiplyAdds());
            // convnet: 32*28*28*(1*9) + 32*28*28*(32*9) + 64*14*14*(32*9) + 64*14*14*(64*9)
            //          + 3136*256 + 256*10
            assertEquals(225_792L + 7_225_344 + 3_612_672 + 7_225_344 + 802_816 + 2_560,
                    Architecture.CONVNET.build(FASHION, 10, ModelOptions.DEFAULT)
                            .initialize(m, 1).multiplyAdds());
            // resnet18: PyTorch forward hooks on Conv2d/Linear count the same (1.814 G at 224
            // with 1,000 classes, as usually quoted for torchvision's)
            assertEquals(455_800_832L, Architecture.RESNET18.build(FASHION, 10,
                    ModelOptions.DEFAULT).initialize(m, 1).multiplyAdds());
            assertEquals(1_814_073_344L, Architecture.RESNET18.build(new int[] {3, 224, 224},
                    1000, ModelOptions.DEFAULT).initialize(m, 1).multiplyAdds());
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void channelGroupsNameRealTensorsOfMatchingWidths(Architecture arch) {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = arch.build(input(arch), 10, options(arch)).initialize(m, 1);
            Map<String, Parameter> params = net.namedParameters();
            List<ChannelGroup> groups = arch.channelGroups(input(arch));
            List<Integer> widths = arch.layerWidths(net.options());
            assertEquals(groups.size(), widths.size());
            for (int g = 0; g < groups.size(); g++) {
                for (String p : groups.get(g).producers()) {
                    assertEquals((long) widths.get(g), params.get(p).getArray().getShape().get(0),
                            p);
                }
                for (ChannelGroup.Consumer c : groups.get(g).consumers()) {
                    assertEquals((long) widths.get(g) * c.blockSize(),
                            params.get(c.parameter()).getArray().getShape().get(1),
                            c.parameter());
                }
            }
            if (!groups.isEmpty()) {
                List<Integer> other = new java.util.ArrayList<>(widths);
                other.set(0, 3);
                StagedNet thin = arch.build(input(arch), 10, net.options().withWidths(other))
                        .initialize(m, 1);
                assertEquals(3, thin.namedParameters().get(groups.get(0).weight()).getArray()
                        .getShape().get(0));
                assertThrows(IllegalArgumentException.class, () -> arch.build(input(arch), 10,
                        net.options().withWidths(List.of(1))));
            }
        }
    }

    /** The layer list is what the network computes: run as is, and with BatchNorm folded. */
    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = "BERT", mode = EnumSource.Mode.EXCLUDE)
    void theLayerProgramComputesTheNetworksOutput(Architecture arch) {
        try (NDManager m = NDManager.newBaseManager()) {
            List<ModelOptions> variants = new java.util.ArrayList<>(List.of(ModelOptions.DEFAULT));
            if (!arch.factorizableLayers().isEmpty()) {
                variants.add(ModelOptions.DEFAULT.withRanks(java.util.Map.of(
                        arch.factorizableLayers().get(0), 3)));
            }
            for (ModelOptions o : variants) {
                StagedNet net = arch.build(input(arch), 10, o).initialize(m, 4);
                for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
                    NDArray a = e.getValue().getArray();
                    if (e.getKey().endsWith("running_mean")) {
                        a.set(m.randomNormal(0, 0.5f, a.getShape(), a.getDataType())
                                .toByteBuffer());
                    } else if (e.getKey().endsWith("running_var")) {
                        a.set(m.randomUniform(0.5f, 2f, a.getShape()).toByteBuffer());
                    }
                }
                NDArray x = m.randomNormal(net.batchInputShape(3));
                float[] want = net.forward(new ParameterStore(m, false),
                        new ai.djl.ndarray.NDList(x), false).head().toFloatArray();
                LayerProgram program = LayerProgram.of(net);
                assertArrayEquals(want, program.forward(x, LayerProgram.Rewrite.NONE)
                        .toFloatArray(), 1e-5f, arch.id() + " " + o);
                LayerProgram folded = program.foldBatchNorm(m);
                assertTrue(folded.layers().stream().noneMatch(l -> l instanceof Layer.BatchNorm),
                        arch.id() + ": every BatchNorm follows a convolution");
                // folding rounds differently: 1e-4 of the logits' scale (Inception-v3's
                // torchvision initialization, std 0.1, gives logits near 1e5 in eval mode)
                float scale = 1;
                for (float v : want) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertArrayEquals(want, folded.forward(x, LayerProgram.Rewrite.NONE)
                        .toFloatArray(), 1e-4f * scale, arch.id() + " folded " + o);
            }
        }
    }

    /** Padding changes nothing: a padded text's logits equal those of the text alone. */
    @Test
    void bertIgnoresPaddedTokensAndNamesParametersAsHuggingFace() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.BERT.build(new int[] {12}, 3, ModelOptions.ofText(
                    TINY_BERT)).initialize(m, 3);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray alone = net.forward(ps, new ai.djl.ndarray.NDList(
                    m.create(new long[] {5, 9, 4}, new Shape(1, 3)),
                    m.create(new long[] {1, 1, 1}, new Shape(1, 3))), false).head();
            NDArray padded = net.forward(ps, new ai.djl.ndarray.NDList(
                    m.create(new long[] {5, 9, 4, 0, 0}, new Shape(1, 5)),
                    m.create(new long[] {1, 1, 1, 0, 0}, new Shape(1, 5))), false).head();
            assertArrayEquals(alone.toFloatArray(), padded.toFloatArray(), 1e-5f);
            Map<String, Parameter> p = net.namedParameters();
            assertEquals(new Shape(50, 16), p.get("embeddings.word_embeddings.weight").getShape());
            assertEquals(new Shape(16, 16), p.get("encoder.layer.1.attention.self.query.weight")
                    .getShape());
            assertEquals(new Shape(32, 16), p.get("encoder.layer.0.intermediate.dense.weight")
                    .getShape());
            assertEquals(new Shape(16), p.get("encoder.layer.0.output.LayerNorm.bias").getShape());
            assertEquals(new Shape(3, 16), p.get("classifier.weight").getShape());
            // embeddings 50*16 + 12*16 + 2*16 + 2*16; per layer 4*(16*16+16) + 2*2*16
            // + (16*32+32) + (32*16+16); classifier 3*16+3
            assertEquals(50 * 16 + 12 * 16 + 2 * 16 + 32 + 2 * (4 * 272 + 64 + 544 + 528) + 51,
                    net.parameterCount());
            // the layer description computes the same logits, padding included
            LayerProgram program = LayerProgram.of(net);
            assertEquals(Layer.Embeddings.class, program.layers().get(0).getClass());
            assertArrayEquals(padded.toFloatArray(), program.forward(new ai.djl.ndarray.NDList(
                    m.create(new long[] {5, 9, 4, 0, 0}, new Shape(1, 5)),
                    m.create(new long[] {1, 1, 1, 0, 0}, new Shape(1, 5))),
                    LayerProgram.Rewrite.NONE).toFloatArray(), 1e-5f);
        }
    }
}
