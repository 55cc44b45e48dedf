package dev.graft.multitask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.train.LossFunction;
import dev.graft.train.Objective;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The gradient weightings' plumbing: per-task backward passes that keep the graph, the trunk's
 * gradients copied, cleared and written back, and the representation's gradients pushed
 * through the trunk, each against one ordinary backward pass of the loss they amount to.
 */
class TaskObjectiveTest {

    static final int[] SHAPE = {1, 6, 6};
    static final int BATCH = 8;
    static final int[] SECOND = {0, 3, 1, 2, 3, 0, 2, 1};

    /** The stages the second task's head sits on: the top one, and one below it. */
    static final List<String> STAGES = List.of("layer2", "layer1");

    /**
     * Two networks' worth of state: the trunk with its head, and the second task's layers
     * above {@code stage} (its head, and its own copy of the stages above).
     */
    record Nets(StagedNet net, StagedNet head, String stage) {
        static Nets of(NDManager m, String stage) {
            return new Nets(Architecture.MLP.build(SHAPE, 3, ModelOptions.DEFAULT)
                    .initialize(m, 11), Architecture.MLP.build(SHAPE, 4, ModelOptions.DEFAULT)
                    .initialize(m, 12), stage);
        }

        /** Every gradient, the network's and the second task's own layers', by name. */
        Map<String, float[]> gradients() {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String s : net.groupNames()) {
                net.parameters(s).forEach((n, p) -> out.put(n, grad(p)));
            }
            head.parametersAbove(stage).forEach((n, p) -> out.put("second." + n, grad(p)));
            return out;
        }

        /** Whether {@code name} (of {@link #gradients}) belongs to one task alone. */
        boolean ownedByOneTask(String name) {
            return name.startsWith("second.") || net.parametersAbove(stage).containsKey(name);
        }

        private static float[] grad(Parameter p) {
            return p.getArray().getGradient().toFloatArray();
        }
    }

    static NDArray x(NDManager m) {
        return m.randomNormal(new ai.djl.ndarray.types.Shape(BATCH, SHAPE[0], SHAPE[1],
                SHAPE[2]));
    }

    static NDArray y(NDManager m) {
        return m.create(new long[] {0, 1, 2, 0, 1, 2, 0, 1});
    }

    /** One training step of {@code w}'s objective on fresh networks; their gradients after it. */
    static Map<String, float[]> step(Weighting w, boolean pastFirst, String stage, NDArray x,
            NDArray y, NDManager m, double[] weightsOut) {
        Nets n = Nets.of(m, stage);
        TaskObjective o = new TaskObjective(n.net(), stage, List.of("a", "b"),
                List.of(n.head()), List.of(new TaskObjective.SameImages(SECOND)), w.start(2, 0,
                        m), 100);
        if (pastFirst) {
            o.pastFirstEpochs();
        }
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Map<String, NDArray> outputs = new LinkedHashMap<>();
            outputs.put(stage, null);
            NDArray logits = n.net().forward(new ParameterStore(m, false), new NDList(x), true,
                    outputs);
            int[] idx = java.util.stream.IntStream.range(0, BATCH).toArray();
            NDArray value = o.compute(new Objective.Step(logits, y, new NDList(x), idx, false,
                    outputs, m));
            o.backward(value, gc);
        }
        if (weightsOut != null) {
            System.arraycopy(o.currentWeights(), 0, weightsOut, 0, weightsOut.length);
        }
        return n.gradients();
    }

    /** One backward pass of {@code loss(L_a, L_b)} on fresh networks; their gradients. */
    static Map<String, float[]> reference(BiFunction<NDArray, NDArray, NDArray> loss,
            String stage, NDArray x, NDArray y, NDManager m) {
        Nets n = Nets.of(m, stage);
        LossFunction ce = LossFunction.crossEntropy();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Map<String, NDArray> outputs = new LinkedHashMap<>();
            outputs.put(stage, null);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray logits = n.net().forward(ps, new NDList(x), true, outputs);
            NDArray second = n.head().forwardAbove(ps, new NDList(outputs.get(stage)), stage,
                    true);
            long[] y2 = java.util.Arrays.stream(SECOND).asLongStream().toArray();
            gc.backward(loss.apply(ce.compute(logits, y, new NDList(x)), ce.compute(second,
                    m.create(y2), new NDList(x))));
        }
        return n.gradients();
    }

    static void assertSame(Map<String, float[]> want, Map<String, float[]> got, String what) {
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(v, got.get(k), 1e-5f, what + ": " + k));
    }

    /**
     * GradNorm at its starting s (equal weights, 1 each) sums the two tasks' trunk gradients,
     * taken in two backward passes through one graph: the gradients of L_a + L_b, everywhere.
     */
    @Test
    void perTaskParameterGradientsAddUpToTheSummedLoss() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = x(m);
            NDArray y = y(m);
            for (String s : STAGES) {
                assertSame(reference(NDArray::add, s, x, y, m), step(Weighting.GRADNORM, true, s,
                        x, y, m, null), "gradnorm at equal weights, second head on " + s);
                assertSame(reference(NDArray::add, s, x, y, m), step(Weighting.EQUAL, false, s,
                        x, y, m, null), "equal, second head on " + s);
            }
        }
    }

    /**
     * MGDA-UB pushes {@code sum_k c_k dL_k/dz} through the shared stages and gives each task's
     * own layers its own task's gradient: the shared stages' gradients are those of {@code c_a
     * L_a + c_b L_b}, the tasks' own layers' those of {@code L_a + L_b}.
     */
    @Test
    void representationGradientsReachTheTrunkWeighted() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = x(m);
            NDArray y = y(m);
            for (String s : STAGES) {
                double[] c = new double[2];
                Map<String, float[]> got = step(Weighting.MGDA_UB, false, s, x, y, m, c);
                assertEquals(1, c[0] + c[1], 1e-6);
                assertTrue(c[0] > 0 && c[1] > 0, "both tasks weigh: " + c[0] + ", " + c[1]);
                Map<String, float[]> trunk = reference((a, b) -> a.mul((float) c[0]).add(b.mul(
                        (float) c[1])), s, x, y, m);
                Map<String, float[]> heads = reference(NDArray::add, s, x, y, m);
                Nets owner = Nets.of(m, s);
                got.forEach((k, v) -> assertArrayEquals(owner.ownedByOneTask(k) ? heads.get(k)
                        : trunk.get(k), v, 1e-5f, k + ", second head on " + s));
            }
        }
    }

    @Test
    void aFrozenTrunkIsRefusedByGradientWeightings() {
        try (NDManager m = NDManager.newBaseManager()) {
            Nets n = Nets.of(m, "layer2");
            for (String s : n.net().stageNames()) {
                n.net().parameters(s).values().forEach(p -> p.getArray().setRequiresGradient(
                        false));
            }
            TaskObjective o = new TaskObjective(n.net(), n.stage(), List.of("a", "b"),
                    List.of(n.head()), List.of(new TaskObjective.SameImages(SECOND)),
                    Weighting.PCGRAD.start(2, 0, m), 100);
            NDArray x = x(m);
            GraftException e = assertThrows(GraftException.class, () -> {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    Map<String, NDArray> outputs = new LinkedHashMap<>();
                    outputs.put(n.stage(), null);
                    NDArray logits = n.net().forward(new ParameterStore(m, false),
                            new NDList(x), true, outputs);
                    NDArray v = o.compute(new Objective.Step(logits, y(m), new NDList(x),
                            java.util.stream.IntStream.range(0, BATCH).toArray(), false,
                            outputs, m));
                    o.backward(v, gc);
                }
            });
            assertTrue(e.getMessage().contains("frozen"), e.getMessage());
        }
    }

    /** The second task's own images: every one of them, in the order a dataset holds them. */
    static NDArray x2(NDManager m) {
        return m.randomUniform(-1, 1, new ai.djl.ndarray.types.Shape(BATCH, SHAPE[0], SHAPE[1],
                SHAPE[2]));
    }

    /**
     * A task on images of its own: its batch (all of its {@code BATCH} images, drawn in some
     * order) goes through the network after the step's own, and its loss reads those rows
     * only; the gradients are those of {@code L_a(x) + L_b(x2)} (mean losses do not depend on
     * the order drawn). MGDA-UB's weights come from the concatenated representation's gradients.
     */
    @Test
    void aTaskOnItsOwnImagesReadsItsOwnRows() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = x(m);
            NDArray y = y(m);
            NDArray x2 = x2(m);
            long[] y2 = java.util.Arrays.stream(SECOND).asLongStream().toArray();
            for (String s : STAGES) {
                for (Weighting w : List.of(Weighting.EQUAL, Weighting.MGDA_UB)) {
                    Nets n = Nets.of(m, s);
                    float[] flat = x2.toFloatArray();
                    dev.graft.data.TensorDataset own = dev.graft.data.TensorDataset.ofValues(flat,
                            SHAPE, SECOND, 4, m);
                    TaskObjective o = new TaskObjective(n.net(), s, List.of("a", "b"),
                            List.of(n.head()), List.of(new TaskObjective.OwnImages(own, 5)),
                            w.start(2, 0, m), 100);
                    double[] c = new double[2];
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray extra = o.appended(BATCH, m);
                        assertEquals(BATCH, extra.getShape().get(0));
                        Map<String, NDArray> outputs = new LinkedHashMap<>();
                        outputs.put(s, null);
                        NDArray all = n.net().forward(new ParameterStore(m, false), new NDList(
                                x.concat(extra, 0)), true, outputs);
                        int[] idx = java.util.stream.IntStream.range(0, BATCH).toArray();
                        NDArray value = o.compute(new Objective.Step(all.get("0:" + BATCH), y,
                                new NDList(x), idx, false, outputs, m, all.get(BATCH + ":")));
                        o.backward(value, gc);
                        System.arraycopy(o.currentWeights(), 0, c, 0, 2);
                    }
                    Map<String, float[]> got = n.gradients();
                    float ca = w == Weighting.EQUAL ? 1 : (float) c[0];
                    float cb = w == Weighting.EQUAL ? 1 : (float) c[1];
                    Map<String, float[]> trunk = ownImagesReference(ca, cb, s, x, y, x2, y2, m);
                    Map<String, float[]> heads = ownImagesReference(1, 1, s, x, y, x2, y2, m);
                    Nets owner = Nets.of(m, s);
                    got.forEach((k, v) -> assertArrayEquals(owner.ownedByOneTask(k) ? heads
                            .get(k) : trunk.get(k), v, 1e-5f, w.id() + ", " + k
                                    + ", second head on " + s));
                }
            }
        }
    }

    /** One backward pass of {@code ca L_a(x) + cb L_b(x2)} through one forward of both. */
    static Map<String, float[]> ownImagesReference(float ca, float cb, String stage, NDArray x,
            NDArray y, NDArray x2, long[] y2, NDManager m) {
        Nets n = Nets.of(m, stage);
        LossFunction ce = LossFunction.crossEntropy();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Map<String, NDArray> outputs = new LinkedHashMap<>();
            outputs.put(stage, null);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray all = n.net().forward(ps, new NDList(x.concat(x2, 0)), true, outputs);
            NDArray second = n.head().forwardAbove(ps, new NDList(outputs.get(stage).get(BATCH
                    + ":")), stage, true);
            gc.backward(ce.compute(all.get("0:" + BATCH), y, new NDList(x)).mul(ca).add(ce
                    .compute(second, m.create(y2), new NDList(x2)).mul(cb)));
        }
        return n.gradients();
    }
}
