package dev.graft.multitask;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.initializer.ConstantInitializer;
import dev.graft.io.GraftException;
import dev.graft.train.Seeds;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the task losses {@code L_1 .. L_K} of one step become the one loss the step minimizes,
 * each with its paper's defaults as LibMTL implements them.
 */
public enum Weighting {

    /** {@code sum_k L_k}: every task weighs 1. */
    EQUAL("equal", "equal weights: the sum of the task losses"),
    /**
     * Kendall, Gal and Cipolla 2018, as LibMTL's UW: a learned log-variance {@code s_k} per
     * task, started at -0.5, and {@code sum_k L_k / (2 exp(s_k)) + s_k / 2}.
     */
    UNCERTAINTY("uw", "uncertainty weighting (Kendall et al. 2018): learned per-task"
            + " log-variances s, sum L / (2 e^s) + s / 2"),
    /**
     * Liu, Johns and Davison 2019: weights {@code K softmax(r / T)} from the ratios
     * {@code r_k} of each task's mean training loss in the last two epochs, T = 2; 1 for the
     * first two epochs.
     */
    DWA("dwa", "dynamic weight average (Liu et al. 2019): K softmax(r / 2) of each task's"
            + " loss ratio over the last two epochs"),
    /**
     * Chen et al. 2018, as LibMTL's GradNorm: weights {@code K softmax(s)} from learned
     * {@code s} (started at 1), trained to minimize {@code sum_k |G_k - mean(G) r_k^alpha|}
     * where {@code G_k} is the norm of task k's weighted gradient on the shared parameters and
     * {@code r_k} its loss relative to its first epoch's, normalized by the mean; alpha = 1.5;
     * equal weights in the first epoch.
     */
    GRADNORM("gradnorm", "GradNorm (Chen et al. 2018): learned weights that equalize the tasks'"
            + " gradient norms on the shared trunk, alpha 1.5; one backward pass per task"),
    /**
     * Yu et al. 2020, as LibMTL's PCGrad: each task's gradient on the shared parameters loses
     * its component along every other task's gradient it conflicts with (negative dot
     * product), the tasks taken in a random order; the projected gradients are summed.
     */
    PCGRAD("pcgrad", "PCGrad (Yu et al. 2020): each task's gradient projected off the ones it"
            + " conflicts with; one backward pass per task"),
    /**
     * Sener and Koltun 2018's MGDA-UB: the min-norm convex combination of the tasks'
     * gradients with respect to the shared representation (the trunk's output for the whole
     * batch), found by their projected-gradient solver, weights the tasks; no gradient
     * normalization (the paper's and LibMTL's default).
     */
    MGDA_UB("mgda-ub", "MGDA-UB (Sener and Koltun 2018): the min-norm combination of the"
            + " tasks' gradients on the trunk's output; one backward pass per task through the"
            + " heads only");

    /** GradNorm's restoring force. */
    public static final double GRADNORM_ALPHA = 1.5;

    /** DWA's temperature. */
    public static final double DWA_TEMPERATURE = 2.0;
    /** UW's starting log-variance (LibMTL). */
    public static final float UW_START = -0.5f;

    private final String id;
    private final String description;

    Weighting(String id, String description) {
        this.id = id;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    public static Weighting byId(String s) {
        for (Weighting w : values()) {
            if (w.id.equalsIgnoreCase(s)) {
                return w;
            }
        }
        throw new GraftException("--weighting " + s + " is not one of " + ids());
    }

    /** Every weighting's id, comma-separated. */
    public static String ids() {
        return String.join(", ", Arrays.stream(values()).map(Weighting::id).toList());
    }

    @com.fasterxml.jackson.annotation.JsonValue
    public String json() {
        return id;
    }

    /**
     * One run's state of this weighting over {@code tasks} tasks.
     *
     * @param seed orders PCGrad's projections
     */
    public Balance start(int tasks, long seed, NDManager manager) {
        return switch (this) {
            case EQUAL -> new Fixed(tasks);
            case UNCERTAINTY -> new Uncertainty(tasks, manager);
            case DWA -> new DynamicAverage(tasks);
            case GRADNORM -> new GradNorm(tasks, manager);
            case PCGRAD -> new PcGrad(tasks, Seeds.derive(seed, "pcgrad"));
            case MGDA_UB -> new MinNorm(tasks);
        };
    }

    /** Whether this weighting works on each task's gradient (one backward pass per task). */
    public boolean needsTaskGradients() {
        return this == GRADNORM || this == PCGRAD || this == MGDA_UB;
    }

    /** A weighting's state during one run. */
    public interface Balance {
        /** The step's loss from the task losses (scalars). */
        NDArray combine(List<NDArray> losses);

        /** Parameters the weighting learns (UW's log-variances), by name. */
        default Map<String, Parameter> parameters() {
            return Map.of();
        }

        /** Called once an epoch is over, with each task's mean training loss in it. */
        default void epochEnd(double[] meanLosses) {}

        /**
         * The weight each task's loss has now; for the gradient weightings, the mean of their
         * steps' weights since the last epoch ended.
         */
        double[] weights();

        /**
         * How the tasks' gradients become the step's, for the weightings that work on
         * gradients; null for those that weight the losses (one backward pass of
         * {@link #combine}'s value).
         */
        default Gradients gradients() {
            return null;
        }
    }

    /** A weighting that combines the tasks' gradients rather than their losses. */
    public interface Gradients {
        /**
         * True: gradients with respect to the shared representation (the trunk's output, for
         * the batch), which costs a backward pass through each head only; false: with respect
         * to the shared parameters, a backward pass through the trunk per task.
         */
        boolean onRepresentation();

        /** False while the weighting still sums the losses (GradNorm's first epoch). */
        default boolean active() {
            return true;
        }

        /**
         * @param grads {@code [K, D]}: row k is task k's gradient, flattened
         * @param losses the step's task losses
         * @param gc the step's gradient collector, for a weighting that trains parameters of
         *     its own on the gradients (GradNorm)
         * @return the step's gradient {@code [D]}
         */
        NDArray combine(NDArray grads, double[] losses, GradientCollector gc);
    }

    /** {@code sum_k w_k L_k}. */
    static NDArray weighted(List<NDArray> losses, double[] w) {
        NDArray total = losses.get(0).mul((float) w[0]);
        for (int k = 1; k < losses.size(); k++) {
            total = total.add(losses.get(k).mul((float) w[k]));
        }
        return total;
    }

    /** Weights held as numbers: fixed at 1, or set between epochs by a subclass. */
    private static class Fixed implements Balance {
        final double[] w;

        Fixed(int tasks) {
            w = new double[tasks];
            Arrays.fill(w, 1);
        }

        @Override
        public NDArray combine(List<NDArray> losses) {
            return weighted(losses, w);
        }

        @Override
        public double[] weights() {
            return w.clone();
        }
    }

    private static final class Uncertainty implements Balance {
        private final Parameter logVariance;

        Uncertainty(int tasks, NDManager manager) {
            logVariance = Parameter.builder().setName("log_variance")
                    .setType(Parameter.Type.OTHER).optShape(new Shape(tasks)).build();
            logVariance.setInitializer(new ConstantInitializer(UW_START));
            logVariance.initialize(manager, DataType.FLOAT32);
        }

        @Override
        public NDArray combine(List<NDArray> losses) {
            NDArray s = logVariance.getArray();
            NDArray total = null;
            for (int k = 0; k < losses.size(); k++) {
                NDArray sk = s.get(k);
                sk.attach(losses.get(k).getManager()); // with the step's arrays, not s's
                NDArray term = losses.get(k).div(sk.exp().mul(2f)).add(sk.div(2f));
                total = total == null ? term : total.add(term);
            }
            return total;
        }

        @Override
        public Map<String, Parameter> parameters() {
            return Map.of("weighting.log_variance", logVariance);
        }

        @Override
        public double[] weights() {
            float[] s = logVariance.getArray().toFloatArray();
            double[] w = new double[s.length];
            for (int k = 0; k < s.length; k++) {
                w[k] = 1 / (2 * Math.exp(s[k]));
            }
            return w;
        }
    }

    static final class DynamicAverage extends Fixed {
        private double[] previous;
        private double[] last;

        DynamicAverage(int tasks) {
            super(tasks);
        }

        @Override
        public void epochEnd(double[] meanLosses) {
            previous = last;
            last = meanLosses.clone();
            if (previous != null) {
                double[] r = new double[w.length];
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < w.length; k++) {
                    r[k] = last[k] / previous[k] / DWA_TEMPERATURE;
                    max = Math.max(max, r[k]);
                }
                double z = 0;
                for (int k = 0; k < w.length; k++) {
                    z += Math.exp(r[k] - max);
                }
                for (int k = 0; k < w.length; k++) {
                    w[k] = w.length * Math.exp(r[k] - max) / z;
                }
            }
        }
    }

    /** A gradient weighting whose weights are recorded as their mean over each epoch's steps. */
    private abstract static class StepWeights implements Balance, Gradients {
        private final double[] sum;
        private double[] last;
        private int steps;

        StepWeights(int tasks) {
            sum = new double[tasks];
            last = new double[tasks];
            Arrays.fill(last, 1);
        }

        void record(double[] w) {
            for (int k = 0; k < w.length; k++) {
                sum[k] += w[k];
            }
            last = w.clone();
            steps++;
        }

        @Override
        public NDArray combine(List<NDArray> losses) {
            return weighted(losses, last);
        }

        @Override
        public void epochEnd(double[] meanLosses) {
            Arrays.fill(sum, 0);
            steps = 0;
        }

        @Override
        public double[] weights() {
            if (steps == 0) {
                return last.clone();
            }
            double[] w = new double[sum.length];
            for (int k = 0; k < w.length; k++) {
                w[k] = sum[k] / steps;
            }
            return w;
        }

        @Override
        public Gradients gradients() {
            return this;
        }
    }

    /** {@code sum_k w_k g_k} of the rows of {@code grads}. */
    static NDArray weightedRows(NDArray grads, double[] w) {
        float[] f = new float[w.length];
        for (int k = 0; k < w.length; k++) {
            f[k] = (float) w[k];
        }
        return grads.getManager().create(f).matMul(grads);
    }

    static final class GradNorm implements Balance, Gradients {
        private final Parameter scale;
        private double[] initial;

        GradNorm(int tasks, NDManager manager) {
            scale = Parameter.builder().setName("loss_scale").setType(Parameter.Type.OTHER)
                    .optShape(new Shape(tasks)).build();
            scale.setInitializer(new ConstantInitializer(1f));
            scale.initialize(manager, DataType.FLOAT32);
        }

        @Override
        public NDArray combine(List<NDArray> losses) {
            return weighted(losses, weights());
        }

        @Override
        public Map<String, Parameter> parameters() {
            return Map.of("weighting.loss_scale", scale);
        }

        @Override
        public void epochEnd(double[] meanLosses) {
            if (initial == null) {
                initial = meanLosses.clone();
            }
        }

        /** {@code K softmax(s)}, or 1 each in the first epoch. */
        @Override
        public double[] weights() {
            float[] s = scale.getArray().toFloatArray();
            double[] w = new double[s.length];
            if (initial == null) {
                Arrays.fill(w, 1);
                return w;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (float v : s) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (int k = 0; k < s.length; k++) {
                w[k] = Math.exp(s[k] - max);
                z += w[k];
            }
            for (int k = 0; k < s.length; k++) {
                w[k] = s.length * w[k] / z;
            }
            return w;
        }

        @Override
        public Gradients gradients() {
            return this;
        }

        @Override
        public boolean onRepresentation() {
            return false;
        }

        @Override
        public boolean active() {
            return initial != null;
        }

        @Override
        public NDArray combine(NDArray grads, double[] losses, GradientCollector gc) {
            int tasks = losses.length;
            double[] norms = grads.norm(new int[] {1}).toType(DataType.FLOAT64, false)
                    .toDoubleArray();
            double[] w = weights();
            double g = 0;
            double[] r = new double[tasks];
            double rMean = 0;
            for (int k = 0; k < tasks; k++) {
                g += w[k] * norms[k] / tasks;
                r[k] = losses[k] / initial[k];
                rMean += r[k] / tasks;
            }
            float[] target = new float[tasks];
            float[] n = new float[tasks];
            for (int k = 0; k < tasks; k++) {
                target[k] = (float) (g * Math.pow(r[k] / rMean, GRADNORM_ALPHA));
                n[k] = (float) norms[k];
            }
            NDManager m = grads.getManager();
            NDArray soft = scale.getArray().softmax(0);
            soft.attach(m); // with the step's arrays, not the parameter's
            NDArray ws = soft.mul(tasks);
            gc.backward(ws.mul(m.create(n)).sub(m.create(target)).abs().sum());
            return weightedRows(grads, w);
        }
    }

    static final class PcGrad extends StepWeights {
        private final java.util.Random order;

        PcGrad(int tasks, long seed) {
            super(tasks);
            order = new java.util.Random(seed);
        }

        @Override
        public boolean onRepresentation() {
            return false;
        }

        /**
         * LibMTL's loop: for each task i, over every task j in a shuffled order (i among
         * them, never conflicting with itself), {@code g_i -= (g_i . g_j) / |g_j|^2 g_j} when
         * the dot product is negative; the weight of task j grows by the same coefficient's
         * negative.
         */
        @Override
        public NDArray combine(NDArray grads, double[] losses, GradientCollector gc) {
            int tasks = losses.length;
            int[][] orders = new int[tasks][];
            for (int i = 0; i < tasks; i++) {
                List<Integer> js = new java.util.ArrayList<>();
                for (int j = 0; j < tasks; j++) {
                    js.add(j);
                }
                java.util.Collections.shuffle(js, order);
                orders[i] = js.stream().mapToInt(Integer::intValue).toArray();
            }
            double[] weight = new double[tasks];
            double[] sum = project(gram(grads), orders, weight);
            record(weight);
            return weightedRows(grads, sum);
        }

        /**
         * The projections on the Gram matrix: each projected gradient stays a combination
         * {@code sum_j c_ij g_j} of the tasks' gradients, so only dot products are needed.
         *
         * @param orders per task i, the order in which the tasks j are visited
         * @param weight filled with LibMTL's batch weights
         * @return per task j, the coefficient of {@code g_j} in the sum of the projected
         *     gradients
         */
        static double[] project(double[][] dots, int[][] orders, double[] weight) {
            int tasks = dots.length;
            double[][] c = new double[tasks][tasks];
            Arrays.fill(weight, 1);
            for (int i = 0; i < tasks; i++) {
                c[i][i] = 1;
                for (int j : orders[i]) {
                    double gij = 0;
                    for (int l = 0; l < tasks; l++) {
                        gij += c[i][l] * dots[l][j];
                    }
                    if (gij < 0) {
                        double coef = gij / (dots[j][j] + 1e-8);
                        c[i][j] -= coef;
                        weight[j] -= coef;
                    }
                }
            }
            double[] sum = new double[tasks];
            for (int i = 0; i < tasks; i++) {
                for (int j = 0; j < tasks; j++) {
                    sum[j] += c[i][j];
                }
            }
            return sum;
        }
    }

    /** The Gram matrix {@code G G^T} of the rows, in double precision. */
    static double[][] gram(NDArray grads) {
        int tasks = (int) grads.getShape().get(0);
        double[] flat = grads.matMul(grads.transpose()).toType(DataType.FLOAT64, false)
                .toDoubleArray();
        double[][] out = new double[tasks][tasks];
        for (int i = 0; i < tasks; i++) {
            System.arraycopy(flat, i * tasks, out[i], 0, tasks);
        }
        return out;
    }

    static final class MinNorm extends StepWeights {
        MinNorm(int tasks) {
            super(tasks);
        }

        @Override
        public boolean onRepresentation() {
            return true;
        }

        @Override
        public NDArray combine(NDArray grads, double[] losses, GradientCollector gc) {
            double[] sol = MinNormSolver.solve(gram(grads));
            record(sol);
            return weightedRows(grads, sol);
        }
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
