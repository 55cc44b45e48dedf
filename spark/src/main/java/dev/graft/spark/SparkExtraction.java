package dev.graft.spark;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.ImageDataset;
import dev.graft.model.Pooling;
import dev.graft.transfer.Extraction;
import dev.graft.transfer.FeatureCodes;
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
 * {@code graft-spark extract}: the codes {@code graft extract} computes, over the train and test
 * splits, computed by Spark tasks and written as Parquet ({@code split}, {@code index},
 * {@code label}, {@code code}). Each task runs the library's own {@link Extraction#codes} on a
 * range of a split that starts at a multiple of the network's inference batch size, so every
 * batch is the one the single-machine extraction runs and the codes are the same numbers, bit
 * for bit. The checkpoint folder is shipped with the job ({@code addFile}); each executor JVM
 * loads it once (a cache keyed by the checkpoint's content hash) and resolves the dataset by
 * name as {@code graft extract} does (the bundled subsets are in the jar; other datasets must be
 * at the same place, or under {@code $GRAFT_DATA}, on every machine).
 */
public final class SparkExtraction {

    /** The Parquet rows' schema. */
    public static final StructType SCHEMA = new StructType()
            .add("split", DataTypes.StringType, false)
            .add("index", DataTypes.IntegerType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("code", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    /** The rows' schema of codes of image files (no dataset, no labels). */
    public static final StructType FILES_SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("code", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("error", DataTypes.StringType, true);

    /** What the job wrote beside the Parquet files (Spark skips files starting with '_'). */
    public static final String INFO = "_codes.json";

    /**
     * What one job did.
     *
     * @param rows codes written, train and test
     * @param tasks Spark tasks run (ranges of a split)
     * @param seconds wall time of the job, from submitting it to the finished folder
     */
    public record Result(
            @JsonProperty("rows") long rows,
            @JsonProperty("dim") int dim,
            @JsonProperty("tasks") int tasks,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("images_per_second") double imagesPerSecond,
            @JsonProperty("master") String master,
            @JsonProperty("out") String out) {}

    /** The extraction's settings, as the executors receive them. */
    record Job(Shipped checkpoint, String stage, String data, String classes,
            Integer shots, Pooling pooling, long seed) implements Serializable {
        Extraction.Config config(Path model) {
            return new Extraction.Config(model, stage, data, classes, shots, pooling, seed,
                    null);
        }
    }

    /** A range {@code [from, to)} of one split. */
    record Part(String split, int from, int to) implements Serializable {}

    private SparkExtraction() {}

    /**
     * Runs the extraction {@code c} on {@code spark} into the Parquet folder {@code out},
     * written under a temporary name and moved into place when complete.
     *
     * @param overwrite replace an existing {@code out}; without it an existing folder is an
     *     error and is left as it is
     */
    public static Result run(SparkSession spark, Extraction.Config c, Path out,
            boolean overwrite, Consumer<String> log) {
        ParquetFolder.checkFree(out, overwrite);
        long started = System.nanoTime();
        Path model = c.model().toAbsolutePath().normalize();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Job job = new Job(Shipped.ship(jsc, model), c.stage(), c.data(), c.classes(), c.shots(),
                c.pooling(), c.seed());
        List<Part> parts = new ArrayList<>();
        Extraction.Source source;
        FeatureCodes.Info info;
        long count = 0;
        // the driver opens the source as an executor does: embedded (local[*]), the executor
        // is this JVM and finds it opened
        source = Executors.source(job);
        log.accept("data: " + source.dataName() + ", " + source.train().size() + " train / "
                + source.test().size() + " test images");
        try (NDManager manager = NDManager.newBaseManager()) {
            int batch = source.loaded().net().inferenceBatchSize();
            int slots = Math.max(1, spark.sparkContext().defaultParallelism());
            for (String split : List.of("train", "test")) {
                int n = source.split(split).size();
                count += n;
                int batches = (n + batch - 1) / batch;
                int perPart = batch * Math.max(1, (batches + 2 * slots - 1) / (2 * slots));
                for (int from = 0; from < n; from += perPart) {
                    parts.add(new Part(split, from, Math.min(n, from + perPart)));
                }
            }
            // one image on the driver gives the codes' dimension
            int dim = Extraction.codes(source, source.train().select(new int[] {0}), manager)
                    .dim();
            info = new FeatureCodes.Info(1, c.model().toString(), source.stage(),
                    c.pooling(), dim, source.train().classNames(), List.of("train", "test"),
                    source.dataName() + (c.classes() == null ? "" : " classes " + c.classes())
                            + (c.shots() == null ? "" : ", " + c.shots() + " shots"));
        }
        log.accept(String.format("spark: %d tasks over %s (%d slots)", parts.size(),
                spark.sparkContext().master(), spark.sparkContext().defaultParallelism()));
        JavaRDD<Row> rows = jsc.parallelize(parts, parts.size()).flatMap(p -> codes(job, p));
        ParquetFolder.write(spark, rows, SCHEMA, out, INFO, info, log);
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(count, info.dim(), parts.size(), seconds, count / seconds,
                spark.sparkContext().master(), out.toString());
    }

    /** The settings of an extraction over image files, as the executors receive them. */
    record FilesJob(Shipped checkpoint, String stage, Pooling pooling, boolean strict)
            implements Serializable {}

    private static final Map<FilesJob, Extraction.Cut> CUTS = new ConcurrentHashMap<>();

    /**
     * The codes of every image under {@code folder} (any path Spark reads, through its
     * {@code binaryFile} source), each decoded and transformed inside its task by graft's
     * evaluation transform, as Parquet ({@code path}, {@code code}, {@code error}); a file
     * that does not decode is a row with its error, or fails the job when {@code strict}.
     */
    public static Result runFiles(SparkSession spark, Path model, String stage,
            Pooling pooling, String folder, boolean strict, Path out, boolean overwrite,
            Consumer<String> log) {
        ParquetFolder.checkFree(out, overwrite);
        long started = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        FilesJob job = new FilesJob(Shipped.ship(jsc, model), stage, pooling, strict);
        JavaRDD<Row> files = ImageChunks.files(spark, folder);
        JavaRDD<Row> rows = files.mapPartitions(it -> fileCodes(job, it));
        long n = ParquetFolder.write(spark, rows, FILES_SCHEMA, out, INFO, Map.of("model",
                model.toString(), "images", folder, "stage", stage == null ? "last" : stage),
                log);
        long failed = spark.read().parquet(out.toString()).filter("error IS NOT NULL").count();
        if (failed > 0) {
            log.accept(failed + " image(s) did not decode; their rows hold the error");
        }
        int dim = spark.read().parquet(out.toString()).filter("error IS NULL").select("code")
                .head().getList(0).size();
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(n, dim, files.getNumPartitions(), seconds, n / seconds,
                spark.sparkContext().master(), out.toString());
    }

    static Iterator<Row> fileCodes(FilesJob job, Iterator<Row> files) {
        Extraction.Cut cut = CUTS.computeIfAbsent(job, j -> Extraction.Cut.open(
                j.checkpoint().local(), j.stage(), j.pooling(), NDManager.newBaseManager()));
        List<Row> out = new ArrayList<>();
        ImageChunks.each(files, cut.transform(), job.strict(), (names, pixels) -> {
            FeatureCodes codes;
            try (NDManager m = NDManager.newBaseManager()) {
                codes = cut.codes(pixels, names.size(), m);
            }
            for (int i = 0; i < names.size(); i++) {
                float[] v = new float[codes.dim()];
                System.arraycopy(codes.values(), i * codes.dim(), v, 0, codes.dim());
                out.add(RowFactory.create(names.get(i), v, null));
            }
        }, (path, error) -> out.add(RowFactory.create(path, null, error)));
        return out.iterator();
    }

    /** The executor's side: one range of a split, through the cached source. */
    static Iterator<Row> codes(Job job, Part p) {
        Extraction.Source s = Executors.source(job);
        ImageDataset split = s.split(p.split());
        int[] idx = new int[p.to() - p.from()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = p.from() + i;
        }
        FeatureCodes codes;
        try (NDManager m = NDManager.newBaseManager()) {
            codes = Extraction.codes(s, split.select(idx), m);
        }
        List<Row> out = new ArrayList<>(idx.length);
        int dim = codes.dim();
        for (int i = 0; i < idx.length; i++) {
            float[] v = new float[dim];
            System.arraycopy(codes.values(), i * dim, v, 0, dim);
            out.add(RowFactory.create(p.split(), idx[i], codes.labels()[i], v));
        }
        return out.iterator();
    }

    /** One opened source per executor JVM and checkpoint content. */
    static final class Executors {
        private static final Map<Job, Extraction.Source> SOURCES = new ConcurrentHashMap<>();

        private Executors() {}

        static Extraction.Source source(Job job) {
            return SOURCES.computeIfAbsent(job, j -> {
                Path dir = j.checkpoint().local();
                // held for the executor's life: the cache is its point
                NDManager manager = NDManager.newBaseManager();
                return Extraction.open(j.config(dir), manager, line -> { });
            });
        }
    }
}
