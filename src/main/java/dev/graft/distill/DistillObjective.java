package dev.graft.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.model.Adapter;
import dev.graft.model.Pooling;
import dev.graft.train.LossFunction;
import dev.graft.train.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A student's objective: the hard-label cross-entropy (unless the transfer set is unlabeled)
 * plus the distillation terms of its kind, against the teacher's outputs for the same batch.
 */
final class DistillObjective implements Objective {

    static final String HINT = "hint";
    static final String RELATION = "relation";

    private final Distillation.Kind kind;
    private final Distillation.Terms terms;
    private final boolean unlabeled;
    private final TeacherOutputs teacher;
    private final Distillation.Plan plan;
    private final Adapter adapter;
    private final LossFunction ce = LossFunction.crossEntropy();

    /**
     * @param adapter maps the student's hint stage into the teacher's; null unless the kind
     *     uses hints
     */
    DistillObjective(Distillation.Kind kind, Distillation.Terms terms, boolean unlabeled,
            TeacherOutputs teacher, Distillation.Plan plan, Adapter adapter) {
        this.kind = kind;
        this.terms = terms;
        this.unlabeled = unlabeled;
        this.teacher = teacher;
        this.plan = plan;
        this.adapter = adapter;
    }

    @Override
    public List<String> stages() {
        List<String> s = new ArrayList<>();
        if (kind.usesHints()) {
            s.add(plan.hintStudent());
        }
        if (kind.usesRelations() && !s.contains(plan.relationStudent())) {
            s.add(plan.relationStudent());
        }
        return s;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return adapter == null ? Map.of() : adapter.parameters();
    }

    @Override
    public NDArray compute(Step step) {
        Map<String, NDArray> t = targets(step, needs(kind));
        NDArray hard = unlabeled ? null : ce.compute(step.logits(), step.labels(), step.inputs());
        NDArray loss;
        if (kind.usesResponse()) {
            NDArray soft = DistillLosses.response(step.logits(), t.get(TeacherOutputs.LOGITS),
                    terms.temperature());
            loss = hard == null ? soft
                    : soft.mul((float) terms.alpha())
                            .add(hard.mul((float) (1 - terms.alpha())));
        } else {
            loss = hard;
        }
        if (kind.usesHints()) {
            loss = add(loss, hintTerms(step.stageOutputs().get(plan.hintStudent()),
                    t.get(HINT), step));
        }
        if (kind.usesRelations()) {
            NDArray s = Pooling.embedding(step.stageOutputs().get(plan.relationStudent()),
                    step.inputs());
            NDArray te = t.get(RELATION);
            loss = add(loss, DistillLosses.rkdDistance(s, te)
                    .mul((float) terms.distanceWeight())
                    .add(DistillLosses.rkdAngle(s, te).mul((float) terms.angleWeight())));
        }
        return loss;
    }

    /** Hint (through the adapter) and attention transfer, at the teacher target's size. */
    NDArray hintTerms(NDArray student, NDArray target, Step step) {
        NDArray s = student.getShape().dimension() == target.getShape().dimension() ? student
                : Pooling.embedding(student, step.inputs());
        NDArray adapted = adapter.forward(new ParameterStore(step.manager(), false), s, true);
        NDArray loss;
        if (target.getShape().dimension() == 4) {
            Shape size = target.getShape();
            adapted = DistillLosses.poolTo(adapted, size.get(2), size.get(3));
            loss = DistillLosses.hint(adapted, target).mul((float) terms.hintWeight());
            if (terms.attentionWeight() > 0 && s.getShape().dimension() == 4) {
                loss = loss.add(DistillLosses.attention(DistillLosses.poolTo(s, size.get(2),
                        size.get(3)), target).mul((float) terms.attentionWeight()));
            }
        } else {
            loss = DistillLosses.hint(adapted, target).mul((float) terms.hintWeight());
        }
        return loss;
    }

    /** Only the hint terms: FitNets' first stage, training the student up to its hint stage. */
    Objective hintOnly() {
        DistillObjective self = this;
        return new Objective() {
            @Override
            public List<String> stages() {
                return List.of(plan.hintStudent());
            }

            @Override
            public Map<String, Parameter> parameters() {
                return self.parameters();
            }

            @Override
            public NDArray compute(Step step) {
                Map<String, NDArray> t = targets(step, List.of(HINT));
                return hintTerms(step.stageOutputs().get(plan.hintStudent()), t.get(HINT), step);
            }
        };
    }

    /** The teacher's targets for the step: looked up when all are cached and still valid. */
    private Map<String, NDArray> targets(Step step, List<String> keys) {
        return teacher.cached(keys) && !step.augmented()
                ? teacher.lookup(step.indices(), keys, step.manager()) : teacher.compute(step.inputs());
    }

    private static NDArray add(NDArray a, NDArray b) {
        return a == null ? b : a.add(b);
    }

    /** The teacher targets a kind reads. */
    static List<String> needs(Distillation.Kind kind) {
        List<String> keys = new ArrayList<>();
        if (kind.usesResponse()) {
            keys.add(TeacherOutputs.LOGITS);
        }
        if (kind.usesHints()) {
            keys.add(HINT);
        }
        if (kind.usesRelations()) {
            keys.add(RELATION);
        }
        return keys;
    }
}
