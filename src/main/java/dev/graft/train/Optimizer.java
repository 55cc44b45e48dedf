package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SGD with momentum, Adam and AdamW with PyTorch's update rules, keyed by parameter name so the
 * state can be saved with a checkpoint and a resumed run continues exactly.
 *
 * <pre>
 * SGD:   g += wd * (w - w0);  buf = momentum * buf + g  (buf = g at the first step);
 *        w -= lr * (nesterov ? g + momentum * buf : buf)
 * Adam:  g += wd * (w - w0)  (AdamW instead: w -= lr * wd * (w - w0))
 *        m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g^2
 *        w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 *
 * <p>{@code w0} is zero for ordinary weight decay and the starting weights for L2-SP
 * ({@link #anchor}), whose penalty {@code wd/2 * |w - w0|^2} has exactly that gradient.
 *
 * <p>Every temporary is attached to the step's manager; the state lives in this optimizer's own
 * manager, so nothing grows across steps.
 */
public final class Optimizer implements AutoCloseable {

    private final OptimizerConfig config;
    private final NDManager stateManager;
    private final Map<String, NDArray> firstMoment = new HashMap<>();
    private final Map<String, NDArray> secondMoment = new HashMap<>();
    private final Map<String, Integer> steps = new HashMap<>();
    private final Map<String, NDArray> anchors = new HashMap<>();

    public Optimizer(OptimizerConfig config, NDManager parent) {
        this.config = config;
        this.stateManager = parent.newSubManager();
    }

    public OptimizerConfig config() {
        return config;
    }

    /** Makes weight decay of {@code name} pull toward its current value (L2-SP). */
    public void anchor(String name, Parameter parameter) {
        anchors.computeIfAbsent(name, k -> {
            NDArray copy = parameter.getArray().duplicate();
            copy.attach(stateManager);
            return copy;
        });
    }

    /** The decay term {@code wd * (w - w0)}, in the step's manager. */
    private NDArray decay(String name, NDArray w, double wd, NDManager step) {
        NDArray anchor = anchors.get(name);
        if (anchor == null) {
            return tmp(w.mul(wd), step);
        }
        return tmp(w.sub(anchor), step).muli(wd);
    }

    /**
     * Updates one parameter from its gradient and clears the gradient.
     *
     * @param lr the learning rate for this step (schedule and group multiplier applied)
     * @param weightDecay this group's weight decay
     * @param step the manager of the current step; temporaries go there
     */
    public void update(String name, Parameter parameter, double lr, double weightDecay,
            NDManager step) {
        NDArray w = parameter.getArray();
        NDArray grad = w.getGradient();
        grad.attach(step);
        int t = steps.merge(name, 1, Integer::sum);
        switch (config.kind()) {
            case SGD -> sgd(name, w, grad, lr, weightDecay, step);
            case ADAM, ADAMW -> adam(name, w, grad, t, lr, weightDecay, step);
        }
        grad.subi(grad);
    }

    private void sgd(String name, NDArray w, NDArray grad, double lr, double wd, NDManager step) {
        NDArray g = wd != 0 ? grad.add(decay(name, w, wd, step)) : grad;
        double mom = config.momentum();
        if (mom != 0) {
            NDArray buf = firstMoment.get(name);
            if (buf == null) {
                buf = g.duplicate();
                buf.attach(stateManager);
                firstMoment.put(name, buf);
            } else {
                buf.muli(mom).addi(g);
            }
            g = config.nesterov() ? g.add(tmp(buf.mul(mom), step)) : buf;
        }
        w.subi(tmp(g.mul(lr), step));
    }

    private void adam(String name, NDArray w, NDArray grad, int t, double lr, double wd,
            NDManager step) {
        NDArray g = grad;
        if (wd != 0) {
            if (config.kind() == OptimizerConfig.Kind.ADAMW) {
                if (anchors.containsKey(name)) {
                    w.subi(decay(name, w, wd, step).muli(lr));
                } else {
                    w.muli(1 - lr * wd);
                }
            } else {
                g = grad.add(decay(name, w, wd, step));
            }
        }
        double b1 = config.beta1();
        double b2 = config.beta2();
        NDArray m = firstMoment.computeIfAbsent(name, k -> stateManager.zeros(w.getShape()));
        NDArray v = secondMoment.computeIfAbsent(name, k -> stateManager.zeros(w.getShape()));
        m.muli(b1).addi(g.mul(1 - b1));
        v.muli(b2).addi(g.square().muli(1 - b2));
        double bc1 = 1 - Math.pow(b1, t);
        double bc2 = 1 - Math.pow(b2, t);
        NDArray denom = tmp(v.sqrt(), step).divi(Math.sqrt(bc2)).addi(config.epsilon());
        w.subi(tmp(m.div(denom), step).muli(lr / bc1));
    }

    private static NDArray tmp(NDArray a, NDManager step) {
        a.attach(step);
        return a;
    }

    /**
     * The state as named tensors ({@code exp_avg.<param>}, {@code exp_avg_sq.<param>},
     * {@code momentum_buffer.<param>}, {@code anchor.<param>}); step counts are separate.
     */
    public NDList stateTensors() {
        NDList out = new NDList();
        String first = config.kind() == OptimizerConfig.Kind.SGD ? "momentum_buffer." : "exp_avg.";
        firstMoment.forEach((k, a) -> {
            a.setName(first + k);
            out.add(a);
        });
        secondMoment.forEach((k, a) -> {
            a.setName("exp_avg_sq." + k);
            out.add(a);
        });
        anchors.forEach((k, a) -> {
            a.setName("anchor." + k);
            out.add(a);
        });
        return out;
    }

    public Map<String, Integer> stepCounts() {
        return new LinkedHashMap<>(steps);
    }

    /** Restores state saved by {@link #stateTensors()} and {@link #stepCounts()}. */
    public void restore(NDList tensors, Map<String, Integer> counts) {
        for (NDArray a : tensors) {
            String n = a.getName();
            NDArray copy = a.duplicate();
            copy.attach(stateManager);
            if (n.startsWith("exp_avg_sq.")) {
                secondMoment.put(n.substring("exp_avg_sq.".length()), copy);
            } else if (n.startsWith("exp_avg.")) {
                firstMoment.put(n.substring("exp_avg.".length()), copy);
            } else if (n.startsWith("anchor.")) {
                anchors.put(n.substring("anchor.".length()), copy);
            } else if (n.startsWith("momentum_buffer.")) {
                firstMoment.put(n.substring("momentum_buffer.".length()), copy);
            } else {
                throw new IllegalArgumentException("unknown optimizer state tensor " + n);
            }
        }
        steps.clear();
        steps.putAll(counts);
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
