package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.compress.Int8;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.export.onnx.Onnx.ModelProto;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.LayerProgram;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Exported ONNX models, run in ONNX Runtime, compute what graft computes. */
class OnnxExportTest {

    @TempDir
    Path tmp;

    static StagedNet net(Architecture arch, ModelOptions o, NDManager m) {
        int side = arch == Architecture.INCEPTION_V3 ? 75 : 28;
        StagedNet net = arch.build(new int[] {1, side, side}, 10, o).initialize(m, 9);
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            NDArray a = e.getValue().getArray();
            if (e.getKey().endsWith("running_mean")) {
                a.set(m.randomNormal(0, 0.5f, a.getShape(), a.getDataType()).toByteBuffer());
            } else if (e.getKey().endsWith("running_var")) {
                a.set(m.randomUniform(0.5f, 2f, a.getShape()).toByteBuffer());
            }
        }
        return net;
    }

    static ModelSpec spec(StagedNet net) {
        return new ModelSpec(ModelSpec.FORMAT_VERSION, net.architecture().id(), net.options(),
                net.inputShape(), net.numClasses(), null, Normalization.identity(
                        net.inputShape()[0]),
                net.stageNames(), Checkpoint.parameterShapes(net), null);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /**
     * Within 1e-4 of the logits' scale (at least 1): Inception-v3's torchvision initialization
     * gives eval-mode logits near 1e5 before training.
     */
    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"MLP", "CONVNET", "RESNET18", "RESNET50",
        "EFFICIENTNET_B0", "INCEPTION_V3"})
    void float32MatchesGraftWithin1eMinus4(Architecture arch) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = net(arch, ModelOptions.DEFAULT, m);
            ModelProto model = OnnxExport.model(LayerProgram.of(net).foldBatchNorm(m),
                    spec(net), null, "test");
            Path file = tmp.resolve(arch.id() + ".onnx");
            Files.write(file, model.toByteArray());
            NDArray x = m.randomNormal(net.batchInputShape(5));
            float[] want = net.forward(new ParameterStore(m, false), new NDList(x), false).head()
                    .toFloatArray();
            float scale = Math.max(1, maxAbsDiff(want, new float[want.length]));
            try (OnnxRuntimeModel ort = OnnxRuntimeModel.load(file, 1)) {
                float[] got = ort.run(x.toFloatArray(), net.batchInputShape(5).getShape());
                float d = maxAbsDiff(want, got);
                assertTrue(d < 1e-4 * scale, arch.id() + ": ONNX Runtime differs by " + d
                        + " (logits up to " + scale + ")");
            }
            // the bytes parse back into the same message
            assertEquals(model, ModelProto.parseFrom(Files.readAllBytes(file)));
        }
    }

    /** int8: ONNX Runtime's integer kernels and graft's simulation agree on the classes. */
    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"MLP", "CONVNET"})
    void int8MatchesTheSimulation(Architecture arch) throws Exception {
        // the same inputs whichever tests ran before (they draw from the engine's generator)
        ai.djl.engine.Engine.getInstance().setRandomSeed(3);
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = net(arch, ModelOptions.DEFAULT, m);
            LayerProgram folded = LayerProgram.of(net).foldBatchNorm(m);
            NDArray calib = m.randomNormal(new Shape(64, 1, 28, 28));
            try (TensorDataset data = TensorDataset.ofValues(calib.toFloatArray(),
                    new int[] {1, 28, 28}, new int[64], 10, m)) {
                Int8.Plan plan = Int8.calibrate(folded, data, 64, Int8.Calibration.MIN_MAX, 1, m);
                ModelProto model = OnnxExport.model(folded, spec(net), plan, "test");
                Path file = tmp.resolve(arch.id() + ".int8.onnx");
                Files.write(file, model.toByteArray());
                Path fp32 = tmp.resolve(arch.id() + ".onnx");
                Files.write(fp32, OnnxExport.model(folded, spec(net), null, "test")
                        .toByteArray());
                assertTrue(Files.size(file) * 3.5 < Files.size(fp32), "int8 weights: "
                        + Files.size(file) + " vs " + Files.size(fp32) + " bytes");
                NDArray x = m.randomNormal(new Shape(32, 1, 28, 28));
                float[] sim = folded.forward(x, Int8.simulate(plan)).toFloatArray();
                float[] exact = folded.forward(x, LayerProgram.Rewrite.NONE).toFloatArray();
                try (OnnxRuntimeModel ort = OnnxRuntimeModel.load(file, 1)) {
                    float[] got = ort.run(x.toFloatArray(), new long[] {32, 1, 28, 28});
                    float spread = maxAbsDiff(exact, new float[exact.length]);
                    float d = maxAbsDiff(sim, got);
                    assertTrue(d < 0.02 * spread, arch.id() + ": ONNX Runtime int8 differs from"
                            + " the simulation by " + d + " (logits up to " + spread + ")");
                    assertTrue(maxAbsDiff(exact, sim) > 0, "the simulation rounds");
                }
            }
        }
    }

    /**
     * A small BERT: 2 layers, 2 heads, hidden 16, 12 positions; layer norms not unit, logits of
     * a few units.
     */
    static StagedNet bert(NDManager m) {
        StagedNet net = Architecture.BERT.build(new int[] {12}, 3, ModelOptions.ofText(
                new dev.graft.model.BertConfig(50, 16, 2, 2, 32, 12, 2, 1e-12)))
                .initialize(m, 4);
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            NDArray a = e.getValue().getArray();
            if (e.getKey().contains("LayerNorm")) {
                a.set(m.randomUniform(0.5f, 1.5f, a.getShape()).toByteBuffer());
            } else if (e.getKey().startsWith("classifier")) {
                // logits of a few units, so 1e-4 is a tolerance that means something
                a.set(m.randomNormal(0, 1, a.getShape(), a.getDataType()).toByteBuffer());
            }
        }
        return net;
    }

    /** Five sentences of 3 to 9 tokens, padded to 9, as the tokenizer's batches come. */
    static dev.graft.data.TokenizedText sentences(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        long[][] ids = new long[n][];
        for (int i = 0; i < n; i++) {
            ids[i] = r.longs(3 + r.nextInt(7), 1, 50).toArray();
        }
        return new dev.graft.data.TokenizedText(ids, new int[n], 3, 0);
    }

    /**
     * A text encoder exports with two int64 inputs; ONNX Runtime's logits are graft's within
     * 1e-4 with padding in the batch, and its int8 file computes graft's int8 simulation.
     */
    @Test
    void aTextEncoderExportsInFloat32AndInt8() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = bert(m);
            LayerProgram program = LayerProgram.of(net);
            assertTrue(OnnxExport.isText(program));
            NDList batch = sentences(5, 1).range(0, 5, m).inputs();
            float[] want = net.forward(new ParameterStore(m, false), batch, false).head()
                    .toFloatArray();
            float described = maxAbsDiff(want, program.forward(batch, LayerProgram.Rewrite.NONE)
                    .toFloatArray());
            assertTrue(described < 1e-5, "the layer description differs by " + described);
            ModelSpec spec = new ModelSpec(ModelSpec.FORMAT_VERSION, "bert", net.options(),
                    net.inputShape(), 3, null, null, net.stageNames(),
                    Checkpoint.parameterShapes(net), null);
            Path fp32 = tmp.resolve("bert.onnx");
            Files.write(fp32, OnnxExport.model(program, spec, null, "test").toByteArray());
            try (OnnxRuntimeModel ort = OnnxRuntimeModel.load(fp32, 1)) {
                assertEquals(java.util.Set.of("input_ids", "attention_mask"), ort.inputNames());
                float d = maxAbsDiff(want, Export.logits(ort, batch));
                assertTrue(d < 1e-4, "ONNX Runtime differs by " + d);
            }
            try (dev.graft.data.TokenizedText calibration = sentences(64, 2)) {
                Int8.Plan plan = Int8.calibrate(program, calibration, 64,
                        Int8.Calibration.MIN_MAX, 1, m);
                assertEquals(2 * 6 + 1, plan.inputs().size(), "six linear layers a layer and"
                        + " the classifier");
                Path int8 = tmp.resolve("bert.int8.onnx");
                Files.write(int8, OnnxExport.model(program, spec, plan, "test").toByteArray());
                float[] sim = program.forward(batch, Int8.simulate(plan)).toFloatArray();
                float spread = maxAbsDiff(want, new float[want.length]);
                assertTrue(maxAbsDiff(want, sim) > 0, "the simulation rounds");
                try (OnnxRuntimeModel ort = OnnxRuntimeModel.load(int8, 1)) {
                    float d = maxAbsDiff(sim, Export.logits(ort, batch));
                    assertTrue(d < 0.02 * spread, "ONNX Runtime int8 differs from the"
                            + " simulation by " + d + " (logits up to " + spread + ")");
                }
            }
        }
    }

    /** The ONNX project's own checker accepts the files, where Debian's python3-onnx is. */
    @Test
    void theOnnxCheckerAcceptsTheExports() throws Exception {
        java.util.List<String> probe = java.util.List.of("/usr/bin/python3", "-c",
                "import onnx");
        boolean available = Files.isExecutable(Path.of("/usr/bin/python3"))
                && new ProcessBuilder(probe).redirectErrorStream(true).start().waitFor() == 0;
        org.junit.jupiter.api.Assumptions.assumeTrue(available, "Python onnx is absent"
                + " (apt-get install -y python3-onnx): skipping onnx.checker");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                "/usr/bin/python3", "bench/onnx_check.py"));
        try (NDManager m = NDManager.newBaseManager()) {
            for (Architecture arch : java.util.List.of(Architecture.RESNET18,
                    Architecture.CONVNET)) {
                StagedNet net = net(arch, ModelOptions.DEFAULT, m);
                LayerProgram folded = LayerProgram.of(net).foldBatchNorm(m);
                NDArray calib = m.randomNormal(new Shape(16, 1, 28, 28));
                try (TensorDataset data = TensorDataset.ofValues(calib.toFloatArray(),
                        new int[] {1, 28, 28}, new int[16], 10, m)) {
                    Int8.Plan plan = Int8.calibrate(folded, data, 16, Int8.Calibration.MIN_MAX,
                            1, m);
                    for (Int8.Plan p : java.util.Arrays.asList(null, plan)) {
                        Path file = tmp.resolve(arch.id() + (p == null ? "" : ".int8")
                                + ".onnx");
                        Files.write(file, OnnxExport.model(folded, spec(net), p, "test")
                                .toByteArray());
                        cmd.add(file.toString());
                    }
                }
            }
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals(4, out.strip().split("\n").length, out);
    }
}
