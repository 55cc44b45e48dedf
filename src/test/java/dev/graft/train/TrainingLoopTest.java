package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.graft.data.Augmentation;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.model.Architecture;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The loop on a slice of the bundled subset: resume, freezing, determinism, the NaN guard. */
class TrainingLoopTest {

    static ImageDataset slice;

    @BeforeAll
    static void data() {
        ImageDataset train = new DatasetResolver(Map.of(), Path.of("/nonexistent"), false)
                .resolve("fashion-mnist-small", s -> { }).train();
        int[] idx = new int[640];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        slice = train.select(idx);
    }

    static TrainConfig config(int epochs, List<ParamGroup> groups) {
        return new TrainConfig(epochs, 64, OptimizerConfig.adam(1e-3), LrSchedule.OneCycle
                .defaults(), new Augmentation(2, true), 3, 0, groups);
    }

    static Map<String, float[]> weights(StagedNet net) {
        Map<String, float[]> out = new LinkedHashMap<>();
        net.namedParameters().forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }

    static void assertSame(Map<String, float[]> a, Map<String, float[]> b) {
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), 0f, k);
        }
    }

    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void resumingAfterAnEpochGivesBitIdenticalWeights() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet a = Architecture.CONVNET.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            try (TrainingLoop loop = new TrainingLoop(a, config(2, List.of()), m)) {
                loop.fit(data, null, 1, 0, (e, i) -> { });
            }
            StagedNet b = Architecture.CONVNET.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            Map<String, float[]>[] saved = new Map[1];
            NDList[] state = new NDList[1];
            Map<String, Integer>[] counts = new Map[1];
            try (TrainingLoop loop = new TrainingLoop(b, config(2, List.of()), m)) {
                assertThrows(Stop.class, () -> loop.fit(data, null, 1, 0, (e, i) -> {
                    saved[0] = weights(b);
                    NDList copy = new NDList();
                    loop.optimizer().stateTensors().forEach(t -> {
                        var d = t.duplicate();
                        d.attach(m);
                        d.setName(t.getName());
                        copy.add(d);
                    });
                    state[0] = copy;
                    counts[0] = loop.optimizer().stepCounts();
                    throw new Stop();
                }));
            }
            StagedNet c = Architecture.CONVNET.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 99);
            c.namedParameters().forEach((k, p) -> p.getArray().set(
                    java.nio.FloatBuffer.wrap(saved[0].get(k))));
            try (TrainingLoop loop = new TrainingLoop(c, config(2, List.of()), m)) {
                loop.optimizer().restore(state[0], counts[0]);
                loop.fit(data, null, 2, 0, (e, i) -> { });
            }
            assertSame(weights(a), weights(c));
        }
    }

    @Test
    void frozenStageKeepsWeightsAndBatchNormStatistics() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet net = Architecture.CONVNET.build(slice.imageShape(), 10,
                    ModelOptions.DEFAULT).initialize(m, 1);
            Map<String, float[]> before = weights(net);
            try (TrainingLoop loop = new TrainingLoop(net, config(1, List.of(
                    new ParamGroup("stage1", 1, null, true))), m)) {
                loop.fit(data, null, 1, 0, (e, i) -> { });
            }
            Map<String, float[]> after = weights(net);
            for (String k : before.keySet()) {
                boolean same = java.util.Arrays.equals(before.get(k), after.get(k));
                if (k.startsWith("stage1.")) {
                    assertTrue(same, k + " moved although stage1 is frozen");
                } else {
                    assertFalse(same, k + " did not train");
                }
            }
        }
    }

    @Test
    void gradualUnfreezingTrainsAStageOnlyOnceItIsUnfrozen() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet net = Architecture.MLP.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            Map<String, float[]> start = weights(net);
            java.util.List<Map<String, float[]>> afterEpoch = new java.util.ArrayList<>();
            try (TrainingLoop loop = new TrainingLoop(net, config(2, List.of()), m)) {
                loop.groupsByEpoch(e -> e == 1 ? List.of(ParamGroup.frozen("layer1"))
                        : List.of());
                loop.fit(data, null, 1, 0, (e, i) -> afterEpoch.add(weights(net)));
            }
            assertArrayEquals(start.get("layer1.fc.weight"),
                    afterEpoch.get(0).get("layer1.fc.weight"), 0f);
            assertFalse(java.util.Arrays.equals(afterEpoch.get(0).get("layer1.fc.weight"),
                    afterEpoch.get(1).get("layer1.fc.weight")), "layer1 did not train in epoch 2");
            assertFalse(java.util.Arrays.equals(start.get("head.weight"),
                    afterEpoch.get(0).get("head.weight")));
        }
    }

    /**
     * A network under a new head counts as initialized, so DJL's training-mode forward does not
     * initialize it again, which would turn gradients back on for a frozen stage's parameters.
     */
    @Test
    void aNetworkUnderANewHeadKeepsItsFrozenStageFrozenThroughDjlsForward() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.CONVNET.build(slice.imageShape(), 10,
                    ModelOptions.DEFAULT).initialize(m, 1).withHead(5, m, 2);
            assertTrue(net.isInitialized());
            net.parameters("stage1").values().forEach(p -> p.getArray()
                    .setRequiresGradient(false));
            net.forward(new ai.djl.training.ParameterStore(m, false),
                    new NDList(m.ones(net.batchInputShape(2))), true);
            net.parameters("stage1").forEach((name, p) -> assertFalse(
                    p.getArray().hasGradient(), name + " takes gradients again"));
        }
    }

    @Test
    void sameSeedSameWeights() {
        Map<String, float[]>[] runs = new Map[2];
        for (int r = 0; r < 2; r++) {
            try (NDManager m = NDManager.newBaseManager();
                    TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
                StagedNet net = Architecture.MLP.build(slice.imageShape(), 10,
                        ModelOptions.DEFAULT).initialize(m, 5);
                try (TrainingLoop loop = new TrainingLoop(net, config(1, List.of()), m)) {
                    loop.fit(data, null, 1, 0, (e, i) -> { });
                }
                runs[r] = weights(net);
            }
        }
        assertSame(runs[0], runs[1]);
    }

    @Test
    void nonFiniteLossStopsBeforeTheUpdate() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet net = Architecture.MLP.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            Map<String, float[]> before = weights(net);
            try (TrainingLoop loop = new TrainingLoop(net, config(1, List.of()), m)) {
                loop.loss((logits, y, x) -> logits.sum().mul(Float.NaN));
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                        () -> loop.fit(data, null, 1, 0, (ep, i) -> { }));
                assertTrue(e.getMessage().contains("epoch 1, step 1"), e.getMessage());
            }
            assertSame(before, weights(net));
        }
    }

    /**
     * An objective's appended examples run in the same forward pass: its logits are split at the
     * labelled batch, stage outputs span both, and the loop's accuracy counts labelled ones.
     */
    @Test
    void appendedExamplesJoinTheForwardPass() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet net = Architecture.CONVNET.build(slice.imageShape(), 10,
                    ModelOptions.DEFAULT).initialize(m, 1);
            List<long[]> seen = new java.util.ArrayList<>();
            try (TrainingLoop loop = new TrainingLoop(net, config(1, List.of()), m)) {
                loop.objective(new Objective() {
                    @Override
                    public List<String> stages() {
                        return List.of("stage3");
                    }

                    @Override
                    public ai.djl.ndarray.NDArray appended(int labelled, NDManager step) {
                        return data.range(0, 3, step).x();
                    }

                    @Override
                    public ai.djl.ndarray.NDArray compute(Step s) {
                        seen.add(new long[] {s.logits().getShape().get(0),
                            s.appendedLogits().getShape().get(0),
                            s.stageOutputs().get("stage3").getShape().get(0)});
                        return LossFunction.crossEntropy().compute(s.logits(), s.labels(), s.inputs());
                    }
                });
                TrainingLoop.Outcome o = loop.fit(data, null, 1, 0, (ep, i) -> { });
                assertTrue(o.history().get(0).trainAccuracy() <= 1.0);
            }
            assertEquals(10, seen.size()); // 640 / 64 steps
            assertArrayEquals(new long[] {64, 3, 67}, seen.get(0));
        }
    }

    /**
     * A finite loss whose gradient is not finite (sqrt at 0, times 0: NaN) on one step: that step
     * leaves the weights and the optimizer alone and is counted; training goes on. Every step so:
     * diverged after ten in a row, the weights untouched.
     */
    @Test
    void aStepWithNonFiniteGradientsIsSkippedAndCounted() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            LossFunction ce = LossFunction.crossEntropy();
            for (boolean everyStep : new boolean[] {false, true}) {
                StagedNet net = Architecture.MLP.build(slice.imageShape(), 10,
                        ModelOptions.DEFAULT).initialize(m, 1);
                Map<String, float[]> before = weights(net);
                int[] calls = {0};
                List<Map<String, float[]>> atStep = new java.util.ArrayList<>();
                try (TrainingLoop loop = new TrainingLoop(net, config(1, List.of()), m)) {
                    loop.loss((logits, y, x) -> {
                        NDArray loss = ce.compute(logits, y, x);
                        calls[0]++;
                        return everyStep || calls[0] == 3
                                ? loss.add(logits.sum().mul(0f).sqrt()) : loss;
                    });
                    loop.hook((n, epoch, step, sm) -> atStep.add(weights(n)));
                    if (everyStep) {
                        TrainingDivergedException e = assertThrows(
                                TrainingDivergedException.class,
                                () -> loop.fit(data, null, 1, 0, (ep, i) -> { }));
                        assertTrue(e.getMessage().contains("not finite for 10 steps in a row"),
                                e.getMessage());
                        assertSame(before, weights(net));
                        continue;
                    }
                    TrainingLoop.Outcome o = loop.fit(data, null, 1, 0, (ep, i) -> { });
                    assertEquals(1, o.history().get(0).skippedSteps());
                }
                assertSame(atStep.get(1), atStep.get(2)); // step 3 skipped
                assertFalse(java.util.Arrays.equals(atStep.get(2).get("head.weight"),
                        atStep.get(3).get("head.weight")), "step 4 trained");
                for (float[] w : weights(net).values()) {
                    for (float v : w) {
                        assertTrue(Float.isFinite(v));
                    }
                }
            }
        }
    }

    /**
     * One plain SGD step at rate 1 moves the weights by minus the gradient: with clipping the
     * move is the unclipped one scaled to length 0.5 exactly, and a frozen stage neither moves
     * nor counts in the norm.
     */
    @Test
    void clippingScalesTheStepsGradientsToTheGlobalNorm() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset all = TensorDataset.of(slice, Normalization.fit(slice), m);
                TensorDataset batch = all.head(64, m)) {
            Map<String, float[]> start = null;
            Map<String, float[]>[] moved = new Map[2];
            for (int run = 0; run < 2; run++) {
                StagedNet net = Architecture.MLP.build(slice.imageShape(), 10,
                        ModelOptions.DEFAULT).initialize(m, 1);
                start = weights(net);
                OptimizerConfig sgd = OptimizerConfig.sgd(1, 0).withClipGradNorm(run == 0 ? 0
                        : 0.5);
                TrainConfig one = new TrainConfig(1, 64, sgd, new LrSchedule.Constant(),
                        Augmentation.NONE, 3, 0, List.of(ParamGroup.frozen("layer1")));
                try (TrainingLoop loop = new TrainingLoop(net, one, m)) {
                    loop.fit(batch, null, 1, 0, (e, i) -> { });
                }
                Map<String, float[]> after = weights(net);
                Map<String, float[]> delta = new LinkedHashMap<>();
                for (String k : start.keySet()) {
                    float[] d = after.get(k).clone();
                    for (int i = 0; i < d.length; i++) {
                        d[i] -= start.get(k)[i];
                    }
                    delta.put(k, d);
                }
                moved[run] = delta;
            }
            double unclipped = norm(moved[0]);
            assertTrue(unclipped > 0.5, "the test needs a gradient longer than the clip: "
                    + unclipped);
            assertEquals(0.5, norm(moved[1]), 1e-4);
            for (String k : moved[0].keySet()) {
                float[] a = moved[0].get(k);
                float[] b = moved[1].get(k);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i] * 0.5 / unclipped, b[i], 1e-6, k);
                }
                if (k.startsWith("layer1")) {
                    assertEquals(0, norm(Map.of(k, a)), 0, "frozen " + k);
                }
            }
        }
    }

    private static double norm(Map<String, float[]> v) {
        double s = 0;
        for (float[] a : v.values()) {
            for (float x : a) {
                s += (double) x * x;
            }
        }
        return Math.sqrt(s);
    }

    @Test
    void earlyStoppingEndsTheRunWhenValidationStopsImproving() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet net = Architecture.MLP.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            TrainConfig cfg = new TrainConfig(6, 64, OptimizerConfig.adam(1e-3),
                    new LrSchedule.Constant(), Augmentation.NONE, 3, 1, List.of());
            LossFunction ce = LossFunction.crossEntropy();
            java.util.List<Boolean> improved = new java.util.ArrayList<>();
            try (TrainingLoop loop = new TrainingLoop(net, cfg, m)) {
                // a best-so-far of 99% (as after resuming a good run) and an ascending loss:
                // no epoch can improve, so patience 1 stops after the first
                loop.loss((logits, y, x) -> ce.compute(logits, y, x).neg());
                TrainingLoop.Outcome out = loop.fit(data, data, 1, 0.99,
                        (e, i) -> improved.add(i));
                assertTrue(out.stoppedEarly());
                assertTrue(out.history().size() == 1, "ran " + out.history().size() + " epochs");
                assertFalse(improved.get(0));
            }
        }
    }

    @Test
    void unknownStageInAGroupIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.MLP.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TrainingLoop(net, config(1, List.of(ParamGroup.trainable("stage9"))),
                            m));
            assertTrue(e.getMessage().contains("[layer1, layer2, head]"), e.getMessage());
        }
    }

    /**
     * Inception-v3 with its auxiliary classifier: training adds the classifier's loss (else
     * AuxLogits would get no gradient and Adam would leave it exactly as it was), a new head
     * has a new auxiliary classifier for the new classes.
     */
    @Test
    void inceptionsAuxiliaryLossJoinsTraining() {
        try (NDManager m = NDManager.newBaseManager()) {
            int[] shape = {3, 299, 299};
            StagedNet net = Architecture.INCEPTION_V3.build(shape, 2, ModelOptions.DEFAULT
                    .withAuxLogits(true)).initialize(m, 1);
            float[] x = m.randomNormal(new ai.djl.ndarray.types.Shape(2, 3, 299, 299))
                    .toFloatArray();
            try (TensorDataset data = TensorDataset.ofValues(x, shape, new int[] {0, 1}, 2, m)) {
                Map<String, float[]> before = weights(net);
                TrainConfig c = new TrainConfig(1, 2, OptimizerConfig.adam(1e-3),
                        new LrSchedule.Constant(), Augmentation.NONE, 3, 0, List.of());
                try (TrainingLoop loop = new TrainingLoop(net, c, m)) {
                    loop.fit(data, null, 1, 0, (e, i) -> { });
                }
                Map<String, float[]> after = weights(net);
                for (String k : List.of("AuxLogits.fc.weight", "AuxLogits.conv0.conv.weight",
                        "fc.weight")) {
                    assertFalse(java.util.Arrays.equals(before.get(k), after.get(k)),
                            k + " did not train");
                }
            }
            StagedNet five = net.withHead(5, m, 2);
            assertEquals(new ai.djl.ndarray.types.Shape(5, 768), five.namedParameters()
                    .get("AuxLogits.fc.weight").getShape());
            assertThrows(IllegalArgumentException.class, () -> Architecture.INCEPTION_V3.build(
                    new int[] {3, 150, 150}, 2, ModelOptions.DEFAULT.withAuxLogits(true)));
            assertThrows(IllegalArgumentException.class, () -> Architecture.RESNET50.build(
                    shape, 2, ModelOptions.DEFAULT.withAuxLogits(true)));
        }
    }

    /** The first batch sets the scale, floored at 1; 100 times it is an explosion. */
    @Test
    void explosionGuardComparesWithTheFirstBatch() {
        TrainingLoop.ExplosionGuard g = new TrainingLoop.ExplosionGuard();
        assertFalse(g.exploded(2));
        assertFalse(g.exploded(200)); // exactly 100 x 2 is not above it
        assertTrue(g.exploded(200.5));
        TrainingLoop.ExplosionGuard small = new TrainingLoop.ExplosionGuard();
        assertFalse(small.exploded(0.01)); // a converged model: the floor of 1 applies
        assertFalse(small.exploded(99));
        assertTrue(small.exploded(101));
    }

    /**
     * Issue 24, case 10: Adam at rate 1e6 drives the loss to ~1e19 without a NaN; the loop stops
     * with divergence instead of finishing on a chance-level model.
     */
    @Test
    void aFiniteExplodingLossIsDivergence() {
        try (NDManager m = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(slice, Normalization.fit(slice), m)) {
            StagedNet net = Architecture.MLP.build(slice.imageShape(), 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            TrainConfig c = new TrainConfig(2, 64, OptimizerConfig.adam(1e6),
                    new LrSchedule.Constant(), Augmentation.NONE, 3, 0, List.of());
            int[] epochs = {0};
            try (TrainingLoop loop = new TrainingLoop(net, c, m)) {
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                        () -> loop.fit(data, null, 1, 0, (ep, i) -> epochs[0]++));
                assertTrue(e.getMessage().contains("exploded"), e.getMessage());
            }
            assertEquals(0, epochs[0], "no epoch of the exploded run is reported as finished");
        }
    }
}
