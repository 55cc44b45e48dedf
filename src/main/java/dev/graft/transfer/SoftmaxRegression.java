package dev.graft.transfer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Multinomial logistic regression fitted to its minimizer: L-BFGS ({@link Lbfgs}) over the
 * weights and biases, the objective and its gradient computed on the engine (two matrix products
 * over all codes per evaluation). It minimizes
 *
 * <pre>  sum_i -log softmax(W x_i + b)[y_i] + ||W||^2 / (2 C)</pre>
 *
 * the very objective scikit-learn's {@code LogisticRegression(C)} hands to L-BFGS (bias not
 * penalized), with its stopping rules on the same scale: the largest gradient component at most
 * {@code tolerance} (its {@code tol}), or a relative decrease below SciPy's default {@code factr
 * * eps}.
 */
final class SoftmaxRegression {

    /** SciPy L-BFGS-B's default relative decrease to stop at: factr 1e7 times double's eps. */
    private static final double RELATIVE_DECREASE = 1e7 * Math.ulp(1.0);
    /** SciPy's default number of correction pairs kept. */
    private static final int MEMORY = 10;

    /** A fitted model: {@code weight} row-major {@code [classes][dim]}. */
    record Fit(double[] weight, double[] bias, int classes, int dim, double objective,
            int iterations, Lbfgs.Stop stop) {

        /** Weights then biases: the parameter vector L-BFGS works on, e.g. to start from. */
        double[] parameters() {
            double[] p = Arrays.copyOf(weight, weight.length + bias.length);
            System.arraycopy(bias, 0, p, weight.length, bias.length);
            return p;
        }

        int[] predict(FeatureCodes codes) {
            int[] out = new int[codes.count()];
            float[] v = codes.values();
            double[] z = new double[classes];
            for (int i = 0; i < out.length; i++) {
                System.arraycopy(bias, 0, z, 0, classes);
                for (int j = 0; j < dim; j++) {
                    double x = v[i * dim + j];
                    for (int c = 0; c < classes; c++) {
                        z[c] += weight[c * dim + j] * x;
                    }
                }
                int best = 0;
                for (int c = 1; c < classes; c++) {
                    if (z[c] > z[best]) {
                        best = c;
                    }
                }
                out[i] = best;
            }
            return out;
        }
    }

    private SoftmaxRegression() {}

    /**
     * @param c inverse regularization strength, as scikit-learn's
     * @param tolerance the largest gradient component, on scikit-learn's scale, to stop at
     * @param start parameters to start from ({@link Fit#parameters()} of a fit on the same
     *     classes and dimension), or null for zeros
     */
    static Fit fit(FeatureCodes train, double c, int maxIterations, double tolerance,
            double[] start) {
        int d = train.dim();
        int k = train.numClasses();
        try (Loss loss = objective(train, c)) {
            Lbfgs.Result r = Lbfgs.minimize(loss, start == null ? new double[k * d + k] : start,
                    MEMORY, maxIterations, tolerance, RELATIVE_DECREASE);
            return new Fit(Arrays.copyOf(r.x(), k * d), Arrays.copyOfRange(r.x(), k * d,
                    k * d + k), k, d, r.value(), r.iterations(), r.stop());
        }
    }

    /**
     * The objective on {@code train}'s codes, held by the engine until closed. Its parameters:
     * {@code W} as {@code [classes][dim]} row-major, then the biases.
     */
    static Loss objective(FeatureCodes train, double c) {
        return new Loss(train, c);
    }

    /**
     * The objective and its gradient. The codes stay on the engine in float32 and the two
     * products with them (logits, gradient) run in float32, since they are bound by reading
     * the codes; the softmax, the loss and its sums are float64.
     */
    static final class Loss implements Lbfgs.Objective, AutoCloseable {
        private final NDManager base = NDManager.newBaseManager();
        private final NDArray x;
        private final NDArray y;
        private final int d;
        private final int k;
        private final double lambda;

        private Loss(FeatureCodes train, double c) {
            int n = train.count();
            d = train.dim();
            k = train.numClasses();
            lambda = 1 / c;
            x = base.create(train.values(), new Shape(n, d));
            double[] oneHot = new double[n * k];
            for (int i = 0; i < n; i++) {
                oneHot[i * k + train.labels()[i]] = 1;
            }
            y = base.create(oneHot, new Shape(n, k));
        }

        @Override
        public double valueAndGradient(double[] p, double[] grad) {
            float[] w32 = new float[k * d];
            double penalty = 0;
            for (int i = 0; i < w32.length; i++) {
                w32[i] = (float) p[i];
                penalty += p[i] * p[i];
            }
            try (NDManager step = base.newSubManager()) {
                NDArray w = step.create(w32, new Shape(k, d));
                NDArray b = step.create(Arrays.copyOfRange(p, k * d, k * d + k));
                NDArray z = attached(x.matMul(w.transpose()), step).toType(DataType.FLOAT64,
                        false).addi(b);
                NDArray shifted = z.subi(z.max(new int[] {1}, true));
                NDArray logP = shifted.subi(shifted.exp().sum(new int[] {1}, true).log());
                double loss = -logP.mul(y).sum().getDouble();
                NDArray residual = logP.exp().subi(y); // P - Y
                float[] gw = residual.toType(DataType.FLOAT32, false).transpose().matMul(x)
                        .toFloatArray(); // [k][d]
                double[] gb = residual.sum(new int[] {0}).toDoubleArray();
                for (int i = 0; i < k * d; i++) {
                    grad[i] = gw[i] + lambda * p[i];
                }
                System.arraycopy(gb, 0, grad, k * d, k);
                return loss + lambda * penalty / 2;
            }
        }

        @Override
        public void close() {
            base.close();
        }
    }

    /** {@code out}, moved into {@code step} (it was made in its first operand's manager). */
    private static NDArray attached(NDArray out, NDManager step) {
        out.attach(step);
        return out;
    }
}
