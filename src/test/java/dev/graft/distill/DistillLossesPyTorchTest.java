package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each distillation family against an independent computation: the papers' own PyTorch code
 * ({@code bench/distill_losses_ref.py}), values and gradients on random tensors. Skipped, with a
 * message, where Debian's python3-torch is absent.
 */
class DistillLossesPyTorchTest {

    static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void everyTermMatchesThePapersCode(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON) && new ProcessBuilder(
                PYTHON.toString(), "-c", "import torch").start().waitFor() == 0,
                "Python torch is absent (apt-get install -y python3-torch): skipping");
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            NDList in = new NDList(
                    named(m.randomNormal(new Shape(8, 10)).mul(3f), "s_logits"),
                    named(m.randomNormal(new Shape(8, 10)).mul(3f), "t_logits"),
                    named(m.randomNormal(new Shape(4, 3, 6, 6)), "s_map"),
                    named(m.randomNormal(new Shape(4, 5, 6, 6)), "t_map"),
                    named(m.randomNormal(new Shape(8, 16)), "s_emb"),
                    named(m.randomNormal(new Shape(8, 32)), "t_emb"));
            Path inFile = tmp.resolve("in.safetensors");
            Path outFile = tmp.resolve("out.safetensors");
            try (OutputStream out = Files.newOutputStream(inFile)) {
                in.encode(out, NDList.Encoding.SAFETENSORS);
            }
            Process p = new ProcessBuilder(PYTHON.toString(), "bench/distill_losses_ref.py",
                    inFile.toString(), outFile.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.MINUTES);
            assertEquals(0, p.exitValue(), log);
            NDList ref;
            try (InputStream is = Files.newInputStream(outFile)) {
                ref = NDList.decode(m, is);
            }
            check(ref, "response", in.get("s_logits"), in.get("t_logits"),
                    (s, t) -> DistillLosses.response(s, t, 4));
            check(ref, "attention", in.get("s_map"), in.get("t_map"), DistillLosses::attention);
            check(ref, "rkd_distance", in.get("s_emb"), in.get("t_emb"),
                    DistillLosses::rkdDistance);
            check(ref, "rkd_angle", in.get("s_emb"), in.get("t_emb"), DistillLosses::rkdAngle);
        }
    }

    private static void check(NDList ref, String name, NDArray s0, NDArray t,
            BiFunction<NDArray, NDArray, NDArray> loss) {
        NDArray s = s0.duplicate();
        s.setRequiresGradient(true);
        float value;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray v = loss.apply(s, t);
            value = v.getFloat();
            gc.backward(v);
        }
        float expected = ref.get(name).getFloat(0);
        assertEquals(expected, value, 1e-5 * Math.max(1, Math.abs(expected)), name);
        float[] g = s.getGradient().toFloatArray();
        float[] eg = ref.get(name + "_grad").toFloatArray();
        float scale = 0;
        for (float x : eg) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int i = 0; i < g.length; i++) {
            g[i] /= scale;
            eg[i] /= scale;
        }
        assertArrayEquals(eg, g, 1e-4f, name + " gradient (relative to its largest entry)");
    }

    private static NDArray named(NDArray a, String name) {
        a.setName(name);
        return a;
    }
}
