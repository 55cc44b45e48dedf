package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.data.Normalization;
import dev.graft.data.RandAugment;
import dev.graft.data.UnlabeledDataset;
import dev.graft.model.Discriminator;
import dev.graft.model.Pooling;
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
 * FixMatch appends two views of each target image (weak, then strong: {@link RandAugment}), as
 * its reference implementation interleaves them into one forward pass; its unlabelled batch is
 * the source batch's size, not 7 times it (mu = 1), so every method sees the same target
 * images per step.
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
    private final SplittableRandom views;
    private final Normalization norm;
    private final LossFunction ce = LossFunction.crossEntropy();
    private int[] order;
    private int next;
    private long steps;

    /**
     * @param norm the target's normalization (FixMatch augments images in [0, 1])
     * @param featureStage the stage whose (pooled) outputs CORAL, MMD and DANN align
     * @param totalSteps optimizer steps of the whole run: DANN's schedule runs over them
     * @param discriminator DANN's domain classifier, else null
     */
    AdaptObjective(Method method, UnlabeledDataset target, Normalization norm,
            String featureStage, double tradeOff, double threshold, long totalSteps,
            Discriminator discriminator, long seed) {
        this.method = method;
        this.target = target;
        this.featureStage = featureStage;
        this.tradeOff = tradeOff;
        this.threshold = threshold;
        this.totalSteps = totalSteps;
        this.discriminator = discriminator;
        this.rng = new SplittableRandom(seed);
        this.norm = norm;
        this.views = new SplittableRandom(dev.graft.train.Seeds.derive(seed, "views"));
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
        NDArray x = target.batch(idx, step);
        if (method != Method.FIXMATCH) {
            return x;
        }
        // FixMatch: the weak views, then the strong views of the same images
        int[] shape = target.inputShape();
        float[] pixels = x.toFloatArray();
        float[] weak = RandAugment.batch(pixels, labelled, shape[0], shape[1], shape[2], norm,
                false, views);
        float[] strong = RandAugment.batch(pixels, labelled, shape[0], shape[1], shape[2], norm,
                true, views);
        float[] both = java.util.Arrays.copyOf(weak, weak.length + strong.length);
        System.arraycopy(strong, 0, both, weak.length, strong.length);
        return step.create(both, new Shape(2L * labelled, shape[0], shape[1], shape[2]));
    }

    @Override
    public NDArray compute(Step step) {
        NDArray loss = ce.compute(step.logits(), step.labels(), step.inputs());
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
            case FIXMATCH -> AdaptLosses.pseudoLabel(step.appendedLogits().get("0:" + b),
                    step.appendedLogits().get(b + ":"), threshold);
            case MCC -> AdaptLosses.mcc(step.appendedLogits(), AdaptLosses.MCC_TEMPERATURE);
            case CORAL, MMD, DANN -> {
                NDArray f = Pooling.embedding(step.stageOutputs().get(featureStage),
                        step.inputs());
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
}
