package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;

/**
 * What one training step minimizes, when cross-entropy on the logits is not all: it may read
 * the outputs of named stages from the same forward pass, the batch's example indices (to look
 * up cached per-example targets, such as a teacher's logits), and train parameters of its own
 * (such as a distillation adapter).
 */
public interface Objective {

    /**
     * Everything the step has computed, for the objective to read.
     *
     * @param logits {@code [batch, classes]} of the labelled examples
     * @param appendedLogits {@code [appended, classes]} of the examples {@link #appended} added,
     *     or null
     * @param stageOutputs per stage, the outputs of the whole forward pass: the labelled
     *     examples' rows first, then the appended ones
     */
    record Step(
            NDArray logits,
            NDArray labels,
            NDList inputs,
            int[] indices,
            boolean augmented,
            Map<String, NDArray> stageOutputs,
            NDManager manager,
            NDArray appendedLogits) {

        /** The step's labelled examples only. */
        public Step(NDArray logits, NDArray labels, NDList inputs, int[] indices,
                boolean augmented, Map<String, NDArray> stageOutputs, NDManager manager) {
            this(logits, labels, inputs, indices, augmented, stageOutputs, manager, null);
        }

        /** The one input tensor of an image batch ({@code [batch, c, h, w]}). */
        public NDArray x() {
            if (inputs.size() != 1) {
                throw new IllegalStateException("this objective reads images, and the batch"
                        + " holds " + inputs.size() + " inputs (token ids and a mask)");
            }
            return inputs.head();
        }
    }

    /**
     * Unlabelled examples to run through the network in the same forward pass as the step's
     * labelled batch (a target-domain batch, for domain adaptation), or null. They are appended
     * after the labelled examples, so BatchNorm normalizes both with one set of batch
     * statistics, as Transfer-Learning-Library's training loops do.
     *
     * @param labelled the number of labelled examples in the step's batch
     * @param step the step's manager
     * @return {@code [appended, c, h, w]}, or null
     */
    default NDArray appended(int labelled, NDManager step) {
        return null;
    }

    /**
     * Stages whose outputs (taken in the training forward pass, before pooling) the objective
     * reads through {@link Step#stageOutputs()}.
     */
    default List<String> stages() {
        return List.of();
    }

    /**
     * Parameters of the objective's own, by name: they get gradients and are updated at the
     * scheduled base learning rate and the optimizer's weight decay after every step.
     */
    default Map<String, Parameter> parameters() {
        return Map.of();
    }

    /**
     * False when the step's labels are not classes of the logits (a pair's similarity target,
     * say): the loop then counts no training accuracy.
     */
    default boolean classifies() {
        return true;
    }

    /** The scalar to minimize. */
    NDArray compute(Step step);

    /**
     * Puts the step's gradients into the parameters, inside the step's gradient collector.
     * By default one backward pass of {@code value}, the scalar {@link #compute} returned; an
     * objective that combines its terms' gradients rather than their values (PCGrad, MGDA)
     * runs its own passes here and leaves in every parameter the gradient the step applies.
     */
    default void backward(NDArray value, GradientCollector gc) {
        gc.backward(value);
    }

    /** The plain objective: {@code f} on the logits, labels and inputs. */
    static Objective of(LossFunction f) {
        return s -> f.compute(s.logits(), s.labels(), s.inputs());
    }
}
