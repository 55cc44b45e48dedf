package dev.graft.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.Normalization;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * graft checkpoints load into the equivalent PyTorch modules ({@code bench/graft_models.py})
 * with {@code load_state_dict(strict=True)} and give the same logits, and PyTorch weights saved
 * as safetensors load into graft with the same logits (max abs difference below 1e-4). Skipped,
 * with a message, where Debian's python3-torch is absent.
 */
class PyTorchInteropTest {

    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path SCRIPT = Path.of("bench/interop_roundtrip.py");
    static final float TOLERANCE = 1e-4f;

    @BeforeAll
    static void needsTorch() throws Exception {
        boolean available = Files.isExecutable(PYTHON) && run(List.of(PYTHON.toString(), "-c",
                "import torch")).code == 0;
        Assumptions.assumeTrue(available, "Python torch is absent (apt-get install -y "
                + "python3-torch): skipping the PyTorch round trip");
    }

    record Result(int code, String output) {}

    static Result run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Result(-1, out + "\n(timed out)");
        }
        return new Result(p.exitValue(), out);
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of(Architecture.MLP, new int[] {1, 28, 28}, ModelOptions.DEFAULT),
                Arguments.of(Architecture.CONVNET, new int[] {1, 28, 28}, ModelOptions.DEFAULT),
                Arguments.of(Architecture.RESNET18, new int[] {1, 28, 28}, ModelOptions.DEFAULT),
                Arguments.of(Architecture.RESNET18, new int[] {3, 64, 64}, ModelOptions.DEFAULT));
    }

    /** Per-layer widths, as structured pruning leaves them. */
    static Stream<Arguments> shrunk() {
        return Stream.of(
                Arguments.of(Architecture.MLP, new int[] {1, 28, 28},
                        ModelOptions.DEFAULT.withWidths(List.of(120, 37))),
                Arguments.of(Architecture.CONVNET, new int[] {1, 28, 28},
                        ModelOptions.DEFAULT.withWidths(List.of(16, 32, 48, 21, 100))));
    }

    @ParameterizedTest
    @MethodSource({"models", "shrunk"})
    void graftCheckpointLoadsIntoPyTorch(Architecture arch, int[] shape, ModelOptions options,
            @TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = arch.build(shape, 7, options).initialize(m, 11);
            Path ckpt = tmp.resolve("ckpt");
            Path io = tmp.resolve("io.safetensors");
            saveWithLogits(net, ckpt, io, m);
            Result r = run(List.of(PYTHON.toString(), SCRIPT.toString(), "check-graft",
                    ckpt.toString(), io.toString()));
            assertEquals(0, r.code(), r.output());
            assertTrue(r.output().contains("max_abs_diff"), r.output());
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void pyTorchWeightsLoadIntoGraft(Architecture arch, int[] shape, ModelOptions options,
            @TempDir Path tmp) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString(),
                "make-torch", arch.id()));
        Arrays.stream(shape).forEach(d -> cmd.add(Integer.toString(d)));
        cmd.add("7");
        cmd.add(tmp.toString());
        Result r = run(cmd);
        assertEquals(0, r.code(), r.output());
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = arch.build(shape, 7, options).initialize(m, 1);
            Checkpoint.loadWeights(net, tmp.resolve("weights.safetensors"));
            NDList io;
            try (InputStream in = Files.newInputStream(tmp.resolve("io.safetensors"))) {
                io = NDList.decode(m, in);
            }
            NDArray x = io.get("input");
            NDArray expected = io.get("logits");
            NDArray logits = net.forward(new ParameterStore(m, false), new NDList(x), false)
                    .head();
            float diff = logits.sub(expected).abs().max().getFloat();
            assertTrue(diff < TOLERANCE, arch.id() + " logits differ from PyTorch's by " + diff);
        }
    }

    /**
     * Randomizes {@code net}'s BatchNorm statistics, saves it as a checkpoint at {@code ckpt}
     * and a random input with its logits at {@code io} ("input", "logits").
     */
    static void saveWithLogits(StagedNet net, Path ckpt, Path io, NDManager m)
            throws IOException {
        randomizeBatchNormStatistics(net, m);
        int[] shape = net.inputShape();
        Checkpoint.save(ckpt, net, new ModelSpec(ModelSpec.FORMAT_VERSION, net.architecture()
                .id(), net.options(), shape, net.numClasses(), null, Normalization.identity(
                        shape[0]), net.stageNames(), Checkpoint.parameterShapes(net), null),
                null);
        NDArray x = m.randomNormal(net.batchInputShape(4));
        NDArray logits = net.forward(new ParameterStore(m, false), new NDList(x), false).head();
        x.setName("input");
        logits.setName("logits");
        try (OutputStream out = Files.newOutputStream(io)) {
            new NDList(x, logits).encode(out, NDList.Encoding.SAFETENSORS);
        }
    }

    static void randomizeBatchNormStatistics(StagedNet net, NDManager m) {
        for (Map.Entry<String, ai.djl.nn.Parameter> e : net.namedParameters().entrySet()) {
            NDArray a = e.getValue().getArray();
            if (e.getKey().endsWith("running_mean")) {
                a.set(m.randomNormal(0, 0.5f, a.getShape(), a.getDataType()).toByteBuffer());
            } else if (e.getKey().endsWith("running_var")) {
                a.set(m.randomUniform(0.5f, 2f, a.getShape()).toByteBuffer());
            }
        }
    }
}
