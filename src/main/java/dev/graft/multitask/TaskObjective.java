package dev.graft.multitask;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.data.Batch;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.Autograd;
import dev.graft.train.LossFunction;
import dev.graft.train.Objective;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The loss of one multi-task step: the network's own head answers the first task; each further
 * task's own layers (the stages above the shared stage its head sits on, and the head, of a
 * network of the same architecture trained here) read that stage's output from the same
 * forward pass: of the step's own batch when the task labels the same images, of a batch of
 * its own images (appended to the pass) when it has them. The task losses are
 * cross-entropies, combined by a {@link Weighting}. Each task's mean loss per epoch and the
 * weights it was given are kept.
 */
final class TaskObjective implements Objective {

    private static final LossFunction CE = LossFunction.crossEntropy();

    /** Where a further task's training examples come from. */
    sealed interface Examples permits SameImages, OwnImages {}

    /** The step's batch itself: its images, with this task's label of each training example. */
    record SameImages(int[] labels) implements Examples {}

    /**
     * Images of the task's own: every step, a batch of as many of them as the step's own
     * batch, drawn by a seeded shuffle (reshuffled when used up) and appended to the forward
     * pass, so BatchNorm sees every task's batch at once.
     */
    static final class OwnImages implements Examples {
        private final TensorDataset data;
        private final SplittableRandom rng;
        private int[] order;
        private int next;
        private NDArray labels;

        OwnImages(TensorDataset data, long seed) {
            this.data = data;
            this.rng = new SplittableRandom(seed);
        }

        /** The next {@code n} images; their labels wait for the step's loss. */
        NDArray draw(int n, NDManager step) {
            int[] drawn = new int[n];
            for (int i = 0; i < n; i++) {
                if (order == null || next == order.length) {
                    order = ImageDataset.permutation(data.size(), rng);
                    next = 0;
                }
                drawn[i] = order[next++];
            }
            Batch b = data.batch(drawn, step);
            labels = b.y();
            return b.x();
        }
    }

    private final StagedNet net;
    private final String stage;
    private final List<String> names;
    private final List<StagedNet> heads;
    private final List<Examples> examples;
    private final Weighting.Balance balance;
    private final int stepsPerEpoch;
    private final double[] sums;
    private long steps;
    private final List<double[]> epochLosses = new ArrayList<>();
    private final List<double[]> epochWeights = new ArrayList<>();
    /** The step's task losses, the trunk's output and its detached copy (gradient weightings). */
    private List<NDArray> stepLosses;
    private double[] stepLossValues;
    private NDArray trunk;
    private NDArray detached;
    /** The step's manager: the gradients' copies live there, freed with the step. */
    private NDManager stepManager;

    /**
     * @param net the network trained: its stages up to {@code stage} are shared, its head
     *     answers the first task
     * @param stage the shared stage the further tasks' heads sit on
     * @param names every task, the first the network's own head's
     * @param heads the networks whose layers above {@code stage} answer tasks 2 .. K (their
     *     stages up to it unused)
     * @param examples per further task, where its examples come from
     * @param stepsPerEpoch optimizer steps in one epoch, where the epoch's means are taken
     */
    TaskObjective(StagedNet net, String stage, List<String> names, List<StagedNet> heads,
            List<Examples> examples, Weighting.Balance balance, int stepsPerEpoch) {
        this.net = net;
        this.stage = stage;
        this.names = List.copyOf(names);
        this.heads = List.copyOf(heads);
        this.examples = List.copyOf(examples);
        this.balance = balance;
        this.stepsPerEpoch = stepsPerEpoch;
        this.sums = new double[names.size()];
        epochWeights.add(balance.weights());
    }

    /** The further tasks' batches of their own images, one after another, or null for none. */
    @Override
    public NDArray appended(int labelled, NDManager step) {
        NDList own = new NDList();
        for (Examples e : examples) {
            if (e instanceof OwnImages o) {
                own.add(o.draw(labelled, step));
            }
        }
        return own.isEmpty() ? null : NDArrays.concat(own);
    }

    @Override
    public List<String> stages() {
        return List.of(stage);
    }

    @Override
    public Map<String, Parameter> parameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (int k = 0; k < heads.size(); k++) {
            String prefix = ModelSpec.taskPrefix(names.get(k + 1));
            heads.get(k).parametersAbove(stage).forEach((n, p) -> out.put(prefix + n, p));
        }
        out.putAll(balance.parameters());
        return out;
    }

    @Override
    public NDArray compute(Step step) {
        if (steps > 0 && steps % stepsPerEpoch == 0) {
            endEpoch();
        }
        Weighting.Gradients rule = balance.gradients();
        boolean onRepresentation = rule != null && rule.active() && rule.onRepresentation();
        NDArray z = step.stageOutputs().get(stage);
        // gradients with respect to the representation: the heads read a detached copy, so a
        // task's backward pass stops at the trunk's output
        NDArray in = z;
        if (onRepresentation) {
            in = z.stopGradient();
            in.setRequiresGradient(true);
        }
        ParameterStore ps = new ParameterStore(step.manager(), false);
        List<NDArray> losses = new ArrayList<>();
        int b = step.indices().length;
        boolean appended = step.appendedLogits() != null;
        // the rows of the step's own batch come first, then each own-images task's batch
        NDArray batch = appended ? in.get("0:" + b) : in;
        NDArray first = onRepresentation ? net.forwardAbove(ps, new NDList(batch), stage, true)
                : step.logits();
        losses.add(CE.compute(first, step.labels(), step.inputs()));
        int[] idx = step.indices();
        int at = b;
        for (int k = 0; k < heads.size(); k++) {
            NDArray rows;
            NDArray y;
            if (examples.get(k) instanceof OwnImages o) {
                rows = in.get(at + ":" + (at + b));
                at += b;
                y = o.labels;
            } else {
                int[] labels = ((SameImages) examples.get(k)).labels();
                long[] l = new long[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    l[i] = labels[idx[i]];
                }
                rows = batch;
                y = step.manager().create(l);
            }
            NDArray logits = heads.get(k).forwardAbove(ps, new NDList(rows), stage, true);
            losses.add(CE.compute(logits, y, step.inputs()));
        }
        stepLossValues = new double[losses.size()];
        for (int k = 0; k < losses.size(); k++) {
            stepLossValues[k] = losses.get(k).getFloat();
            sums[k] += stepLossValues[k];
        }
        steps++;
        stepLosses = losses;
        trunk = z;
        detached = onRepresentation ? in : null;
        stepManager = step.manager();
        return balance.combine(losses);
    }

    /**
     * A loss weighting: one backward pass of the weighted sum. A gradient weighting: each
     * task's gradient (on the shared parameters, or on the trunk's output), combined by the
     * weighting into the gradient the trunk gets; each head gets its own task's gradient, as in
     * LibMTL.
     */
    @Override
    public void backward(NDArray value, GradientCollector gc) {
        Weighting.Gradients rule = balance.gradients();
        if (rule == null || !rule.active()) {
            gc.backward(value);
            return;
        }
        List<Parameter> shared = sharedParameters();
        int tasks = stepLosses.size();
        if (rule.onRepresentation()) {
            NDList rows = new NDList();
            for (int k = 0; k < tasks; k++) {
                gc.backward(stepLosses.get(k)); // through one head: the graphs share no node
                NDArray g = gradient(detached);
                rows.add(g.flatten().duplicate());
                g.set(new NDIndex("..."), 0f);
            }
            NDArray combined = rule.combine(NDArrays.stack(rows), stepLossValues, gc);
            gc.backward(trunk.mul(combined.reshape(trunk.getShape())).sum());
            return;
        }
        NDList rows = new NDList();
        for (int k = 0; k < tasks; k++) {
            Autograd.backward(stepLosses.get(k), k < tasks - 1);
            NDList parts = new NDList();
            for (Parameter p : shared) {
                NDArray g = gradient(p.getArray());
                parts.add(g.flatten().duplicate());
                g.set(new NDIndex("..."), 0f);
            }
            rows.add(NDArrays.concat(parts));
        }
        NDArray combined = rule.combine(NDArrays.stack(rows), stepLossValues, gc);
        long at = 0;
        for (Parameter p : shared) {
            NDArray g = gradient(p.getArray());
            long size = g.size();
            g.set(new NDIndex("..."), combined.get(at + ":" + (at + size)).reshape(g.getShape()));
            at += size;
        }
    }

    /**
     * {@code a}'s gradient, its handle (and every array computed from it) in the step's
     * manager: a parameter's gradient would otherwise belong to the parameter's manager, which
     * lives as long as the network, and every step's copies would pile up there.
     */
    private NDArray gradient(NDArray a) {
        NDArray g = a.getGradient();
        g.attach(stepManager);
        return g;
    }

    /** The shared stages' parameters that train this step. */
    private List<Parameter> sharedParameters() {
        List<Parameter> out = new ArrayList<>();
        List<String> stages = net.stageNames();
        for (String s : stages.subList(0, stages.indexOf(stage) + 1)) {
            net.parameters(s).values().stream().filter(p -> p.requiresGradient()
                    && p.getArray().hasGradient()).forEach(out::add);
        }
        if (out.isEmpty()) {
            throw new GraftException("this weighting combines each task's gradient on the"
                    + " shared trunk, and every stage of the trunk is frozen; train a stage of"
                    + " it, or use equal, uw or dwa");
        }
        return out;
    }

    private void endEpoch() {
        double[] mean = new double[sums.length];
        for (int k = 0; k < sums.length; k++) {
            mean[k] = sums[k] / stepsPerEpoch;
            sums[k] = 0;
        }
        epochLosses.add(mean);
        balance.epochEnd(mean);
        epochWeights.add(balance.weights());
    }

    /**
     * Makes the weighting act as in its later epochs from the first step (GradNorm and DWA
     * past their first epochs), for timing an epoch as the later ones run.
     */
    void pastFirstEpochs() {
        double[] ones = new double[names.size()];
        java.util.Arrays.fill(ones, 1);
        balance.epochEnd(ones);
        balance.epochEnd(ones);
    }

    /** Closes the last epoch once training is over (its means are taken at the next step). */
    void finish() {
        if (steps > 0 && steps % stepsPerEpoch == 0 && epochLosses.size() < steps
                / stepsPerEpoch) {
            endEpoch();
        }
    }

    /** Each task's mean training loss per finished epoch. */
    List<double[]> losses() {
        return List.copyOf(epochLosses);
    }

    /** The weights the weighting gives the tasks now. */
    double[] currentWeights() {
        return balance.weights();
    }

    /** The task weights at the start of every epoch (and after the last). */
    List<double[]> weights() {
        return List.copyOf(epochWeights);
    }
}
