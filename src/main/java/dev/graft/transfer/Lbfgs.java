package dev.graft.transfer;

/**
 * Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithms 7.4 and 7.5) for
 * smooth convex objectives, with a backtracking Armijo line search (quadratic interpolation).
 * On a strictly convex objective every step has positive curvature, so the Wolfe curvature
 * condition the line search does not check holds anyway; a pair without it is skipped.
 *
 * <p>It stops as SciPy's L-BFGS-B does (what scikit-learn's {@code lbfgs} solver runs): when the
 * largest gradient component is at most {@code gradientTolerance}, when an iteration lowers the
 * objective by at most {@code relativeTolerance} of its magnitude, or after {@code
 * maxIterations}. No Java library with a permissive licence offers L-BFGS (Commons Math has
 * none; Smile's is GPL), hence this one.
 */
final class Lbfgs {

    /** A function and its gradient. */
    @FunctionalInterface
    interface Objective {
        /** Returns f(x) and writes its gradient into {@code gradient}. */
        double valueAndGradient(double[] x, double[] gradient);
    }

    /** Why the minimizer stopped. */
    enum Stop { GRADIENT, OBJECTIVE, ITERATIONS, LINE_SEARCH }

    record Result(double[] x, double value, int iterations, int evaluations, Stop stop,
            double gradientMax) {}

    private static final double ARMIJO = 1e-4;
    private static final int MAX_LINE_SEARCH = 50;

    private Lbfgs() {}

    static Result minimize(Objective f, double[] start, int memory, int maxIterations,
            double gradientTolerance, double relativeTolerance) {
        int n = start.length;
        double[] x = start.clone();
        double[] g = new double[n];
        double fx = f.valueAndGradient(x, g);
        int evaluations = 1;
        double[][] s = new double[memory][];
        double[][] y = new double[memory][];
        double[] rho = new double[memory];
        double[] alpha = new double[memory];
        int stored = 0;
        int newest = -1;
        double[] d = new double[n];
        double[] xn = new double[n];
        double[] gn = new double[n];
        if (maxAbs(g) <= gradientTolerance) {
            return new Result(x, fx, 0, evaluations, Stop.GRADIENT, maxAbs(g));
        }
        for (int iteration = 1; iteration <= maxIterations; iteration++) {
            // two-loop recursion: d = -H g
            for (int i = 0; i < n; i++) {
                d[i] = -g[i];
            }
            for (int k = 0; k < stored; k++) {
                int at = Math.floorMod(newest - k, memory);
                alpha[at] = rho[at] * dot(s[at], d);
                axpy(-alpha[at], y[at], d);
            }
            if (stored > 0) {
                double gamma = dot(s[newest], y[newest]) / dot(y[newest], y[newest]);
                for (int i = 0; i < n; i++) {
                    d[i] *= gamma;
                }
            } else {
                double norm = Math.sqrt(dot(g, g));
                for (int i = 0; i < n; i++) {
                    d[i] /= norm; // first step: unit length along the steepest descent
                }
            }
            for (int k = stored - 1; k >= 0; k--) {
                int at = Math.floorMod(newest - k, memory);
                double beta = rho[at] * dot(y[at], d);
                axpy(alpha[at] - beta, s[at], d);
            }
            double slope = dot(g, d);
            if (!(slope < 0)) { // not a descent direction (rounding): restart from -g
                stored = 0;
                for (int i = 0; i < n; i++) {
                    d[i] = -g[i];
                }
                slope = -dot(g, g);
            }
            double step = 1;
            double fn = Double.NaN;
            boolean accepted = false;
            for (int tries = 0; tries < MAX_LINE_SEARCH; tries++) {
                for (int i = 0; i < n; i++) {
                    xn[i] = x[i] + step * d[i];
                }
                fn = f.valueAndGradient(xn, gn);
                evaluations++;
                if (fn <= fx + ARMIJO * step * slope) {
                    accepted = true;
                    break;
                }
                // minimizer of the quadratic through f(0), f'(0) and f(step), kept in a safe range
                double q = Double.isFinite(fn)
                        ? -slope * step * step / (2 * (fn - fx - slope * step)) : 0.1 * step;
                step = Math.min(0.5 * step, Math.max(0.1 * step, q));
            }
            if (!accepted) {
                return new Result(x, fx, iteration - 1, evaluations, Stop.LINE_SEARCH,
                        maxAbs(g));
            }
            int slot = (newest + 1) % memory;
            double[] sk = new double[n];
            double[] yk = new double[n];
            for (int i = 0; i < n; i++) {
                sk[i] = xn[i] - x[i];
                yk[i] = gn[i] - g[i];
            }
            double sy = dot(sk, yk);
            if (sy > 1e-10 * dot(yk, yk)) {
                s[slot] = sk;
                y[slot] = yk;
                rho[slot] = 1 / sy;
                newest = slot;
                stored = Math.min(stored + 1, memory);
            }
            double decrease = (fx - fn) / Math.max(1, Math.max(Math.abs(fx), Math.abs(fn)));
            System.arraycopy(xn, 0, x, 0, n);
            System.arraycopy(gn, 0, g, 0, n);
            fx = fn;
            double gmax = maxAbs(g);
            if (gmax <= gradientTolerance) {
                return new Result(x, fx, iteration, evaluations, Stop.GRADIENT, gmax);
            }
            if (decrease <= relativeTolerance) {
                return new Result(x, fx, iteration, evaluations, Stop.OBJECTIVE, gmax);
            }
        }
        return new Result(x, fx, maxIterations, evaluations, Stop.ITERATIONS, maxAbs(g));
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double e : v) {
            m = Math.max(m, Math.abs(e));
        }
        return m;
    }
}
