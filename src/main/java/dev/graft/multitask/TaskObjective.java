package dev.graft.multitask;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.model.StagedNet;
import dev.graft.train.LossFunction;
import dev.graft.train.Objective;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loss of one multi-task step: the network's own head answers the first task; each further
 * task's head (the head of a network of the same architecture, trained here) reads the trunk's
 * top stage from the same forward pass; the task losses are cross-entropies, combined by a
 * {@link Weighting}. Each task's mean loss per epoch and the weights it was given are kept.
 */
final class TaskObjective implements Objective {

    private static final LossFunction CE = LossFunction.crossEntropy();

    private final String stage;
    private final List<String> names;
    private final List<StagedNet> heads;
    private final int[][] labels;
    private final Weighting.Balance balance;
    private final int stepsPerEpoch;
    private final double[] sums;
    private long steps;
    private final List<double[]> epochLosses = new ArrayList<>();
    private final List<double[]> epochWeights = new ArrayList<>();

    /**
     * @param names every task, the first the network's own head's
     * @param heads the networks whose heads answer tasks 2 .. K (their trunks unused)
     * @param labels per further task, a label per training example
     * @param stepsPerEpoch optimizer steps in one epoch, where the epoch's means are taken
     */
    TaskObjective(String stage, List<String> names, List<StagedNet> heads, int[][] labels,
            Weighting.Balance balance, int stepsPerEpoch) {
        this.stage = stage;
        this.names = List.copyOf(names);
        this.heads = List.copyOf(heads);
        this.labels = labels;
        this.balance = balance;
        this.stepsPerEpoch = stepsPerEpoch;
        this.sums = new double[names.size()];
        epochWeights.add(balance.weights());
    }

    @Override
    public List<String> stages() {
        return List.of(stage);
    }

    @Override
    public Map<String, Parameter> parameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (int k = 0; k < heads.size(); k++) {
            String prefix = "tasks." + names.get(k + 1) + ".";
            heads.get(k).parameters(StagedNet.HEAD).forEach((n, p) -> out.put(prefix + n, p));
        }
        out.putAll(balance.parameters());
        return out;
    }

    @Override
    public NDArray compute(Step step) {
        if (steps > 0 && steps % stepsPerEpoch == 0) {
            endEpoch();
        }
        List<NDArray> losses = new ArrayList<>();
        losses.add(CE.compute(step.logits(), step.labels(), step.inputs()));
        NDArray trunk = step.stageOutputs().get(stage);
        ParameterStore ps = new ParameterStore(step.manager(), false);
        int[] idx = step.indices();
        for (int k = 0; k < heads.size(); k++) {
            NDArray logits = heads.get(k).head().block().forward(ps, new NDList(trunk), true)
                    .head();
            long[] y = new long[idx.length];
            for (int i = 0; i < idx.length; i++) {
                y[i] = labels[k][idx[i]];
            }
            losses.add(CE.compute(logits, step.manager().create(y), step.inputs()));
        }
        for (int k = 0; k < losses.size(); k++) {
            sums[k] += losses.get(k).getFloat();
        }
        steps++;
        return balance.combine(losses);
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

    /** The task weights at the start of every epoch (and after the last). */
    List<double[]> weights() {
        return List.copyOf(epochWeights);
    }
}
