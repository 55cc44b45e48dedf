package dev.graft.spark;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.zoo.Prediction;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code graft spark predict}: the top classes {@code graft predict} gives, for every image under
 * a folder tree, as Parquet ({@code path}, {@code classes}, {@code probabilities}, {@code error}).
 * Spark's {@code binaryFile} source reads the files; each task decodes and transforms them with
 * graft's own evaluation transform and runs the library's {@link Prediction.Predictor} (one per
 * executor JVM). An image that does not decode is a row with its error and no classes, counted
 * in the result; {@code --strict} fails the job on it instead.
 */
public final class SparkPrediction {

    public static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("classes", DataTypes.createArrayType(DataTypes.StringType, false), false)
            .add("probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("error", DataTypes.StringType, true);

    public static final String INFO = "_predictions.json";

    /**
     * @param failed images that did not decode (their rows carry the error)
     * @param failures the first of them, path and error
     */
    public record Result(
            @JsonProperty("images") long images,
            @JsonProperty("failed") long failed,
            @JsonProperty("failures") List<String> failures,
            @JsonProperty("top") int top,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("master") String master,
            @JsonProperty("out") String out) {}

    record Job(Shipped checkpoint, int top, boolean strict) implements Serializable {}

    private static final Map<Job, Prediction.Predictor> PREDICTORS = new ConcurrentHashMap<>();

    private SparkPrediction() {}

    public static Result run(SparkSession spark, Path model, String folder, int top,
            boolean strict, Path out, boolean overwrite, Consumer<String> log) {
        ParquetFolder.checkFree(out, overwrite);
        if (top < 1) {
            throw new IllegalArgumentException("--top must be at least 1, got " + top);
        }
        long started = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Job job = new Job(Shipped.ship(jsc, model), top, strict);
        JavaRDD<Row> files = ImageChunks.files(spark, folder);
        JavaRDD<Row> rows = files.mapPartitions(it -> predict(job, it));
        long n = ParquetFolder.write(spark, rows, SCHEMA, out, INFO, Map.of("model",
                model.toString(), "images", folder, "top", top), log);
        List<Row> bad = spark.read().parquet(out.toString()).filter("error IS NOT NULL")
                .select("path", "error").limit(20).collectAsList();
        long failed = bad.isEmpty() ? 0 : spark.read().parquet(out.toString())
                .filter("error IS NOT NULL").count();
        List<String> failures = bad.stream().map(r -> r.getString(0) + ": " + r.getString(1))
                .toList();
        failures.forEach(f -> log.accept("not decoded: " + f));
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(n, failed, failures, top, seconds, spark.sparkContext().master(),
                out.toString());
    }

    /** The executor's side: one partition's files, decoded, batched and predicted. */
    static Iterator<Row> predict(Job job, Iterator<Row> files) {
        Prediction.Predictor p = PREDICTORS.computeIfAbsent(job, j -> Prediction.Predictor.open(
                j.checkpoint().local(), j.top()));
        List<Row> out = new ArrayList<>();
        ImageChunks.each(files, p.transform(), job.strict(), (names, pixels) -> {
            for (Prediction.Result r : p.predict(names, pixels)) {
                String[] classes = new String[r.top().size()];
                float[] probs = new float[classes.length];
                for (int i = 0; i < classes.length; i++) {
                    classes[i] = r.top().get(i).className();
                    probs[i] = (float) r.top().get(i).probability();
                }
                out.add(RowFactory.create(r.image(), classes, probs, null));
            }
        }, (path, error) -> out.add(RowFactory.create(path, new String[0], new float[0],
                error)));
        return out.iterator();
    }
}
