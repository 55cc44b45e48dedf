package dev.graft.train;

import dev.graft.data.Batch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.model.StagedNet;
import java.util.List;

/**
 * Accuracy, mean loss, per-class accuracy and confusion matrix of a network on a dataset, in
 * inference mode.
 *
 * @param confusion {@code confusion[true][predicted]} counts
 */
public record Evaluation(
        @JsonProperty("accuracy") double accuracy,
        @JsonProperty("loss") double loss,
        @JsonProperty("examples") int examples,
        @JsonProperty("class_names") List<String> classNames,
        @JsonProperty("per_class_accuracy") double[] perClassAccuracy,
        @JsonProperty("confusion") long[][] confusion) {

    /** Evaluates {@code net} on every example of {@code data}. */
    public static Evaluation of(StagedNet net, Examples data, List<String> classNames,
            NDManager manager) {
        int batchSize = net.inferenceBatchSize();
        int k = net.numClasses();
        if (data.numClasses() != k) {
            throw new IllegalArgumentException("the model has " + k + " classes but the data has "
                    + data.numClasses());
        }
        long[][] confusion = new long[k][k];
        double lossSum = 0;
        LossFunction ce = LossFunction.crossEntropy();
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            try (NDManager step = manager.newSubManager()) {
                Batch b = data.range(from, to, step);
                NDArray logits = net.forward(new ParameterStore(step, false), b.inputs(), false)
                        .head();
                lossSum += ce.compute(logits, b.y(), b.inputs()).getFloat() * (to - from);
                long[] pred = logits.argMax(1).toLongArray();
                for (int i = 0; i < pred.length; i++) {
                    confusion[data.label(from + i)][(int) pred[i]]++;
                }
            }
        }
        long correct = 0;
        double[] perClass = new double[k];
        for (int c = 0; c < k; c++) {
            long total = 0;
            for (int p = 0; p < k; p++) {
                total += confusion[c][p];
            }
            correct += confusion[c][c];
            perClass[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
        }
        int n = data.size();
        return new Evaluation(n == 0 ? Double.NaN : (double) correct / n,
                n == 0 ? Double.NaN : lossSum / n, n, classNames, perClass, confusion);
    }
}
