package dev.graft.multitask;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.ConstantInitializer;
import dev.graft.io.GraftException;
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
            + " loss ratio over the last two epochs");

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
        throw new GraftException("--weighting " + s + " is not one of " + String.join(", ",
                Arrays.stream(values()).map(Weighting::id).toList()));
    }

    @com.fasterxml.jackson.annotation.JsonValue
    public String json() {
        return id;
    }

    /** One run's state of this weighting over {@code tasks} tasks. */
    public Balance start(int tasks, NDManager manager) {
        return switch (this) {
            case EQUAL -> new Fixed(tasks);
            case UNCERTAINTY -> new Uncertainty(tasks, manager);
            case DWA -> new DynamicAverage(tasks);
        };
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

        /** The weight each task's loss has now. */
        double[] weights();
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

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
