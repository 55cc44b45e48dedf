package dev.graft.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.graft.data.Augmentation;
import dev.graft.data.TensorDataset;
import dev.graft.model.Architecture;
import dev.graft.model.Layer;
import dev.graft.model.LayerProgram;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** int8 arithmetic on hand-worked values, fake quantization's gradient, and the run. */
class Int8Test {

    @TempDir
    Path tmp;

    @Test
    void weightsArePerChannelSymmetricRoundingHalfToEven() {
        // 7-bit levels (Int8.WEIGHT_MAX = 63); scales chosen exact in binary
        // channel 0: max 63, scale 1: 31.5 -> 32 (even), -63 -> -63, 15.75 -> 16
        // channel 1: max 31.5, scale 0.5: 31.5 -> 63, -10.25 -> -20.5 -> -20 (even)
        Int8.Weight q = Int8.quantize(new float[] {31.5f, -63f, 15.75f, 0f, 31.5f, -10.25f, 0f,
            0f}, 2);
        assertArrayEquals(new byte[] {32, -63, 16, 0, 63, -20, 0, 0}, q.values());
        assertArrayEquals(new float[] {1f, 0.5f}, q.scales(), 0f);
        assertArrayEquals(new float[] {1f}, Int8.quantize(new float[] {0, 0}, 1).scales(), 0f,
                "an all-zero channel keeps a usable scale");
        // bias at scale s_x s_c: 0.3 / (0.1 * 0.5) = 6
        assertArrayEquals(new int[] {6, -2}, Int8.quantizeBias(new float[] {0.3f, -0.1f}, 0.1f,
                new float[] {0.5f, 0.5f}));
    }

    @Test
    void activationRangesAlwaysHoldZero() {
        Int8.Activation a = Int8.Activation.of(-1, 3); // scale 4/255, zero at 63.75 -> 64
        assertEquals(4f / 255, a.scale(), 1e-7f);
        assertEquals(64, a.zeroPoint());
        Int8.Activation relu = Int8.Activation.of(0.5, 2.55); // widened to [0, 2.55]
        assertEquals(0.01f, relu.scale(), 1e-7f);
        assertEquals(0, relu.zeroPoint());
        assertThrows(IllegalArgumentException.class, () -> Int8.Calibration.parse("kl"));
    }

    /** Fake quantization rounds forward as the simulation does, and passes gradients through. */
    @Test
    void fakeQuantizationMatchesTheSimulationAndHasAStraightThroughGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.CONVNET.build(new int[] {1, 28, 28}, 10,
                    ModelOptions.DEFAULT).initialize(m, 2);
            LayerProgram folded = LayerProgram.of(net).foldBatchNorm(m);
            NDArray x = m.randomNormal(new Shape(16, 1, 28, 28));
            try (TensorDataset data = TensorDataset.ofValues(x.toFloatArray(),
                    new int[] {1, 28, 28}, new int[16], 10, m)) {
                Int8.Plan plan = Int8.calibrate(folded, data, 16, Int8.Calibration.MIN_MAX, 3, m);
                assertEquals(6, plan.inputs().size(), "4 convolutions and 2 linear layers");
                float[] sim = folded.forward(x, Int8.simulate(plan)).toFloatArray();
                float[] fake = folded.forward(x, Int8.fakeQuantize(plan)).toFloatArray();
                assertArrayEquals(sim, fake, 1e-4f);
                NDArray w = m.randomNormal(new Shape(4, 3));
                w.setRequiresGradient(true);
                Layer head = new Layer.Linear("head", true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray q = Int8.fakeQuantize(new Int8.Plan(Int8.Calibration.MIN_MAX, 1,
                            Map.of("head", Int8.Activation.of(-1, 1)))).weight(head, w);
                    assertTrue(q.sub(w).abs().max().getFloat() > 0, "rounded");
                    gc.backward(q.mul(m.arange(12f).reshape(4, 3)).sum());
                }
                assertArrayEquals(m.arange(12f).toFloatArray(), w.getGradient().toFloatArray(),
                        0f, "the gradient of round() is taken as 1");
            }
        }
    }

    @Test
    void quantizationAwareTrainingWritesACheckpointAndKeepsInt8Accuracy() {
        TrainConfig train = new TrainConfig(2, 64, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 3, 0, List.of());
        Path mlp = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config("fashion-mnist-small",
                "0-4", null, 0.1, "mlp", ModelOptions.DEFAULT, train), tmp.resolve("mlp"), false)
                .checkpoint());
        TrainConfig qat = new TrainConfig(1, 64, OptimizerConfig.adam(1e-4),
                new LrSchedule.Constant(), Augmentation.NONE, 3, 0, List.of());
        Quantization.Result r = new Quantization(s -> { }).run(new Quantization.Config(mlp,
                null, List.of(Int8.Calibration.MIN_MAX), 128, qat, 4), tmp.resolve("q"));
        assertEquals(2, r.rows().size());
        Quantization.Row ptq = r.rows().get(0);
        Quantization.Row aware = r.rows().get(1);
        assertEquals("post-training", ptq.training());
        assertTrue(aware.training().startsWith("quantization-aware"), aware.training());
        assertEquals(r.float32Accuracy(), ptq.accuracy(), 0.02);
        assertTrue(aware.accuracy() > r.float32Accuracy() - 0.02, aware + " vs float32 "
                + r.float32Accuracy());
        assertTrue(Files.exists(Path.of(r.qatCheckpoint(), "weights.safetensors")));
        assertThrows(IllegalArgumentException.class, () -> new Quantization.Config(mlp, null,
                List.of(), 128, null, 1));
    }
}
