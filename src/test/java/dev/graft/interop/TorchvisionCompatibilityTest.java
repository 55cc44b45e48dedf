package dev.graft.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * graft's torchvision architectures are torchvision's, both ways: random graft weights load
 * into torchvision's model with {@code load_state_dict(strict=True)} and give the same eval-mode
 * logits, and torchvision's own random initialization, stored as F32, F16 or BF16 safetensors,
 * loads into graft with the same logits (max abs difference below 1e-3). Skipped, with a
 * message, where Debian's python3-torchvision is absent.
 */
class TorchvisionCompatibilityTest {

    static final Path SCRIPT = Path.of("bench/torchvision_compat.py");
    static final float TOLERANCE = 1e-3f;
    static final int CLASSES = 7;

    @BeforeAll
    static void needsTorchvision() throws Exception {
        boolean available = Files.isExecutable(PyTorchInteropTest.PYTHON)
                && PyTorchInteropTest.run(List.of(PyTorchInteropTest.PYTHON.toString(), "-c",
                        "import torchvision")).code() == 0;
        Assumptions.assumeTrue(available, "Python torchvision is absent (apt-get install -y "
                + "python3-torchvision): skipping the torchvision logits comparison");
    }

    /**
     * Architecture, input, and the dtype torchvision's weights are stored in. VGG at 32 and 64
     * pixels has a 1x1 and a 2x2 map before its 7x7 adaptive pooling (the enlarging path), at
     * 224 exactly 7x7.
     */
    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of(Architecture.RESNET18, new int[] {3, 64, 64}, "F32"),
                Arguments.of(Architecture.RESNET34, new int[] {3, 64, 64}, "BF16"),
                Arguments.of(Architecture.RESNET50, new int[] {3, 64, 64}, "F16"),
                Arguments.of(Architecture.VGG16, new int[] {3, 32, 32}, "F32"),
                Arguments.of(Architecture.VGG16_BN, new int[] {3, 64, 64}, "F16"),
                Arguments.of(Architecture.EFFICIENTNET_B0, new int[] {3, 64, 64}, "BF16"),
                Arguments.of(Architecture.EFFICIENTNET_B0, new int[] {3, 224, 224}, "F32"),
                Arguments.of(Architecture.INCEPTION_V3, new int[] {3, 75, 75}, "F32"),
                Arguments.of(Architecture.INCEPTION_V3, new int[] {3, 299, 299}, "F16"),
                Arguments.of(Architecture.INCEPTION_V3, new int[] {3, 299, 299}, "F32+aux"));
    }

    /** The model's options and torchvision's name for it ("+aux": the auxiliary classifier). */
    static ModelOptions options(String dtype) {
        return dtype.endsWith("+aux") ? ModelOptions.DEFAULT.withAuxLogits(true)
                : ModelOptions.DEFAULT;
    }

    static String torchName(Architecture arch, String dtype) {
        return arch.id() + (dtype.endsWith("+aux") ? "+aux" : "");
    }

    @ParameterizedTest
    @MethodSource("models")
    void graftWeightsGiveTorchvisionsLogits(Architecture arch, int[] shape, String dtype,
            @TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = arch.build(shape, CLASSES, options(dtype)).initialize(m, 11);
            if (arch == Architecture.INCEPTION_V3) {
                pyTorchDefaultScale(net, m);
            }
            Path ckpt = tmp.resolve("ckpt");
            Path io = tmp.resolve("io.safetensors");
            PyTorchInteropTest.saveWithLogits(net, ckpt, io, m);
            PyTorchInteropTest.Result r = PyTorchInteropTest.run(List.of(
                    PyTorchInteropTest.PYTHON.toString(), SCRIPT.toString(), "check-graft",
                    torchName(arch, dtype), ckpt.toString(), io.toString()));
            assertEquals(0, r.code(), r.output());
            assertTrue(r.output().contains("max_abs_diff"), r.output());
            System.out.println("graft -> torchvision " + arch.id() + " " + shape[1] + ": "
                    + r.output().trim());
        }
    }

    /**
     * graft's evaluation transform gives PIL's bytes: torchvision's Resize(256) and
     * CenterCrop(224) on a random RGB picture (downscaled) and a gray one (upscaled).
     */
    @org.junit.jupiter.api.Test
    void evalTransformMatchesTorchvisionOnPil(@TempDir Path tmp) throws Exception {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        java.awt.image.BufferedImage rgb = new java.awt.image.BufferedImage(300, 410,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 410; y++) {
            for (int x = 0; x < 300; x++) {
                // smooth gradients plus noise, so both flat and busy regions are compared
                int r = (x * 255 / 299 + rng.nextInt(40)) % 256;
                rgb.setRGB(x, y, r << 16 | (y * 255 / 409) << 8 | rng.nextInt(256));
            }
        }
        java.awt.image.BufferedImage gray = new java.awt.image.BufferedImage(170, 120,
                java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 120; y++) {
            for (int x = 0; x < 170; x++) {
                gray.getRaster().setSample(x, y, 0, (x * y + rng.nextInt(30)) % 256);
            }
        }
        dev.graft.data.EvalTransform t = new dev.graft.data.EvalTransform(256, 224, 224, 3);
        for (var e : java.util.Map.of("rgb", rgb, "gray", gray).entrySet()) {
            Path png = tmp.resolve(e.getKey() + ".png");
            javax.imageio.ImageIO.write(e.getValue(), "png", png.toFile());
            Path out = tmp.resolve(e.getKey() + ".raw");
            PyTorchInteropTest.Result r = PyTorchInteropTest.run(List.of(
                    PyTorchInteropTest.PYTHON.toString(), SCRIPT.toString(), "pil-transform",
                    png.toString(), "256", "224", out.toString()));
            assertEquals(0, r.code(), r.output());
            byte[] want = Files.readAllBytes(out);
            byte[] got = t.read(png);
            int differ = 0;
            for (int i = 0; i < want.length; i++) {
                differ += want[i] != got[i] ? 1 : 0;
            }
            assertEquals(0, differ, e.getKey() + ": pixels differing from PIL's");
        }
    }

    /**
     * Redraws every weight as PyTorch's default {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}:
     * torchvision's Inception-v3 initialization (std 0.1) gives eval-mode logits near 1e7
     * before any training, where an absolute bound of 1e-3 would be meaningless.
     */
    static void pyTorchDefaultScale(StagedNet net, NDManager m) {
        net.namedParameters().forEach((name, p) -> {
            NDArray a = p.getArray();
            if (name.endsWith("weight") && a.getShape().dimension() > 1) {
                float bound = (float) (1 / Math.sqrt(a.getShape().size() / a.getShape().get(0)));
                a.set(m.randomUniform(-bound, bound, a.getShape()).toFloatArray());
            }
        });
    }

    @ParameterizedTest
    @MethodSource("models")
    void torchvisionWeightsGiveGraftTheSameLogits(Architecture arch, int[] shape, String dtype,
            @TempDir Path tmp) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(PyTorchInteropTest.PYTHON.toString(),
                SCRIPT.toString(), "make-torch", torchName(arch, dtype)));
        for (int d : shape) {
            cmd.add(Integer.toString(d));
        }
        cmd.addAll(List.of(Integer.toString(CLASSES), dtype.replace("+aux", ""),
                tmp.toString()));
        PyTorchInteropTest.Result r = PyTorchInteropTest.run(cmd);
        assertEquals(0, r.code(), r.output());
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = arch.build(shape, CLASSES, options(dtype)).initialize(m, 1);
            Checkpoint.loadWeights(net, tmp.resolve("weights.safetensors"));
            NDList io;
            try (InputStream in = Files.newInputStream(tmp.resolve("io.safetensors"))) {
                io = NDList.decode(m, in);
            }
            NDArray logits = net.forward(new ParameterStore(m, false),
                    new NDList(io.get("input")), false).head();
            float diff = logits.sub(io.get("logits")).abs().max().getFloat();
            System.out.println("torchvision -> graft " + arch.id() + " " + shape[1] + " "
                    + dtype + ": max_abs_diff " + diff + "; " + r.output().trim());
            assertTrue(diff < TOLERANCE, arch.id() + " (" + dtype + ") logits differ from"
                    + " torchvision's by " + diff + "; " + r.output());
        }
    }
}
