package dev.graft.train;

import dev.graft.data.Batch;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.graft.data.EpochOrder;
import dev.graft.data.Examples;
import dev.graft.model.AuxiliaryHead;
import dev.graft.model.StagedNet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The one training loop: seeded shuffling, whole-batch augmentation, a pluggable loss, parameter
 * groups per stage, a learning-rate schedule, per-step hooks, per-epoch validation with early
 * stopping, and a guard that stops on a non-finite loss.
 *
 * <p>Every step runs inside its own sub-manager, so native memory stays flat across epochs.
 */
public final class TrainingLoop implements AutoCloseable {

    /** Called after every epoch, e.g. to save checkpoints and log metrics. */
    @FunctionalInterface
    public interface EpochListener {
        /**
         * @param improved true when this epoch has the best validation accuracy so far (always
         *     true without validation data)
         */
        void onEpoch(EpochMetrics metrics, boolean improved);
    }

    /**
     * The forward pass of a training step, when it is not the network's own: e.g. int8 fake
     * quantization for quantization-aware training. Gradients reach the network's parameters
     * through whatever arithmetic it does on them.
     */
    @FunctionalInterface
    public interface Forward {
        /**
         * @param x the batch's inputs, augmented
         * @param step the step's manager
         * @return logits {@code [batch, classes]}
         */
        NDArray logits(NDList x, NDManager step);
    }

    /** How training ended. */
    public record Outcome(List<EpochMetrics> history, int bestEpoch, boolean stoppedEarly,
            long steps) {
        /** Mean training throughput over the epochs run. */
        public double meanImagesPerSecond() {
            return history.stream().mapToDouble(EpochMetrics::imagesPerSecond).average()
                    .orElse(Double.NaN);
        }
    }

    private record Group(ParamGroup settings, Map<String, Parameter> params) {}

    /** The auxiliary classifier's loss (Inception), made once rather than every step. */
    private static final LossFunction AUX_LOSS = LossFunction.crossEntropy();

    private final StagedNet net;
    private final TrainConfig config;
    private final NDManager manager;
    private final Optimizer optimizer;
    private final List<Group> groups = new ArrayList<>();
    private java.util.function.IntFunction<List<ParamGroup>> groupsByEpoch;
    private Objective objective = Objective.of(LossFunction.crossEntropy());
    private final List<StepHook> hooks = new ArrayList<>();
    private Forward forward;
    private Progress progress = Progress.SILENT;

    /**
     * @throws dev.graft.io.GraftException when training {@code net} would hit an engine bug on
     *     this machine (see {@link OneDnnCheck})
     */
    public TrainingLoop(StagedNet net, TrainConfig config, NDManager manager) {
        OneDnnCheck.requireSafeTraining(net);
        this.net = net;
        this.config = config;
        this.manager = manager;
        this.optimizer = new Optimizer(config.optimizer(), manager);
        this.groupsByEpoch = epoch -> config.groups();
        setGroups(config.groups());
    }

    /**
     * Lets the groups change from epoch to epoch (gradual unfreezing): {@code byEpoch} gives the
     * groups of each 1-based epoch; stages it leaves out train at the base rate.
     */
    public TrainingLoop groupsByEpoch(java.util.function.IntFunction<List<ParamGroup>> byEpoch) {
        this.groupsByEpoch = byEpoch;
        setGroups(byEpoch.apply(1));
        return this;
    }

    private void setGroups(List<ParamGroup> settings) {
        Map<String, ParamGroup> byStage = new LinkedHashMap<>();
        for (String g : net.groupNames()) {
            byStage.put(g, ParamGroup.trainable(g));
        }
        for (ParamGroup g : settings) {
            if (!byStage.containsKey(g.stage())) {
                throw new IllegalArgumentException("no stage '" + g.stage() + "' in "
                        + net.architecture().id() + "; stages are " + net.groupNames());
            }
            byStage.put(g.stage(), g);
        }
        groups.clear();
        byStage.values().forEach(g -> groups.add(new Group(g, net.parameters(g.stage()))));
    }

    /** Replaces the cross-entropy objective. */
    public TrainingLoop loss(LossFunction f) {
        return objective(Objective.of(f));
    }

    /**
     * Replaces the cross-entropy objective by one that may read stage outputs and example
     * indices and train parameters of its own.
     */
    public TrainingLoop objective(Objective o) {
        for (String stage : o.stages()) {
            net.stage(stage); // fails early, naming the valid stages
        }
        this.objective = o;
        return this;
    }

    /**
     * Replaces the network's forward pass in training steps (validation still runs the
     * network's own). An objective that reads stage outputs cannot be combined with it.
     */
    public TrainingLoop forward(Forward f) {
        if (f != null && !objective.stages().isEmpty()) {
            throw new IllegalArgumentException("a replaced forward pass provides no stage"
                    + " outputs, which the objective reads: " + objective.stages());
        }
        this.forward = f;
        return this;
    }

    /** Adds a hook run after every optimizer step. */
    public TrainingLoop hook(StepHook h) {
        hooks.add(h);
        return this;
    }

    public TrainingLoop progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * The one image tensor of a batch; an error for a text batch where something that works on
     * images only (an appended target batch, a replaced forward pass) meets it.
     */
    private static NDArray single(NDList inputs) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException("this training step takes one image tensor per"
                    + " batch; a text batch holds token ids and a mask");
        }
        return inputs.head();
    }

    /** Steps in one epoch over {@code n} examples. */
    public long stepsPerEpoch(int n) {
        return (n + config.batchSize() - 1) / config.batchSize();
    }

    /**
     * Trains from epoch {@code startEpoch} (1-based; greater than 1 when resuming) to
     * {@code config.epochs()}.
     *
     * @param validation may be null: then no early stopping and every epoch counts as improved
     */
    public Outcome fit(Examples train, Examples validation, int startEpoch,
            double bestSoFar, EpochListener listener) {
        Autograd.recordOnlyInCollectors();
        long perEpoch = stepsPerEpoch(train.size());
        long total = perEpoch * config.epochs();
        long globalStep = perEpoch * (startEpoch - 1);
        List<EpochMetrics> history = new ArrayList<>();
        double best = bestSoFar;
        int bestEpoch = startEpoch - 1;
        int sinceBest = 0;
        boolean stoppedEarly = false;
        int skippedInARow = 0;
        ExplosionGuard explosion = new ExplosionGuard();
        ParameterStore ps = new ParameterStore(manager, false);
        String rate = net.architecture().isText() ? "texts/s" : "img/s";
        for (int epoch = startEpoch; epoch <= config.epochs(); epoch++) {
            setGroups(groupsByEpoch.apply(epoch));
            applyFreezing();
            SplittableRandom rng = EpochOrder.random(Seeds.derive(config.seed(), "shuffle"), epoch);
            Engine.getInstance().setRandomSeed((int) Seeds.derive(config.seed(), "dropout" + epoch));
            List<int[]> batches = train.trainingBatches(config.batchSize(), rng);
            MemoryProbe.resetPeak();
            progress.start(String.format("epoch %d/%d", epoch, config.epochs()), batches.size());
            double lossSum = 0;
            long correct = 0;
            int skipped = 0;
            long seen = 0;
            double lr = 0;
            long started = System.nanoTime();
            for (int[] idx : batches) {
                lr = config.optimizer().learningRate() * config.schedule().factor(globalStep, total);
                try (NDManager step = manager.newSubManager()) {
                    Batch b = train.batch(idx, step);
                    NDList x = config.augmentation().isNone() ? b.inputs()
                            : new NDList(config.augmentation().apply(b.x(), rng, step));
                    NDArray logits;
                    NDArray value;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        Map<String, NDArray> outputs = new LinkedHashMap<>();
                        objective.stages().forEach(st -> outputs.put(st, null));
                        AuxiliaryHead aux = forward == null ? net.auxiliaryHead() : null;
                        if (aux != null) {
                            outputs.put(aux.stage(), null);
                        }
                        NDArray extra = objective.appended(idx.length, step);
                        NDList in = extra == null ? x : new NDList(single(x).concat(extra, 0));
                        NDArray all = forward != null ? forward.logits(in, step)
                                : net.forward(ps, in, true, outputs);
                        logits = extra == null ? all : all.get("0:" + idx.length);
                        value = objective.compute(new Objective.Step(logits, b.y(), x, idx,
                                !config.augmentation().isNone(), outputs, step,
                                extra == null ? null : all.get(idx.length + ":")));
                        if (aux != null && !net.isFrozen(StagedNet.HEAD)) {
                            // Inception's recipe: loss + 0.4 x the auxiliary classifier's
                            NDArray auxIn = outputs.get(aux.stage());
                            NDArray auxLogits = aux.auxiliaryLogits(ps, extra == null ? auxIn
                                    : auxIn.get("0:" + idx.length), true);
                            value = value.add(AUX_LOSS.compute(auxLogits,
                                    b.y(), x).mul((float) aux.weight()));
                        }
                        objective.backward(value, gc);
                    }
                    float l = value.getFloat();
                    if (!Float.isFinite(l)) {
                        throw new TrainingDivergedException("loss became " + l + " at epoch "
                                + epoch + ", step " + (globalStep + 1) + " (learning rate "
                                + String.format("%.3g", lr) + "); the weights of the last"
                                + " finished epoch are kept. Lower --lr or add --warmup");
                    }
                    if (explosion.exploded(l)) {
                        throw new TrainingDivergedException(String.format(Locale.ROOT, "the loss"
                                + " exploded to %.3g at epoch %d, step %d (learning rate %.3g),"
                                + " over %.0fx its starting value %.3g; the weights of the last"
                                + " finished epoch are kept. Lower --lr or add --warmup", l,
                                epoch, globalStep + 1, lr, ExplosionGuard.FACTOR,
                                explosion.reference()));
                    }
                    boolean finite = config.optimizer().clipGradNorm() > 0
                            ? Double.isFinite(clipGradients(config.optimizer().clipGradNorm(),
                                    step))
                            : gradientsFinite(step);
                    if (finite) {
                        skippedInARow = 0;
                    } else {
                        clearGradients(step);
                        skipped++;
                        if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                            throw new TrainingDivergedException("gradients were not finite for "
                                    + skippedInARow + " steps in a row, up to epoch " + epoch
                                    + ", step " + (globalStep + 1) + " (learning rate "
                                    + String.format("%.3g", lr) + "); the weights of the last"
                                    + " finished epoch are kept. Lower --lr or add --warmup");
                        }
                    }
                    for (Group g : finite ? groups : List.<Group>of()) {
                        if (g.settings.frozen() || g.settings.lrMultiplier() == 0) {
                            continue;
                        }
                        double wd = g.settings.weightDecay() != null ? g.settings.weightDecay()
                                : config.optimizer().weightDecay();
                        for (Map.Entry<String, Parameter> e : g.params.entrySet()) {
                            if (e.getValue().requiresGradient()) {
                                optimizer.update(e.getKey(), e.getValue(),
                                        lr * g.settings.lrMultiplier(), wd, step);
                            }
                        }
                    }
                    for (Map.Entry<String, Parameter> e : finite
                            ? objective.parameters().entrySet()
                            : Map.<String, Parameter>of().entrySet()) {
                        optimizer.update(e.getKey(), e.getValue(), lr,
                                config.optimizer().weightDecay(), step);
                    }
                    globalStep++;
                    for (StepHook h : hooks) {
                        h.afterStep(net, epoch, globalStep, step);
                    }
                    lossSum += (double) l * idx.length;
                    correct += objective.classifies()
                            ? logits.argMax(1).eq(b.y()).sum().getLong() : 0;
                    seen += idx.length;
                }
                double ls = lossSum;
                long c = correct;
                long s = seen;
                boolean classifies = objective.classifies();
                progress.step(() -> classifies ? String.format("loss %.4f acc %.2f%% %,.0f " + rate,
                        ls / s, 100.0 * c / s, s / ((System.nanoTime() - started) / 1e9))
                        : String.format("loss %.4f %,.0f " + rate, ls / s,
                                s / ((System.nanoTime() - started) / 1e9)));
            }
            double trainSeconds = (System.nanoTime() - started) / 1e9;
            Double valLoss = null;
            Double valAcc = null;
            if (validation != null && validation.size() > 0) {
                Evaluation ev = Evaluation.of(net, validation, null, manager);
                valLoss = ev.loss();
                valAcc = ev.accuracy();
            }
            EpochMetrics m = new EpochMetrics("epoch", epoch, globalStep, lossSum / seen,
                    objective.classifies() ? (double) correct / seen : Double.NaN, valLoss, valAcc, lr, seen / trainSeconds,
                    (System.nanoTime() - started) / 1e9, MemoryProbe.peakRssMb(),
                    MemoryProbe.heapUsedMb(), skipped);
            history.add(m);
            boolean improved = valAcc == null || valAcc > best;
            if (improved) {
                best = valAcc == null ? best : valAcc;
                bestEpoch = epoch;
                sinceBest = 0;
            } else {
                sinceBest++;
            }
            progress.finish(String.format("loss %.4f%s%s %,.0f " + rate + "%s", m.trainLoss(),
                    Double.isNaN(m.trainAccuracy()) ? "" : String.format(" acc %.2f%%",
                            100 * m.trainAccuracy()), valAcc == null ? ""
                            : String.format(" val %.2f%%", 100 * valAcc), m.imagesPerSecond(),
                    skipped == 0 ? "" : String.format(" (%d step%s skipped: gradients not"
                            + " finite)", skipped, skipped == 1 ? "" : "s")));
            listener.onEpoch(m, improved);
            if (config.patience() > 0 && sinceBest >= config.patience()
                    && epoch < config.epochs()) {
                stoppedEarly = true;
                break;
            }
        }
        return new Outcome(history, bestEpoch, stoppedEarly, globalStep);
    }

    /** The parameters this step updates: of trained groups and the objective's own. */
    private List<Parameter> trained() {
        List<Parameter> out = new ArrayList<>();
        for (Group g : groups) {
            if (!g.settings.frozen() && g.settings.lrMultiplier() != 0) {
                g.params.values().stream().filter(Parameter::requiresGradient).forEach(out::add);
            }
        }
        out.addAll(objective.parameters().values());
        return out;
    }

    /**
     * Scales every trained gradient by {@code min(1, maxNorm / (norm + 1e-6))}, where norm is
     * the L2 norm of all of them together (PyTorch's {@code clip_grad_norm_}).
     *
     * @return the norm before clipping
     */
    /** Steps in a row with non-finite gradients after which training counts as diverged. */
    static final int MAX_SKIPPED_IN_A_ROW = 10;

    /**
     * Divergence that stays finite: Adam at {@code --lr 1e6} drives cross-entropy to 1e19 without
     * a NaN. A batch's loss above {@link #FACTOR} times the larger of 1 and the first batch's
     * loss cannot come from healthy training (chance-level cross-entropy is ln K, under 7 for
     * 1,000 classes), so it counts as divergence. The first batch, not a mean of several: an
     * exploding run is already far off by its second step.
     */
    static final class ExplosionGuard {
        static final double FACTOR = 100;
        private double first = Double.NaN;

        /** Records one batch's loss; true when it exploded. */
        boolean exploded(double loss) {
            if (Double.isNaN(first)) {
                first = loss;
            }
            return loss > FACTOR * Math.max(1, first);
        }

        /** The first batch's loss. */
        double reference() {
            return first;
        }
    }

    /**
     * Whether every trained gradient is finite: one sum per gradient, through which NaN and
     * infinity propagate. A step whose gradients are not is skipped rather than written into
     * the weights and the optimizer's moments (as PyTorch's GradScaler skips steps): one such
     * step, from a loss term that is ill-conditioned on a rare batch, must not poison the run.
     */
    boolean gradientsFinite(NDManager step) {
        NDArray total = null;
        for (NDArray g : gradients(step)) {
            NDArray s = g.sum();
            total = total == null ? s : total.add(s);
        }
        return total == null || Float.isFinite(total.getFloat());
    }

    /** The trained parameters' gradients, their handles freed with the step. */
    private List<NDArray> gradients(NDManager step) {
        List<NDArray> grads = new ArrayList<>();
        for (Parameter p : trained()) {
            NDArray g = p.getArray().getGradient();
            g.attach(step);
            grads.add(g);
        }
        return grads;
    }

    /**
     * Sets every trained gradient to zero in place. (The optimizer clears a gradient it used by
     * subtracting it from itself, which leaves NaN as NaN.)
     */
    private void clearGradients(NDManager step) {
        for (NDArray g : gradients(step)) {
            g.set(new NDIndex("..."), 0f);
        }
    }

    double clipGradients(double maxNorm, NDManager step) {
        List<NDArray> grads = gradients(step);
        if (grads.isEmpty()) {
            return 0;
        }
        NDArray sum = null;
        for (NDArray g : grads) {
            NDArray sq = g.square().sum();
            sum = sum == null ? sq : sum.add(sq);
        }
        double norm = Math.sqrt(sum.getFloat());
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1) {
            for (NDArray g : grads) {
                g.muli((float) scale);
            }
        }
        return norm;
    }

    /**
     * Frozen groups: no gradients, inference-mode forward; rate-0 groups: no gradients. Groups
     * that decay toward their starting weights are anchored when they first train.
     */
    private void applyFreezing() {
        for (Group g : groups) {
            if (g.settings.decayToStart() && !g.settings.frozen()) {
                g.params.forEach((name, p) -> {
                    if (p.requiresGradient()) {
                        optimizer.anchor(name, p);
                    }
                });
            }
            boolean frozen = g.settings.frozen();
            boolean still = frozen || g.settings.lrMultiplier() == 0;
            net.setFrozen(g.settings.stage(), frozen);
            for (Parameter p : g.params.values()) {
                if (p.requiresGradient()) {
                    p.getArray().setRequiresGradient(!still);
                }
            }
        }
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
