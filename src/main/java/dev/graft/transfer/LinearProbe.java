package dev.graft.transfer;

import com.fasterxml.jackson.annotation.JsonProperty;
import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import dev.graft.data.ImageDataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A linear classifier on cached codes: logistic regression or a linear SVM through LIBLINEAR
 * (one-vs-rest), or multinomial logistic regression fitted to its minimizer by L-BFGS on the
 * engine ({@link SoftmaxRegression}). Codes are standardized with the training codes' mean and
 * standard deviation (variances pooled when the codes are few: {@link Standardizer}); the
 * regularization strength is chosen on a stratified validation split of the training codes,
 * then the classifier is refit on all of them.
 */
public final class LinearProbe {

    /** The classifier families. */
    public enum Classifier {
        /** L2-regularized logistic regression (LIBLINEAR, one-vs-rest). */
        LOGREG,
        /** L2-regularized L2-loss linear SVM (LIBLINEAR, dual, one-vs-rest). */
        SVM,
        /** Multinomial logistic regression, L-BFGS on the engine (scikit-learn's model). */
        SOFTMAX;

        public static Classifier parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--classifier " + s
                        + " is not one of logreg, svm, softmax");
            }
        }
    }

    /**
     * @param grid regularization strengths tried, scikit-learn's and LIBLINEAR's C (larger C =
     *     weaker regularization)
     * @param valFraction share of each class of the training codes used to choose from the grid
     * @param maxIterations softmax only: the most L-BFGS iterations
     * @param tolerance softmax only: the largest gradient component at which L-BFGS stops, on
     *     scikit-learn's scale (its {@code tol})
     */
    public record Config(Classifier classifier, double[] grid, double valFraction, long seed,
            int maxIterations, double tolerance) {
        public Config {
            if (maxIterations < 1) {
                throw new IllegalArgumentException("--max-iter must be >= 1, got "
                        + maxIterations);
            }
            if (!(tolerance > 0)) {
                throw new IllegalArgumentException("--tol must be > 0, got " + tolerance);
            }
            if (grid.length == 0) {
                throw new IllegalArgumentException("the regularization grid is empty");
            }
            if (!(valFraction > 0 && valFraction < 1)) {
                throw new IllegalArgumentException("validation fraction must be in (0, 1), got "
                        + valFraction);
            }
        }

        public static Config defaults(Classifier c, long seed) {
            return new Config(c, new double[] {0.001, 0.01, 0.1, 1, 10}, 0.2, seed, 1000, 1e-4);
        }

        public Config withGrid(double[] g) {
            return new Config(classifier, g, valFraction, seed, maxIterations, tolerance);
        }
    }

    /**
     * A fitted probe's figures. {@code iterations} and {@code objective} (the sum of the training
     * codes' cross-entropies plus {@code ||W||^2 / (2C)}, scikit-learn's objective, at the
     * solution) are the softmax solver's, null for LIBLINEAR.
     */
    public record Result(
            @JsonProperty("classifier") Classifier classifier,
            @JsonProperty("c") double c,
            @JsonProperty("validation_accuracy_by_c") Map<String, Double> validationByC,
            @JsonProperty("train_accuracy") double trainAccuracy,
            @JsonProperty("test_accuracy") Double testAccuracy,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("dim") int dim,
            @JsonProperty("fit_seconds") double fitSeconds,
            @JsonProperty("iterations") Integer iterations,
            @JsonProperty("objective") Double objective) {}

    private LinearProbe() {}

    /**
     * The per-dimension scale the probes standardize codes by, from the training codes'
     * population variances over {@code count} codes (each variance shrunk toward their mean, as
     * {@link Standardizer} says): for a solver that fits the same objective elsewhere (Spark
     * MLlib).
     */
    public static double[] standardDeviations(double[] variance, long count) {
        return Standardizer.std(variance, count);
    }

    /** Fits on {@code train}, reports accuracy on {@code test} (may be null). */
    public static Result fit(FeatureCodes train, FeatureCodes test, Config cfg) {
        if (test != null && test.dim() != train.dim()) {
            throw new IllegalArgumentException("test codes have dimension " + test.dim()
                    + " but the training codes " + train.dim() + "; extract both at one stage");
        }
        long started = System.nanoTime();
        Standardizer st = Standardizer.fit(train);
        FeatureCodes tr = st.apply(train);
        FeatureCodes te = test == null ? null : st.apply(test);
        Map<String, Double> byC = new LinkedHashMap<>();
        Choice choice = chooseC(tr, cfg, byC);
        Fitted f = fitAt(tr, choice.c(), cfg, choice.start());
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(cfg.classifier(), choice.c(), byC, accuracy(f.predictor(), tr),
                te == null ? null : accuracy(f.predictor(), te), train.count(), train.dim(),
                seconds, f.softmax() == null ? null : f.softmax().iterations(),
                f.softmax() == null ? null : f.softmax().objective());
    }

    /**
     * A fitted probe as one linear map on the raw (unstandardized) codes, so it
     * can become a network's head: {@code logits = weight x + bias}, {@code weight} row-major
     * {@code [classes, dim]}. Its argmax is the probe's prediction.
     */
    public record LinearMap(float[] weight, float[] bias, int classes, int dim, double c) {}

    /** Fits a probe (C chosen as in {@link #fit}) and returns it as a linear map. */
    public static LinearMap fitLinear(FeatureCodes train, Config cfg) {
        Standardizer st = Standardizer.fit(train);
        FeatureCodes tr = st.apply(train);
        Choice choice = chooseC(tr, cfg, new LinkedHashMap<>());
        double c = choice.c();
        int k = train.numClasses();
        int d = train.dim();
        double[][] raw = fitAt(tr, c, cfg, choice.start()).rows(k, d);
        float[] weight = new float[k * d];
        float[] bias = new float[k];
        for (int cl = 0; cl < k; cl++) {
            double b = raw[cl][d];
            for (int j = 0; j < d; j++) {
                double a = raw[cl][j] / st.std()[j]; // fold (x - mean) / std into the map
                weight[cl * d + j] = (float) a;
                b -= a * st.mean()[j];
            }
            bias[cl] = (float) b;
        }
        return new LinearMap(weight, bias, k, d, c);
    }

    /**
     * The grid's C with the best accuracy on a stratified validation split of {@code tr}, each
     * tried C recorded in {@code byC}; among equally accurate ones the largest (weakest
     * regularization). A validation split of a few codes ties often, and the smallest C then
     * underfits: at 10 labels per class (2 per class held out, 20 draws) taking the smallest of
     * the tied gave 73.4 +- 8.6% (worst draw 55.0), the largest 79.5 +- 3.0% (worst 75.5).
     * A grid of one C leaves nothing to choose: no validation fits. With fewer than two
     * examples in some class there is nothing to hold out: C = 1, LIBLINEAR's default.
     *
     * <p>Softmax fits along the grid each start from the previous one's solution (the path
     * approach of regularization paths), and the chosen C's solution starts the final fit on all
     * codes: fewer iterations each (on 60,000 codes of 256 the refit took 334 iterations instead
     * of 837, the same C chosen).
     */
    private static Choice chooseC(FeatureCodes tr, Config cfg, Map<String, Double> byC) {
        if (cfg.grid().length == 1) {
            return new Choice(cfg.grid()[0], null);
        }
        int[] counts = new int[tr.numClasses()];
        for (int y : tr.labels()) {
            counts[y]++;
        }
        if (java.util.Arrays.stream(counts).min().orElse(0) < 2) {
            return new Choice(1, null);
        }
        int[][] split = stratifiedSplit(tr.labels(), tr.numClasses(), cfg.valFraction(),
                new SplittableRandom(cfg.seed()));
        FeatureCodes fitPart = tr.select(split[0]);
        FeatureCodes valPart = tr.select(split[1]);
        double bestC = cfg.grid()[0];
        double bestAcc = -1;
        double[] warm = null;
        double[] bestStart = null;
        for (double c : cfg.grid()) {
            Fitted f = fitAt(fitPart, c, cfg, warm);
            if (f.softmax() != null) {
                warm = f.softmax().parameters();
            }
            double acc = accuracy(f.predictor(), valPart);
            byC.put(Double.toString(c), acc);
            if (acc > bestAcc || (acc == bestAcc && c > bestC)) {
                bestAcc = acc;
                bestC = c;
                bestStart = warm;
            }
        }
        return new Choice(bestC, bestStart);
    }

    /** The chosen C, and for softmax its validation fit's solution to start from (or null). */
    private record Choice(double c, double[] start) {}

    /** Predicts a class for every row of some codes. */
    @FunctionalInterface
    interface Predictor {
        int[] predict(FeatureCodes codes);
    }

    static double accuracy(Predictor p, FeatureCodes codes) {
        if (codes.count() == 0) {
            return Double.NaN;
        }
        int[] pred = p.predict(codes);
        int correct = 0;
        for (int i = 0; i < pred.length; i++) {
            correct += pred[i] == codes.labels()[i] ? 1 : 0;
        }
        return (double) correct / pred.length;
    }

    /**
     * One classifier fitted on standardized codes: the softmax fit or the LIBLINEAR model (the
     * other null), and its predictions.
     */
    private record Fitted(SoftmaxRegression.Fit softmax, Model liblinear, Predictor predictor) {

        /** {@code [class][weights..., bias]}; a class absent from the codes keeps a zero row. */
        double[][] rows(int k, int d) {
            double[][] raw = new double[k][d + 1];
            if (softmax != null) {
                for (int cl = 0; cl < k; cl++) {
                    System.arraycopy(softmax.weight(), cl * d, raw[cl], 0, d);
                    raw[cl][d] = softmax.bias()[cl];
                }
                return raw;
            }
            double[] w = liblinear.getFeatureWeights(); // [feature][class], bias feature last
            int[] labels = liblinear.getLabels();
            // LIBLINEAR keeps one vector for two classes: decision > 0 means labels[0]
            int vectors = liblinear.getNrClass() == 2 ? 1 : liblinear.getNrClass();
            for (int v = 0; v < vectors; v++) {
                for (int j = 0; j <= d; j++) {
                    raw[labels[v]][j] = w[j * vectors + v];
                }
            }
            return raw;
        }
    }

    /** The configured classifier at {@code c}; {@code start} seeds softmax's L-BFGS (or null). */
    private static Fitted fitAt(FeatureCodes tr, double c, Config cfg, double[] start) {
        if (cfg.classifier() == Classifier.SOFTMAX) {
            SoftmaxRegression.Fit f = SoftmaxRegression.fit(tr, c, cfg.maxIterations(),
                    cfg.tolerance(), start);
            return new Fitted(f, null, f::predict);
        }
        Model model = liblinearModel(tr, c, cfg.classifier());
        return new Fitted(null, model, codes -> {
            Feature[][] x = features(codes);
            int[] out = new int[codes.count()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (int) Linear.predict(model, x[i]);
            }
            return out;
        });
    }

    private static Model liblinearModel(FeatureCodes train, double c, Classifier kind) {
        Linear.disableDebugOutput();
        Problem prob = new Problem();
        prob.l = train.count();
        prob.n = train.dim() + 1;
        prob.bias = 1;
        prob.x = features(train);
        prob.y = new double[train.count()];
        for (int i = 0; i < prob.l; i++) {
            prob.y[i] = train.labels()[i];
        }
        SolverType solver = kind == Classifier.LOGREG ? SolverType.L2R_LR
                : SolverType.L2R_L2LOSS_SVC_DUAL;
        return Linear.train(prob, new Parameter(solver, c, 0.01));
    }

    /** Dense rows as LIBLINEAR features (1-based indices), with the bias feature last. */
    private static Feature[][] features(FeatureCodes codes) {
        Feature[][] x = new Feature[codes.count()][];
        int d = codes.dim();
        float[] v = codes.values();
        for (int i = 0; i < x.length; i++) {
            Feature[] row = new Feature[d + 1];
            for (int j = 0; j < d; j++) {
                row[j] = new FeatureNode(j + 1, v[i * d + j]);
            }
            row[d] = new FeatureNode(d + 1, 1);
            x[i] = row;
        }
        return x;
    }

    /**
     * {@code [train indices, validation indices]}: {@code fraction} of every class (at least one
     * example, and at least one left for training) to validation.
     */
    static int[][] stratifiedSplit(int[] labels, int classes, double fraction,
            SplittableRandom rng) {
        int[] order = ImageDataset.permutation(labels.length, rng);
        int[] counts = new int[classes];
        for (int y : labels) {
            counts[y]++;
        }
        int[] quota = new int[classes];
        for (int c = 0; c < classes; c++) {
            if (counts[c] < 2) {
                throw new IllegalArgumentException("class " + c + " has " + counts[c]
                        + " example(s); a probe needs at least 2 per class to choose its"
                        + " regularization");
            }
            quota[c] = Math.min(counts[c] - 1, Math.max(1, (int) Math.round(counts[c] * fraction)));
        }
        List<Integer> fit = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        for (int i : order) {
            if (quota[labels[i]] > 0) {
                quota[labels[i]]--;
                val.add(i);
            } else {
                fit.add(i);
            }
        }
        return new int[][] {fit.stream().mapToInt(Integer::intValue).sorted().toArray(),
            val.stream().mapToInt(Integer::intValue).sorted().toArray()};
    }
}
