package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.data.UnlabeledDataset;
import dev.graft.model.StagedNet;
import dev.graft.train.Evaluation;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Scores an adapted network without target labels, higher meaning better, so a method can be
 * chosen when no target label exists to choose by.
 */
public enum Validator {
    /**
     * Soft neighbourhood density (Saito et al. 2021): predicted probability vectors of target
     * examples, scaled to unit length; each example's similarities to the others, divided by
     * {@link #SND_TEMPERATURE}, through a softmax; the mean entropy of those distributions. High
     * when target predictions form dense clusters.
     */
    SND("snd", "soft neighbourhood density of target predictions (Saito et al. 2021)"),
    /**
     * Information maximization (SHOT's objective, negated): the entropy of the mean target
     * prediction minus the mean entropy of the predictions. Confident predictions score high
     * only when they spread over the classes, so a model that collapsed onto one class (zero
     * entropy, zero diversity) scores 0, not best.
     */
    IM("im", "entropy of the mean target prediction minus the mean entropy of the predictions"),
    /** The negated mean entropy of the target predictions: confident predictions score high. */
    ENTROPY("entropy", "negated mean entropy of target predictions"),
    /** Accuracy on the source test split: how much of the source task survived. */
    SOURCE_ACCURACY("source-accuracy", "accuracy on the source's test split");

    /** SND's temperature (the paper's 0.05). */
    static final double SND_TEMPERATURE = 0.05;
    /** Target examples SND and entropy read, at most (a seeded sample of larger targets). */
    static final int SAMPLE = 2000;

    private final String id;
    private final String description;

    Validator(String id, String description) {
        this.id = id;
        this.description = description;
    }

    @JsonValue
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    @JsonCreator
    public static Validator parse(String s) {
        for (Validator v : values()) {
            if (v.id.equalsIgnoreCase(s.trim())) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown validator '" + s + "'; validators are "
                + String.join(", ", Arrays.stream(values()).map(Validator::id).toList()));
    }

    /** The score of {@code net}: higher is better. */
    public double score(StagedNet net, UnlabeledDataset target, TensorDataset sourceTest,
            NDManager manager) {
        if (this == SOURCE_ACCURACY) {
            return Evaluation.of(net, sourceTest, null, manager).accuracy();
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray p = probabilities(net, target, m);
            if (this == ENTROPY) {
                return -AdaptLosses.entropyPerExample(p).mean().getFloat();
            }
            if (this == IM) {
                return -AdaptLosses.informationMaximizationOfProbabilities(p).getFloat();
            }
            return snd(p);
        }
    }

    /** SND of probability rows {@code [n, k]}. */
    static double snd(NDArray p) {
        NDArray unit = p.div(p.square().sum(new int[] {1}, true).sqrt().add(1e-12f));
        NDArray sim = unit.matMul(unit.transpose());
        long n = sim.getShape().get(0);
        // an example is not its own neighbour: its self-similarity becomes -1, as SND's code has
        NDArray eye = sim.getManager().eye((int) n);
        NDArray q = sim.mul(eye.neg().add(1)).sub(eye).div((float) SND_TEMPERATURE).softmax(1);
        return AdaptLosses.entropyPerExample(q).mean().getFloat();
    }

    /** Softmax outputs of a seeded sample of at most {@link #SAMPLE} target examples. */
    private static NDArray probabilities(StagedNet net, UnlabeledDataset target, NDManager m) {
        int n = target.size();
        int[] idx = ImageDataset.permutation(n, new SplittableRandom(17));
        idx = Arrays.copyOf(idx, Math.min(n, SAMPLE));
        Arrays.sort(idx);
        int batch = net.inferenceBatchSize();
        NDList parts = new NDList();
        for (int from = 0; from < idx.length; from += batch) {
            int[] chunk = Arrays.copyOfRange(idx, from, Math.min(idx.length, from + batch));
            NDArray x = target.batch(chunk, m);
            parts.add(net.forward(new ParameterStore(m, false), new NDList(x), false).head()
                    .softmax(1));
        }
        return ai.djl.ndarray.NDArrays.concat(parts, 0);
    }
}
