package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.BertConfig;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A text student started from its teacher's layers, as DistilBERT starts. */
class TextStudentTest {

    static final BertConfig FOUR = new BertConfig(50, 16, 4, 2, 32, 12, 2, 1e-12);

    /** A BERT of {@code config} over 12 tokens and 3 classes, initialized from {@code seed}. */
    static StagedNet bert(BertConfig config, long seed, NDManager m) {
        return Architecture.BERT.build(new int[] {12}, 3, ModelOptions.ofText(config))
                .initialize(m, seed);
    }

    static float[] of(StagedNet net, String name) {
        return net.namedParameters().get(name).getArray().toFloatArray();
    }

    /** Four teacher layers to two: student layer 1 is teacher layer 2; the rest as named. */
    @Test
    void studentLayersComeFromEveryOtherTeacherLayer() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet teacher = bert(FOUR, 1, m);
            StagedNet student = bert(FOUR.withLayers(2), 2, m);
            String q1 = "encoder.layer.1.attention.self.query.weight";
            assertNotEquals(of(teacher, "encoder.layer.2.attention.self.query.weight")[0],
                    of(student, q1)[0], "different seeds start different weights");
            Distillation.fromTeacherLayers(student, teacher);
            assertArrayEquals(of(teacher, "encoder.layer.2.attention.self.query.weight"),
                    of(student, q1));
            assertArrayEquals(of(teacher, "encoder.layer.0.output.dense.weight"),
                    of(student, "encoder.layer.0.output.dense.weight"));
            assertArrayEquals(of(teacher, "embeddings.word_embeddings.weight"),
                    of(student, "embeddings.word_embeddings.weight"));
            assertArrayEquals(of(teacher, "classifier.weight"), of(student, "classifier.weight"));
            assertEquals(List.of("embeddings", "layer0", "layer1"), student.stageNames());
        }
    }

    @Test
    void aTextTeacherRefusesImageStudentsAndDeeperStudents() {
        ModelSpec teacher = new ModelSpec(ModelSpec.FORMAT_VERSION, "bert", ModelOptions.ofText(
                FOUR), new int[] {12}, 3, List.of("a", "b", "c"), null, null, Map.of(), null);
        GraftException image = assertThrows(GraftException.class, () -> Distillation
                .checkModality(config("convnet", ModelOptions.DEFAULT, Distillation.Kind.ALONE),
                        teacher, Architecture.byId("convnet")));
        assertTrue(image.getMessage().contains("a text student is bert"), image.getMessage());
        GraftException deeper = assertThrows(GraftException.class, () -> Distillation
                .checkModality(config("bert", ModelOptions.ofText(FOUR.withLayers(6)),
                        Distillation.Kind.RESPONSE), teacher, Architecture.BERT));
        assertTrue(deeper.getMessage().contains("1 to 4"), deeper.getMessage());
        for (Distillation.Kind k : Distillation.Kind.values()) {
            Distillation.checkModality(config("bert", ModelOptions.ofText(FOUR.withLayers(2)),
                    k), teacher, Architecture.BERT);
        }
    }

    /**
     * Hints and relations on text compare sentence vectors: a stage's tokens averaged over the
     * mask, so a sentence's target is the same alone and padded beside a longer one (a mean
     * over every position, padding included, fails this).
     */
    @Test
    void textHintsAndRelationsCompareSentenceVectorsWhateverThePadding() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet teacher = bert(FOUR, 1, m);
            StagedNet student = bert(FOUR.withLayers(2), 2, m);
            Distillation.Plan plan = Distillation.plan(config("bert",
                    ModelOptions.ofText(FOUR.withLayers(2)), Distillation.Kind.COMBINED),
                    student, teacher);
            assertEquals("layer1", plan.hintStudent(), "the student's top layer");
            assertEquals("layer3", plan.hintTeacher(), "the teacher's top layer");
            assertEquals("layer3", plan.relationTeacher());
            TeacherOutputs outputs = Distillation.teacherOutputs(List.of(teacher), plan, student);
            NDList padded = new NDList(m.create(new long[] {7, 8, 9, 0, 0, 3, 4, 5, 6, 7},
                    new Shape(2, 5)), m.create(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1},
                    new Shape(2, 5)));
            NDList alone = new NDList(m.create(new long[] {7, 8, 9}, new Shape(1, 3)),
                    m.create(new long[] {1, 1, 1}, new Shape(1, 3)));
            Map<String, NDArray> both = outputs.compute(padded);
            Map<String, NDArray> one = outputs.compute(alone);
            for (String key : List.of(DistillObjective.HINT, DistillObjective.RELATION)) {
                assertEquals(new Shape(2, 16), both.get(key).getShape(), key);
                assertArrayEquals(one.get(key).toFloatArray(), both.get(key).get("0:1")
                        .toFloatArray(), 1e-5f, key + ": the padded sentence's vector");
            }
            NDArray features = teacher.features(new ParameterStore(m, false), alone, "layer3",
                    Pooling.AVERAGE);
            assertArrayEquals(features.toFloatArray(), one.get(DistillObjective.HINT)
                    .toFloatArray(), 1e-6f, "what graft extract gives for the stage");
        }
    }

    static Distillation.Config config(String arch, ModelOptions options, Distillation.Kind k) {
        return new Distillation.Config(List.of(java.nio.file.Path.of("teacher")), "x", null, null,
                null, false, 0.1, arch, options, List.of(k), 1, Distillation.Terms.defaults(),
                0, new dev.graft.train.TrainConfig(1, 8, dev.graft.train.OptimizerConfig.adamW(
                        5e-5), new dev.graft.train.LrSchedule.Constant(),
                        dev.graft.data.Augmentation.NONE, 1, 0, List.of()));
    }
}
