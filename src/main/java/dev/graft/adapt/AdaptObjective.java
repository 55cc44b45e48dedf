package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.data.UnlabeledDataset;
import dev.graft.model.Discriminator;
import dev.graft.train.LossFunction;
import dev.graft.train.Objective;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The objective of a method that trains on source and target together: cross-entropy on the
 * labelled source batch plus {@code tradeOff} times the method's term, which reads a target
 * batch of the same size run through the network in the same forward pass (TLL's recipe). Target
 * batches are drawn from a seeded permutation of the target, reshuffled when it runs out.
 */
final class AdaptObjective implements Objective {

    private final Method method;
    private final UnlabeledDataset target;
    private final String featureStage;
    private final double tradeOff;
    private final double threshold;
    private final long totalSteps;
    private final Discriminator discriminator;
    private final SplittableRandom rng;
    private final LossFunction ce = LossFunction.crossEntropy();
    private int[] order;
    private int next;
    private long steps;

    /**
     * @param featureStage the stage whose (pooled) outputs CORAL, MMD and DANN align
     * @param totalSteps optimizer steps of the whole run: DANN's schedule runs over them
     * @param discriminator DANN's domain classifier, else null
     */
    AdaptObjective(Method method, UnlabeledDataset target, String featureStage, double tradeOff,
            double threshold, long totalSteps, Discriminator discriminator, long seed) {
        this.method = method;
        this.target = target;
        this.featureStage = featureStage;
        this.tradeOff = tradeOff;
        this.threshold = threshold;
        this.totalSteps = totalSteps;
        this.discriminator = discriminator;
        this.rng = new SplittableRandom(seed);
    }

    @Override
    public List<String> stages() {
        return aligns() ? List.of(featureStage) : List.of();
    }

    private boolean aligns() {
        return method == Method.CORAL || method == Method.MMD || method == Method.DANN;
    }

    @Override
    public Map<String, Parameter> parameters() {
        return discriminator == null ? Map.of() : discriminator.trainable();
    }

    @Override
    public NDArray appended(int labelled, NDManager step) {
        int[] idx = new int[labelled];
        for (int i = 0; i < labelled; i++) {
            if (order == null || next == order.length) {
                order = dev.graft.data.ImageDataset.permutation(target.size(), rng);
                next = 0;
            }
            idx[i] = order[next++];
        }
        return target.batch(idx, step);
    }

    @Override
    public NDArray compute(Step step) {
        NDArray loss = ce.compute(step.logits(), step.labels(), step.x());
        NDArray term = term(step);
        steps++;
        return loss.add(term.mul((float) tradeOff));
    }

    /** The method's term on this step. */
    NDArray term(Step step) {
        int b = (int) step.labels().size();
        return switch (method) {
            case SELF_TRAINING -> AdaptLosses.pseudoLabel(step.appendedLogits(),
                    step.appendedLogits(), threshold);
            case MCC -> AdaptLosses.mcc(step.appendedLogits(), AdaptLosses.MCC_TEMPERATURE);
            case CORAL, MMD, DANN -> {
                NDArray f = embedding(step.stageOutputs().get(featureStage));
                NDArray fs = f.get("0:" + b);
                NDArray ft = f.get(b + ":");
                if (method == Method.CORAL) {
                    yield AdaptLosses.coral(fs, ft);
                }
                if (method == Method.MMD) {
                    yield AdaptLosses.mkMmd(fs, ft);
                }
                double lambda = AdaptLosses.reversalCoefficient((double) steps / totalSteps);
                NDArray d = discriminator.forward(new ParameterStore(step.manager(), false),
                        AdaptLosses.reverseGradient(f, lambda), true);
                yield AdaptLosses.domainAdversarial(d.get("0:" + b), d.get(b + ":"));
            }
            default -> throw new IllegalStateException(method.id() + " has no joint term");
        };
    }

    /** Feature maps {@code [b, c, h, w]} averaged to {@code [b, c]}; vectors as they are. */
    static NDArray embedding(NDArray a) {
        return a.getShape().dimension() == 4
                ? a.reshape(a.getShape().get(0), a.getShape().get(1), -1).mean(new int[] {2}) : a;
    }
}
