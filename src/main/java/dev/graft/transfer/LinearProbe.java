package dev.graft.transfer;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import dev.graft.data.Augmentation;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.model.Architecture;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A linear classifier on cached codes: logistic regression or a linear SVM through LIBLINEAR, or a
 * softmax head trained with graft's training loop. Codes are standardized with the training
 * codes' mean and standard deviation; the regularization strength is chosen on a stratified
 * validation split of the training codes, then the classifier is refit on all of them.
 */
public final class LinearProbe {

    /** The classifier families. */
    public enum Classifier {
        /** L2-regularized logistic regression (LIBLINEAR, one-vs-rest). */
        LOGREG,
        /** L2-regularized L2-loss linear SVM (LIBLINEAR, dual, one-vs-rest). */
        SVM,
        /** Multinomial logistic regression trained with Adam in graft's loop. */
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
     * @param grid regularization strengths tried: LIBLINEAR's C, or the softmax head's weight
     *     decay (larger C = weaker regularization; for softmax the decay is 1 / (C * n))
     * @param valFraction share of each class of the training codes used to choose from the grid
     * @param softmaxEpochs the softmax head's least number of epochs (it also takes at least 300
     *     optimizer steps); more epochs come closer to the exact minimizer
     */
    public record Config(Classifier classifier, double[] grid, double valFraction, long seed,
            int softmaxEpochs) {
        public Config {
            if (softmaxEpochs < 1) {
                throw new IllegalArgumentException("--epochs must be >= 1, got " + softmaxEpochs);
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
            return new Config(c, new double[] {0.001, 0.01, 0.1, 1, 10}, 0.2, seed, 30);
        }

        public Config withGrid(double[] g) {
            return new Config(classifier, g, valFraction, seed, softmaxEpochs);
        }
    }

    /** A fitted probe's figures. */
    public record Result(
            @JsonProperty("classifier") Classifier classifier,
            @JsonProperty("c") double c,
            @JsonProperty("validation_accuracy_by_c") Map<String, Double> validationByC,
            @JsonProperty("train_accuracy") double trainAccuracy,
            @JsonProperty("test_accuracy") Double testAccuracy,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("dim") int dim,
            @JsonProperty("fit_seconds") double fitSeconds) {}

    private LinearProbe() {}

    /**
     * Fits on {@code train}, reports accuracy on {@code test} (may be null).
     *
     * @param manager needed by the softmax classifier; unused by LIBLINEAR
     */
    public static Result fit(FeatureCodes train, FeatureCodes test, Config cfg,
            NDManager manager) {
        if (test != null && test.dim() != train.dim()) {
            throw new IllegalArgumentException("test codes have dimension " + test.dim()
                    + " but the training codes " + train.dim() + "; extract both at one stage");
        }
        long started = System.nanoTime();
        Standardizer st = Standardizer.fit(train);
        FeatureCodes tr = st.apply(train);
        FeatureCodes te = test == null ? null : st.apply(test);
        Map<String, Double> byC = new LinkedHashMap<>();
        double bestC = chooseC(tr, cfg, byC, manager);
        Predictor p = predictor(tr, bestC, cfg, manager);
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(cfg.classifier(), bestC, byC, accuracy(p, tr),
                te == null ? null : accuracy(p, te), train.count(), train.dim(), seconds);
    }

    /**
     * A fitted LIBLINEAR classifier as one linear map on the raw (unstandardized) codes, so it
     * can become a network's head: {@code logits = weight x + bias}, {@code weight} row-major
     * {@code [classes, dim]}. Its argmax is the probe's prediction.
     */
    public record LinearMap(float[] weight, float[] bias, int classes, int dim, double c) {}

    /** Fits a logreg or SVM probe (C chosen as in {@link #fit}) and returns it as a linear map. */
    public static LinearMap fitLinear(FeatureCodes train, Config cfg) {
        if (cfg.classifier() == Classifier.SOFTMAX) {
            throw new IllegalArgumentException("fitLinear takes logreg or svm");
        }
        Standardizer st = Standardizer.fit(train);
        FeatureCodes tr = st.apply(train);
        double c = chooseC(tr, cfg, new LinkedHashMap<>(), null);
        Model model = liblinearModel(tr, c, cfg.classifier());
        int k = train.numClasses();
        int d = train.dim();
        double[] w = model.getFeatureWeights(); // [feature][class], bias feature last
        int[] labels = model.getLabels();
        int vectors = model.getNrClass() == 2 ? 1 : model.getNrClass();
        double[][] raw = new double[k][d + 1]; // absent classes keep all-zero rows
        for (int v = 0; v < vectors; v++) {
            for (int j = 0; j <= d; j++) {
                raw[labels[v]][j] = w[j * vectors + v];
            }
        }
        // LIBLINEAR keeps one vector for two classes: decision > 0 means labels[0]
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
     * tried C recorded in {@code byC}. A grid of one C leaves nothing to choose: no
     * validation fits. With fewer than two examples in some class there is nothing to hold
     * out: C = 1, LIBLINEAR's default.
     */
    private static double chooseC(FeatureCodes tr, Config cfg, Map<String, Double> byC,
            NDManager manager) {
        if (cfg.grid().length == 1) {
            return cfg.grid()[0];
        }
        int[] counts = new int[tr.numClasses()];
        for (int y : tr.labels()) {
            counts[y]++;
        }
        if (java.util.Arrays.stream(counts).min().orElse(0) < 2) {
            return 1;
        }
        int[][] split = stratifiedSplit(tr.labels(), tr.numClasses(), cfg.valFraction(),
                new SplittableRandom(cfg.seed()));
        FeatureCodes fitPart = tr.select(split[0]);
        FeatureCodes valPart = tr.select(split[1]);
        double bestC = cfg.grid()[0];
        double bestAcc = -1;
        for (double c : cfg.grid()) {
            double acc = accuracy(predictor(fitPart, c, cfg, manager), valPart);
            byC.put(Double.toString(c), acc);
            if (acc > bestAcc) {
                bestAcc = acc;
                bestC = c;
            }
        }
        return bestC;
    }

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

    private static Predictor predictor(FeatureCodes train, double c, Config cfg,
            NDManager manager) {
        return cfg.classifier() == Classifier.SOFTMAX
                ? softmax(train, c, cfg.seed(), cfg.softmaxEpochs(), manager)
                : liblinear(train, c, cfg.classifier());
    }

    private static Predictor liblinear(FeatureCodes train, double c, Classifier kind) {
        Model model = liblinearModel(train, c, kind);
        return codes -> {
            Feature[][] x = features(codes);
            int[] out = new int[codes.count()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (int) Linear.predict(model, x[i]);
            }
            return out;
        };
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

    private static Predictor softmax(FeatureCodes train, double c, long seed, int minEpochs,
            NDManager manager) {
        int[] shape = {train.dim(), 1, 1};
        double decay = 1 / (c * train.count());
        // at least 300 optimizer steps too, so few-shot probes are not underfitted
        int batch = Math.min(256, train.count());
        int stepsPerEpoch = (train.count() + batch - 1) / batch;
        int epochs = Math.max(minEpochs, (300 + stepsPerEpoch - 1) / stepsPerEpoch);
        TrainConfig tc = new TrainConfig(epochs, batch, OptimizerConfig.adam(1e-2).withWeightDecay(decay),
                new LrSchedule.Cosine(), Augmentation.NONE, seed, 0, List.of());
        NDManager m = manager.newSubManager();
        StagedNet net = Architecture.LINEAR.build(shape, train.numClasses(), ModelOptions.DEFAULT)
                .initialize(m, seed);
        try (TensorDataset data = TensorDataset.ofValues(train.values(), shape, train.labels(),
                train.numClasses(), m);
                TrainingLoop loop = new TrainingLoop(net, tc, m)) {
            loop.fit(data, null, 1, Double.NEGATIVE_INFINITY, (e, i) -> { });
        }
        return codes -> {
            int[] out = new int[codes.count()];
            ParameterStore ps = new ParameterStore(m, false);
            try (TensorDataset data = TensorDataset.ofValues(codes.values(), shape,
                    codes.labels(), codes.numClasses(), m)) {
                for (int from = 0; from < data.size(); from += 1024) {
                    int to = Math.min(data.size(), from + 1024);
                    try (NDManager step = m.newSubManager()) {
                        long[] pred = net.forward(ps, new NDList(data.range(from, to, step).x()),
                                false).head().argMax(1).toLongArray();
                        for (int i = 0; i < pred.length; i++) {
                            out[from + i] = (int) pred[i];
                        }
                    }
                }
            }
            return out;
        };
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
