package dev.graft.spark;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.transfer.FeatureCodes;
import dev.graft.transfer.LinearProbe;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.ElementwiseProduct;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.stat.Summarizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * {@code graft spark probe}: a linear probe on the codes {@code graft spark extract} wrote, with
 * graft's own solver on the driver ({@code graft}: the codes collected, then exactly what {@code
 * graft probe} computes) or with Spark MLlib's multinomial logistic regression across the
 * executors ({@code spark}), for codes that do not fit one machine.
 *
 * <p>Both minimize scikit-learn's objective on standardized codes, {@code ||W||^2 / 2 + C
 * sum_i CE_i} (the intercepts not penalized). MLlib minimizes {@code (1/n) sum_i CE_i +
 * regParam ||W||^2 / 2}: the same minimizer when {@code regParam = 1 / (C n)}, n the codes
 * fitted, on codes scaled as graft scales them ({@link LinearProbe#standardDeviations}, from
 * the training codes' variances aggregated by Spark; MLlib's own standardization, by the
 * sample standard deviation alone, is turned off). C is chosen
 * on a validation share of each class of the training codes, then the probe is refit on all
 * of them and scored on the test codes: graft's engine draws the share as {@code graft probe}
 * does, MLlib's with Spark's stratified {@code sampleBy}.
 */
public final class SparkProbe {

    /** Where the probe is fitted. */
    public enum Engine {
        GRAFT, SPARK;

        static Engine parse(String s) {
            for (Engine e : values()) {
                if (e.name().toLowerCase(Locale.ROOT).equals(s)) {
                    return e;
                }
            }
            throw new IllegalArgumentException("--engine " + s + ": graft (its own solver, on"
                    + " the driver) or spark (MLlib, on the executors)");
        }
    }

    /**
     * What a probe found: {@code graft probe}'s figures, whichever engine fitted it (MLlib's
     * objective is given on graft's scale, its value times n).
     */
    public record Result(
            @JsonProperty("engine") String engine,
            @JsonProperty("codes") String codes,
            @JsonUnwrapped LinearProbe.Result probe) {}

    private SparkProbe() {}

    /** Fits a softmax probe on the codes folder {@code codes} (any path Spark reads). */
    public static Result run(SparkSession spark, String codes, Engine engine,
            LinearProbe.Config cfg, Consumer<String> log) {
        Dataset<Row> all = spark.read().parquet(codes);
        if (!List.of(all.columns()).containsAll(List.of("split", "index", "label", "code"))) {
            throw new GraftException(codes + " holds columns " + List.of(all.columns())
                    + "; a probe needs split, index, label and code (the codes of a dataset,"
                    + " graft spark extract --data)");
        }
        FeatureCodes.Info info = info(spark, codes);
        Dataset<Row> train = all.filter("split = 'train'");
        Dataset<Row> test = all.filter("split = 'test'");
        log.accept(String.format(Locale.ROOT, "codes: %s (%s, stage %s, dim %d), %s engine",
                codes, info.data(), info.stage(), info.dim(), engine.name().toLowerCase(
                        Locale.ROOT)));
        return engine == Engine.GRAFT ? onDriver(train, test, info, cfg, codes)
                : mllib(train, test, info, cfg, codes, log);
    }

    /** What {@code graft spark extract} wrote beside the Parquet files. */
    static FeatureCodes.Info info(SparkSession spark, String codes) {
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(codes,
                SparkExtraction.INFO);
        try {
            FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(file)) {
                throw new GraftException(codes + " has no " + SparkExtraction.INFO + ": not a"
                        + " folder of codes from graft spark extract --data (codes of an"
                        + " --images folder carry no labels to probe)");
            }
            try (InputStream in = fs.open(file)) {
                FeatureCodes.Info info = Json.MAPPER.readValue(in, FeatureCodes.Info.class);
                if (info.classNames() == null || info.classNames().size() < 2) {
                    throw new GraftException(file + ": class_names needs two or more classes"
                            + " (codes of an --images folder carry no labels to probe)");
                }
                return info;
            }
        } catch (IOException e) {
            throw new GraftException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** graft's engine: the codes in index order on the driver, then graft probe's own fit. */
    private static Result onDriver(Dataset<Row> train, Dataset<Row> test,
            FeatureCodes.Info info, LinearProbe.Config cfg, String codes) {
        return new Result("graft", codes, LinearProbe.fit(collect(train, info), collect(test,
                info), cfg));
    }

    /** A split's codes in index order, as graft extract keeps them. */
    static FeatureCodes collect(Dataset<Row> split, FeatureCodes.Info info) {
        List<Row> rows = split.orderBy("index").select("label", "code").collectAsList();
        int dim = info.dim();
        float[] values = new float[rows.size() * dim];
        int[] labels = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            labels[i] = rows.get(i).getInt(0);
            List<Float> code = rows.get(i).getList(1);
            if (code.size() != dim) {
                throw new GraftException("a code of " + code.size() + " values where "
                        + SparkExtraction.INFO + " says " + dim);
            }
            for (int j = 0; j < dim; j++) {
                values[i * dim + j] = code.get(j);
            }
        }
        return new FeatureCodes(values, rows.size(), dim, labels, info.classNames());
    }

    /** MLlib's engine: C chosen on a stratified share, refit on every training code. */
    private static Result mllib(Dataset<Row> train, Dataset<Row> test, FeatureCodes.Info info,
            LinearProbe.Config cfg, String codes, Consumer<String> log) {
        long started = System.nanoTime();
        Dataset<Row> raw = vectors(train);
        Row stats = raw.select(Summarizer.metrics("variance", "count").summary(functions.col(
                "features")).as("s")).first().getStruct(0);
        long n = stats.getLong(stats.fieldIndex("count"));
        double[] variance = ((Vector) stats.get(stats.fieldIndex("variance"))).toArray();
        for (int j = 0; j < variance.length; j++) {
            variance[j] *= (n - 1) / (double) n; // the sample's variance: the population's
        }
        double[] std = LinearProbe.standardDeviations(variance, n);
        double[] inverse = new double[std.length];
        for (int j = 0; j < std.length; j++) {
            inverse[j] = 1 / std[j];
        }
        ElementwiseProduct scale = new ElementwiseProduct().setScalingVec(Vectors.dense(
                inverse)).setInputCol("features").setOutputCol("scaled");
        Dataset<Row> tr = scale.transform(raw).cache();
        Dataset<Row> te = scale.transform(vectors(test));
        Map<String, Double> byC = new LinkedHashMap<>();
        double best = cfg.grid()[0];
        if (cfg.grid().length > 1) {
            Map<Double, Double> keep = new HashMap<>();
            for (int k = 0; k < info.classNames().size(); k++) {
                keep.put((double) k, 1 - cfg.valFraction());
            }
            Dataset<Row> fit = tr.stat().sampleBy(functions.col("label"), keep, cfg.seed())
                    .cache();
            // the rest of each class validates (a fresh name: the sample is tr's own rows)
            Dataset<Row> val = tr.join(fit.select(functions.col("index").as("fitted")),
                    functions.col("index").equalTo(functions.col("fitted")), "left_anti");
            long m = fit.count();
            double bestAcc = -1;
            for (double c : cfg.grid()) {
                double acc = accuracy(fitAt(fit, c, m, cfg).transform(val));
                byC.put(Double.toString(c), acc);
                log.accept(String.format(Locale.ROOT, "  C = %g: validation accuracy %.2f%%", c,
                        100 * acc));
                if (acc > bestAcc) {
                    bestAcc = acc;
                    best = c;
                }
            }
            fit.unpersist();
        }
        LogisticRegressionModel model = fitAt(tr, best, n, cfg);
        double trainAcc = accuracy(model.transform(tr));
        double testAcc = accuracy(model.transform(te));
        double[] history = model.summary().objectiveHistory();
        tr.unpersist();
        return new Result("spark", codes, new LinearProbe.Result(cfg.classifier(), best, byC,
                trainAcc, testAcc, Math.toIntExact(n), info.dim(), (System.nanoTime() - started)
                        / 1e9, model.summary().totalIterations(), history.length == 0 ? null
                                : history[history.length - 1] * n));
    }

    /** The codes as MLlib's vectors, the labels as doubles. */
    private static Dataset<Row> vectors(Dataset<Row> split) {
        return split.select(functions.col("index"), functions.col("label").cast("double").as(
                "label"), org.apache.spark.ml.functions.array_to_vector(functions.col("code"))
                        .as("features"));
    }

    /** MLlib's multinomial logistic regression at scikit-learn's C on {@code n} codes. */
    private static LogisticRegressionModel fitAt(Dataset<Row> data, double c, long n,
            LinearProbe.Config cfg) {
        return new LogisticRegression().setFamily("multinomial").setElasticNetParam(0)
                .setFeaturesCol("scaled").setRegParam(1 / (c * n)).setStandardization(false)
                .setFitIntercept(true)
                .setMaxIter(cfg.maxIterations()).setTol(cfg.tolerance()).fit(data);
    }

    /** The share of rows predicted right, in one pass. */
    private static double accuracy(Dataset<Row> predicted) {
        Row r = predicted.agg(functions.avg(functions.when(functions.col("prediction").equalTo(
                functions.col("label")), 1.0).otherwise(0.0))).first();
        return r.isNullAt(0) ? Double.NaN : r.getDouble(0);
    }
}
