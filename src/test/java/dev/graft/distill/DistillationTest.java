package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.graft.data.Augmentation;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.report.Report;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distillation end to end on the bundled subset, with a small convnet teacher. */
class DistillationTest {

    @TempDir
    static Path tmp;

    static Path teacher;
    /** A second, different teacher (an mlp) for ensembles. */
    static Path mlpTeacher;

    static TrainConfig train(int epochs) {
        return new TrainConfig(epochs, 64, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 7, 0, List.of());
    }

    @BeforeAll
    static void trainTeacher() {
        teacher = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config("fashion-mnist-small",
                null, null, 0.1, "convnet", ModelOptions.DEFAULT, train(1)),
                tmp.resolve("teacher"), false).checkpoint());
        mlpTeacher = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config(
                "fashion-mnist-small", null, null, 0.1, "mlp", ModelOptions.DEFAULT, train(1)),
                tmp.resolve("mlp-teacher"), false).checkpoint());
    }

    static Distillation.Config config(String student, String transferClasses,
            List<Distillation.Kind> kinds, Distillation.Terms terms, int epochs) {
        return new Distillation.Config(List.of(teacher), "fashion-mnist-small", null, null,
                transferClasses,
                false, 0.1, student, ModelOptions.DEFAULT, kinds, 1, terms, 2048, train(epochs));
    }

    /**
     * A kind whose timed chunks diverge (RKD's gradients spike; how many steps the chunks take
     * depends on the machine's speed) goes without an epoch cost; the run itself goes on and
     * records its diverged students, as it does for any seed.
     */
    @Test
    void aDivergingTimingLeavesTheCostOutAndTheRunGoesOn() {
        Distillation.Config c = new Distillation.Config(List.of(teacher), "fashion-mnist-small",
                null, 50, null, false, 0.1, "mlp", ModelOptions.DEFAULT,
                List.of(Distillation.Kind.ALONE, Distillation.Kind.RELATION), 1,
                Distillation.Terms.defaults(), 2048, new TrainConfig(1, 64,
                        OptimizerConfig.adam(1e4), new LrSchedule.Constant(), Augmentation.NONE,
                        7, 0, List.of()));
        Distillation.Result r = new Distillation(s -> { }).run(c, tmp.resolve("diverging"));
        Distillation.Row relation = r.rows().stream()
                .filter(row -> row.kind() == Distillation.Kind.RELATION).findFirst().orElseThrow();
        assertNull(relation.epochCostVsAlone(), "no cost from a diverged timing");
    }

    @Test
    void everyKindTrainsAStudentAndTheTableIsPairedWithTheStudentAlone() throws Exception {
        Distillation.Result r = new Distillation(s -> { }).run(config("mlp", null,
                List.of(Distillation.Kind.values()), Distillation.Terms.defaults(), 2),
                tmp.resolve("all"));
        assertEquals(5, r.rows().size());
        assertTrue(r.teacherCache().startsWith("cached logits, relation, hint"),
                r.teacherCache());
        assertTrue(r.teacher().parameters() > 3 * r.student().parameters());
        for (Distillation.StudentRun run : r.runs()) {
            assertTrue(run.testAccuracy() > 0.5, run.kind() + " accuracy "
                    + run.testAccuracy() + " (chance 0.1)");
            assertTrue(Files.exists(Path.of(run.checkpoint(), Checkpoint.WEIGHTS)));
        }
        Distillation.Row alone = r.rows().get(0);
        assertNull(alone.vsAlone());
        for (Distillation.Row row : r.rows().subList(1, 5)) {
            double own = r.runs().stream().filter(x -> x.kind() == row.kind()).findFirst()
                    .orElseThrow().testAccuracy();
            assertEquals(own - alone.accuracy().mean(), row.vsAlone().mean(), 1e-12);
            assertEquals("cached", row.teacherOutputs());
            assertNotNull(row.epochCostVsAlone());
        }
        // an mlp student has no feature maps: its last stage is adapted to the teacher's last
        assertEquals("layer2", r.plan().hintStudent());
        assertEquals("stage3", r.plan().hintTeacher());
        String text = DistillReport.text(r);
        for (Distillation.Kind k : Distillation.Kind.values()) {
            assertTrue(text.contains(k.id()), text);
        }
        String html = Files.readString(tmp.resolve("all").resolve(Report.FILE));
        assertTrue(html.contains("<img") && html.contains("combined"), "report with charts");
    }

    /**
     * A hint between maps of different sizes pools the larger; FitNets' first stage runs; the
     * transfer set can be a class subset (two classes here, to keep the test short).
     */
    /** --shots: the transfer set is that many labelled images per class, cached alike. */
    @Test
    void aLabelBudgetIsTheTransferSet() {
        Distillation.Config c = new Distillation.Config(List.of(teacher), "fashion-mnist-small", null, 12,
                null, false, 0.1, "mlp", ModelOptions.DEFAULT, List.of(Distillation.Kind.ALONE,
                        Distillation.Kind.RESPONSE), 1, Distillation.Terms.defaults(), 2048,
                train(1));
        Distillation.Result r = new Distillation(s -> { }).run(c, tmp.resolve("shots"));
        assertEquals(120, r.trainExamples());
        assertEquals("cached", r.rows().get(1).teacherOutputs());
    }

    @Test
    void convnetHintsPoolTheTeachersLargerMaps() {
        Distillation.Terms t = new Distillation.Terms(4, 0.9, "stage2", "stage1", 1, 1000, 25, 50,
                1);
        Distillation.Result r = new Distillation(s -> { }).run(config("convnet", "0-1",
                List.of(Distillation.Kind.FEATURE), t, 1), tmp.resolve("hint"));
        assertArrayEquals(new long[] {7, 7}, r.plan().hintSize());
        assertEquals(2 * 540, r.trainExamples());
        assertTrue(r.runs().get(0).testAccuracy() > 0.1, "two of ten classes learnt");
        assertNull(r.rows().get(0).vsAlone(), "no student alone to pair with");
    }

    @Test
    void cachedTeacherOutputsEqualTheComputedOnes() {
        try (NDManager m = NDManager.newBaseManager()) {
            ImageDataset images = new DatasetResolver().resolve("fashion-mnist-small", s -> { })
                    .test();
            Checkpoint.Loaded t = Checkpoint.load(teacher, m);
            TeacherOutputs outputs = new TeacherOutputs(List.of(t.net()), List.of("stage2"),
                    (logits, outs, in) -> Map.of(TeacherOutputs.LOGITS, logits, "hint",
                            outs.get("stage2")));
            try (TensorDataset data = TensorDataset.of(images.select(new int[] {0, 1, 2, 3, 4,
                5, 6}), t.spec().normalization(), m)) {
                outputs.cache(data, Set.of(TeacherOutputs.LOGITS, "hint"),
                        dev.graft.train.Progress.SILENT, m);
                assertTrue(outputs.cached(List.of(TeacherOutputs.LOGITS, "hint")));
                int[] idx = {5, 0, 3};
                Map<String, NDArray> looked = outputs.lookup(idx, List.of(TeacherOutputs.LOGITS,
                        "hint"), m);
                Map<String, NDArray> computed = outputs.compute(data.batch(idx, m).inputs());
                for (String k : List.of(TeacherOutputs.LOGITS, "hint")) {
                    assertEquals(computed.get(k).getShape(), looked.get(k).getShape());
                    assertTrue(computed.get(k).sub(looked.get(k)).abs().max().getFloat() < 1e-5,
                            k);
                }
            }
        }
    }

    @Test
    void anEnsembleTeachersLogitsAreTheMeanOfItsMembersAndItsAccuracyTheirs() {
        try (NDManager m = NDManager.newBaseManager()) {
            ImageDataset images = new DatasetResolver().resolve("fashion-mnist-small", s -> { })
                    .test();
            Checkpoint.Loaded a = Checkpoint.load(teacher, m);
            Checkpoint.Loaded b = Checkpoint.load(mlpTeacher, m);
            TeacherOutputs outputs = new TeacherOutputs(List.of(a.net(), b.net()),
                    List.of("stage1"), (logits, outs, in) -> Map.of(TeacherOutputs.LOGITS, logits,
                            "hint", outs.get("stage1")));
            try (TensorDataset data = TensorDataset.of(images, a.spec().normalization(), m)) {
                dev.graft.data.Batch batch = data.range(0, 50, m);
                float[] la = forward(a, batch.x(), m);
                float[] lb = forward(b, batch.x(), m);
                Map<String, NDArray> t = outputs.compute(batch.inputs());
                float[] mean = t.get(TeacherOutputs.LOGITS).toFloatArray();
                for (int i = 0; i < mean.length; i++) {
                    assertEquals((la[i] + lb[i]) / 2, mean[i], 1e-5);
                }
                // the stages the other terms read are the first member's (the convnet's maps)
                assertEquals(4, t.get("hint").getShape().dimension());
                // accuracy of the mean logits, counted here from the two members' own outputs
                float[] all = new float[data.size() * 10];
                float[] xa = forward(a, data.range(0, data.size(), m).x(), m);
                float[] xb = forward(b, data.range(0, data.size(), m).x(), m);
                int correct = 0;
                for (int i = 0; i < data.size(); i++) {
                    int best = 0;
                    for (int k = 0; k < 10; k++) {
                        all[i * 10 + k] = xa[i * 10 + k] + xb[i * 10 + k];
                        best = all[i * 10 + k] > all[i * 10 + best] ? k : best;
                    }
                    correct += best == data.label(i) ? 1 : 0;
                }
                assertEquals((double) correct / data.size(), outputs.accuracy(data, m), 1e-12);
            }
        }
    }

    private static float[] forward(Checkpoint.Loaded c, NDArray x, NDManager m) {
        return c.net().forward(new ai.djl.training.ParameterStore(m, false),
                new ai.djl.ndarray.NDList(x), false).head().toFloatArray();
    }

    @Test
    void anEnsembleTeacherDistillsAndIsReportedAsOne() {
        Distillation.Config c = new Distillation.Config(List.of(teacher, mlpTeacher),
                "fashion-mnist-small", null, null, null, false, 0.1, "mlp", ModelOptions.DEFAULT,
                List.of(Distillation.Kind.ALONE, Distillation.Kind.RESPONSE), 1,
                Distillation.Terms.defaults(), 2048, train(1));
        Distillation.Result r = new Distillation(s -> { }).run(c, tmp.resolve("ensemble"));
        assertEquals("ensemble of 2 (convnet, mlp)", r.teacher().architecture());
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(Checkpoint.load(teacher, m).net().parameterCount()
                    + Checkpoint.load(mlpTeacher, m).net().parameterCount(),
                    r.teacher().parameters());
        }
        assertEquals("cached", r.rows().get(1).teacherOutputs());
        assertTrue(r.runs().get(1).testAccuracy() > 0.5, "distilled from the ensemble");
    }

    @Test
    void badSettingsAreRefusedBeforeAnyTraining() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Distillation.Terms(0,
                0.9, null, null, 1, 0, 25, 50, 0)).getMessage().contains("--temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Distillation.Terms(4,
                1.5, null, null, 1, 0, 25, 50, 0)).getMessage().contains("--alpha"));
        Distillation.Terms badStage = new Distillation.Terms(4, 0.9, "stage9", null, 1, 0, 25, 50,
                0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Distillation(s -> { }).run(config("convnet", null,
                        List.of(Distillation.Kind.FEATURE), badStage, 1), tmp.resolve("bad1")));
        assertTrue(e.getMessage().contains("stages are [stage1, stage2, stage3]"), e.getMessage());
        Distillation.Config fiveClasses = new Distillation.Config(List.of(teacher), "fashion-mnist-small",
                "0-4", null, null, false, 0.1, "mlp", ModelOptions.DEFAULT,
                List.of(Distillation.Kind.RESPONSE), 1, Distillation.Terms.defaults(), 2048,
                train(1));
        GraftException g = assertThrows(GraftException.class,
                () -> new Distillation(s -> { }).run(fiveClasses, tmp.resolve("bad2")));
        assertTrue(g.getMessage().contains("has 10 classes"), g.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Distillation.Config(List.of(teacher),
                null, null, null, null, true, 0.1, "mlp", ModelOptions.DEFAULT,
                List.of(Distillation.Kind.FEATURE), 1, Distillation.Terms.defaults(), 2048,
                train(1)));
        assertFalse(Files.exists(tmp.resolve("bad1")) || Files.exists(tmp.resolve("bad2")),
                "nothing written on refusal");
    }

    @Test
    void aTeacherOfOtherInputShapesIsRefused() {
        Path other = tmp.resolve("teacher32");
        int[] shape = {1, 32, 32};
        try (NDManager m = NDManager.newBaseManager()) {
            var net = dev.graft.model.Architecture.MLP.build(shape, 10, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            Checkpoint.save(other, net, new ModelSpec(ModelSpec.FORMAT_VERSION, "mlp",
                    ModelOptions.DEFAULT, shape, 10, null, Normalization.identity(1),
                    net.stageNames(), Checkpoint.parameterShapes(net), null), null);
        }
        Distillation.Config c = new Distillation.Config(List.of(other), "fashion-mnist-small", null, null, null,
                false, 0.1, "mlp", ModelOptions.DEFAULT, List.of(Distillation.Kind.RESPONSE), 1,
                Distillation.Terms.defaults(), 2048, train(1));
        GraftException e = assertThrows(GraftException.class,
                () -> new Distillation(s -> { }).run(c, tmp.resolve("bad3")));
        assertTrue(e.getMessage().contains("was trained on images [1, 32, 32] but"
                + " fashion-mnist-small has [1, 28, 28]"), e.getMessage());
        Distillation.Config ensemble = new Distillation.Config(List.of(teacher, other),
                "fashion-mnist-small", null, null, null, false, 0.1, "mlp", ModelOptions.DEFAULT,
                List.of(Distillation.Kind.RESPONSE), 1, Distillation.Terms.defaults(), 2048,
                train(1));
        GraftException mixed = assertThrows(GraftException.class,
                () -> new Distillation(s -> { }).run(ensemble, tmp.resolve("bad4")));
        assertTrue(mixed.getMessage().contains("must share classes, input shape and input"
                + " normalization") && mixed.getMessage().contains(other + " takes inputs"
                        + " [1, 32, 32]"), mixed.getMessage());
        assertFalse(Files.exists(tmp.resolve("bad3")) || Files.exists(tmp.resolve("bad4")),
                "nothing written on refusal");
        assertThrows(IllegalArgumentException.class, () -> new Distillation.Config(
                List.of(teacher, teacher), null, null, null, null, false, 0.1, "mlp",
                ModelOptions.DEFAULT, List.of(Distillation.Kind.RESPONSE), 1,
                Distillation.Terms.defaults(), 2048, train(1)));
    }
}
