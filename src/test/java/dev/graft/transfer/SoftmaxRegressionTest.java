package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SoftmaxRegressionTest {

    /**
     * Two codes, x = -1 (class 0) and x = +1 (class 1), C = 1. By symmetry b = 0 and w1 = -w0 =
     * delta / 2, so the objective (summed loss + ||W||^2 / (2 C)) is 2 log(1 + e^-delta) +
     * delta^2 / 4, minimal where delta / 4 = 1 / (1 + e^delta): delta = 1.0422... (bisection
     * below, by hand the root lies between 1.04 and 1.05).
     */
    @Test
    void twoPointsReachTheHandDerivedMinimizer() {
        FeatureCodes codes = new FeatureCodes(new float[] {-1, 1}, 2, 1, new int[] {0, 1},
                List.of("a", "b"));
        SoftmaxRegression.Fit f = SoftmaxRegression.fit(codes, 1, 1000, 1e-10, null);
        double lo = 1.04;
        double hi = 1.05;
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2;
            if (mid / 4 - 1 / (1 + Math.exp(mid)) < 0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double delta = lo;
        // the products with the codes run in float32: agreement to about float32's precision
        assertEquals(delta, f.weight()[1] - f.weight()[0], 1e-6);
        assertEquals(-f.weight()[0], f.weight()[1], 1e-6);
        assertEquals(0, f.bias()[0] + f.bias()[1], 1e-6, "biases sum to zero from zero start");
        assertEquals(f.bias()[0], f.bias()[1], 1e-6);
        // scikit-learn's scale: the sum over both codes, 2 log(1 + e^-delta) + delta^2 / 4
        assertEquals(2 * Math.log1p(Math.exp(-delta)) + delta * delta / 4, f.objective(), 2e-8);
        assertTrue(f.stop() == Lbfgs.Stop.GRADIENT || f.stop() == Lbfgs.Stop.OBJECTIVE,
                "converged, not " + f.stop());
        assertArrayEquals(new int[] {0, 1}, f.predict(codes));
        // started from its own solution, it has (almost) nothing left to do
        SoftmaxRegression.Fit again = SoftmaxRegression.fit(codes, 1, 1000, 1e-10,
                f.parameters());
        assertTrue(again.iterations() <= 2, "iterations from the solution: "
                + again.iterations());
        assertEquals(f.objective(), again.objective(), 2e-7);
    }

    /** The engine's gradient agrees with central differences of the engine's objective. */
    @Test
    void gradientMatchesFiniteDifferences() {
        FeatureCodes codes = LinearProbeTest.blobs(5, 11);
        int d = codes.dim();
        int k = codes.numClasses();
        // one iteration from zero moves off the symmetric start; check the gradient there
        SoftmaxRegression.Fit f = SoftmaxRegression.fit(codes, 0.5, 1, 1e-12, null);
        assertEquals(1, f.iterations());
        double[] p = f.parameters();
        assertEquals(d * k + k, p.length);
        double[] g = new double[p.length];
        try (SoftmaxRegression.Loss obj = SoftmaxRegression.objective(codes, 0.5)) {
            assertEquals(f.objective(), obj.valueAndGradient(p, g), 1e-9);
            double[] scratch = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                double[] up = p.clone();
                double[] down = p.clone();
                up[i] += 1e-3; // large enough for the float32 products' rounding
                down[i] -= 1e-3;
                double numeric = (obj.valueAndGradient(up, scratch)
                        - obj.valueAndGradient(down, scratch)) / 2e-3;
                assertEquals(numeric, g[i], 1e-5 + 1e-3 * Math.abs(numeric), "component " + i);
            }
        }
    }

    @Test
    void lbfgsFindsTheMinimumOfRosenbrockAndOfAQuadratic() {
        Lbfgs.Objective rosenbrock = (x, g) -> {
            double a = 1 - x[0];
            double b = x[1] - x[0] * x[0];
            g[0] = -2 * a - 400 * x[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        };
        Lbfgs.Result r = Lbfgs.minimize(rosenbrock, new double[] {-1.2, 1}, 10, 500, 1e-9, 0);
        assertEquals(Lbfgs.Stop.GRADIENT, r.stop());
        assertArrayEquals(new double[] {1, 1}, r.x(), 1e-6);
        // f(x) = sum_i i (x_i - 1/i)^2 / 2, i = 1..30: minimizer x_i = 1/i, value 0
        Lbfgs.Objective quadratic = (x, g) -> {
            double v = 0;
            for (int i = 0; i < x.length; i++) {
                double e = x[i] - 1.0 / (i + 1);
                g[i] = (i + 1) * e;
                v += (i + 1) * e * e / 2;
            }
            return v;
        };
        Lbfgs.Result q = Lbfgs.minimize(quadratic, new double[30], 10, 500, 1e-10, 0);
        for (int i = 0; i < 30; i++) {
            assertEquals(1.0 / (i + 1), q.x()[i], 1e-9);
        }
        assertTrue(q.iterations() < 100, "iterations " + q.iterations());
    }
}
