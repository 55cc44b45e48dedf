package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.model.Architecture;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.train.LossFunction;
import dev.graft.train.Objective;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the response objective mixes the teacher's and the labels' terms. */
class DistillObjectiveTest {

    @Test
    void responseMixesByAlphaAndUnlabeledIgnoresTheLabels() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet teacher = Architecture.MLP.build(new int[] {1, 2, 2}, 3,
                    ModelOptions.DEFAULT).initialize(m, 3);
            TeacherOutputs outputs = new TeacherOutputs(List.of(teacher), List.of(),
                    (logits, outs, in) -> Map.of(TeacherOutputs.LOGITS, logits));
            NDArray x = m.randomNormal(new Shape(4, 1, 2, 2));
            NDArray logits = m.randomNormal(new Shape(4, 3));
            NDArray labels = m.create(new long[] {0, 1, 2, 0});
            NDArray others = m.create(new long[] {2, 2, 1, 1});
            Distillation.Terms terms = new Distillation.Terms(2, 0.3, null, null, 1, 0, 25, 50,
                    0);
            NDArray teacherLogits = outputs.compute(new ai.djl.ndarray.NDList(x)).get(TeacherOutputs.LOGITS);
            double soft = DistillLosses.response(logits, teacherLogits, 2).getFloat();
            double hard = LossFunction.crossEntropy().compute(logits, labels, new ai.djl.ndarray.NDList(x)).getFloat();

            DistillObjective labelled = new DistillObjective(Distillation.Kind.RESPONSE, terms,
                    false, outputs, null, null);
            assertEquals(0.3 * soft + 0.7 * hard, value(labelled, logits, labels, x, m), 1e-5);
            assertNotEquals(value(labelled, logits, labels, x, m),
                    value(labelled, logits, others, x, m), 1e-3);

            DistillObjective unlabeled = new DistillObjective(Distillation.Kind.RESPONSE, terms,
                    true, outputs, null, null);
            assertEquals(soft, value(unlabeled, logits, labels, x, m), 1e-5);
            assertEquals(soft, value(unlabeled, logits, others, x, m), 1e-5);
        }
    }

    private static double value(DistillObjective o, NDArray logits, NDArray labels, NDArray x,
            NDManager m) {
        return o.compute(new Objective.Step(logits, labels, new ai.djl.ndarray.NDList(x), new int[] {0, 1, 2, 3}, false,
                Map.of(), m)).getFloat();
    }
}
