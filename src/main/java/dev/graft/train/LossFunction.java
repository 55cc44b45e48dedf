package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/** The training objective: a scalar from the logits and labels of one batch. */
@FunctionalInterface
public interface LossFunction {

    /**
     * @param logits {@code [batch, classes]}
     * @param labels {@code [batch]} int64 class indices
     * @param inputs the batch's (augmented) inputs, for losses that need them
     * @return a scalar to minimize
     */
    NDArray compute(NDArray logits, NDArray labels, NDList inputs);

    /** Mean softmax cross-entropy: {@code -mean(log_softmax(logits)[i, y_i])}. */
    static LossFunction crossEntropy() {
        Loss sce = Loss.softmaxCrossEntropyLoss();
        return (logits, labels, x) -> sce.evaluate(new NDList(labels), new NDList(logits));
    }
}
