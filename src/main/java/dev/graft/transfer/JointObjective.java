package dev.graft.transfer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.model.StagedNet;
import dev.graft.train.LossFunction;
import dev.graft.train.Objective;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Multi-task learning as transfer ({@code joint}): every step of the target's training also
 * takes as many of the source task's labelled images, appended to the same forward pass, and
 * adds their cross-entropy under a source head on the trunk's top stage. The trunk learns both
 * tasks at once instead of the source first and the target after.
 */
final class JointObjective implements Objective {

    private static final LossFunction CE = LossFunction.crossEntropy();

    private final TensorDataset source;
    private final StagedNet sourceHead;
    private final String stage;
    private final SplittableRandom rng;
    private int[] order;
    private int next;
    private int[] drawn;

    /**
     * @param source the source task's training images, normalized as the target's
     * @param sourceHead a network of the source architecture whose head answers the source task
     * @param stage the trunk's top stage, which the source head reads
     */
    JointObjective(TensorDataset source, StagedNet sourceHead, String stage, long seed) {
        this.source = source;
        this.sourceHead = sourceHead;
        this.stage = stage;
        this.rng = new SplittableRandom(seed);
    }

    @Override
    public NDArray appended(int labelled, NDManager step) {
        drawn = new int[labelled];
        for (int i = 0; i < labelled; i++) {
            if (order == null || next == order.length) {
                order = ImageDataset.permutation(source.size(), rng);
                next = 0;
            }
            drawn[i] = order[next++];
        }
        return source.batch(drawn, step).x();
    }

    @Override
    public List<String> stages() {
        return List.of(stage);
    }

    @Override
    public Map<String, Parameter> parameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        sourceHead.parameters(StagedNet.HEAD).forEach((n, p) -> out.put("source_task." + n, p));
        return out;
    }

    @Override
    public NDArray compute(Step step) {
        int b = (int) step.labels().size();
        NDArray target = CE.compute(step.logits(), step.labels(), step.inputs());
        NDArray trunk = step.stageOutputs().get(stage);
        NDArray sourceLogits = sourceHead.head().block().forward(new ParameterStore(
                step.manager(), false), new NDList(trunk.get(b + ":")), true).head();
        long[] y = new long[drawn.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = source.label(drawn[i]);
        }
        return target.add(CE.compute(sourceLogits, step.manager().create(y), step.inputs()));
    }
}
