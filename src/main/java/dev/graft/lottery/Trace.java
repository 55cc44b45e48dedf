package dev.graft.lottery;

import ai.djl.ndarray.NDManager;
import dev.graft.data.TensorDataset;
import dev.graft.model.StagedNet;
import dev.graft.train.Evaluation;
import dev.graft.train.StepHook;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Evaluates the network every {@code every} optimizer steps and after the last one: validation
 * loss and accuracy, and test accuracy where the validation loss is the least so far and at the
 * last step (the only test accuracies reported, so the other evaluations are skipped). The
 * early-stopping iteration is the traced one of least validation loss (Frankle and Carbin's
 * criterion); the first wins ties.
 */
final class Trace implements StepHook {

    private final TensorDataset validation;
    private final TensorDataset test;
    private final long every;
    private final long last;
    private final NDManager manager;
    private final List<Lottery.TracePoint> points = new ArrayList<>();

    /**
     * @param last the run's final step, always traced
     */
    Trace(TensorDataset validation, TensorDataset test, long every, long last,
            NDManager manager) {
        this.validation = validation;
        this.test = test;
        this.every = every;
        this.last = last;
        this.manager = manager;
    }

    @Override
    public void afterStep(StagedNet net, int epoch, long globalStep, NDManager step) {
        if (globalStep % every == 0 || globalStep == last) {
            Evaluation v = Evaluation.of(net, validation, null, manager);
            boolean best = points.isEmpty() || v.loss() < earlyStop().valLoss();
            Double t = best || globalStep == last
                    ? Evaluation.of(net, test, null, manager).accuracy() : null;
            points.add(new Lottery.TracePoint(globalStep, v.loss(), v.accuracy(), t));
        }
    }

    List<Lottery.TracePoint> points() {
        return Collections.unmodifiableList(points);
    }

    /** The point of least validation loss. */
    Lottery.TracePoint earlyStop() {
        return earlyStop(points);
    }

    static Lottery.TracePoint earlyStop(List<Lottery.TracePoint> points) {
        if (points.isEmpty()) {
            throw new IllegalStateException("no traced evaluation: training ran no step");
        }
        Lottery.TracePoint best = points.get(0);
        for (Lottery.TracePoint p : points) {
            if (p.valLoss() < best.valLoss()) {
                best = p;
            }
        }
        return best;
    }
}
