package dev.graft.spark;

import com.fasterxml.jackson.databind.SerializationFeature;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.Pooling;
import dev.graft.transfer.Extraction;
import dev.graft.transfer.LinearProbe;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code graft-spark}: graft's data-parallel jobs on Apache Spark. */
@Command(name = "graft-spark", mixinStandardHelpOptions = true,
        description = {"graft's data-parallel jobs on Apache Spark: the same library functions",
            "the graft commands call, one model per executor, the same numbers.", "",
            "--master local[*] (the default) runs Spark embedded in this JVM, nothing to",
            "install; spark://HOST:7077 a standalone cluster; or give this jar and its lib/",
            "to spark-submit with --class dev.graft.spark.SparkMain."},
        subcommands = {SparkMain.Extract.class, SparkMain.Probe.class, SparkMain.Predict.class,
            SparkMain.Transfer.class})
public final class SparkMain implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new SparkMain());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("graft-spark " + cmd.getCommandName() + ": error: "
                    + e.getMessage());
            return e instanceof GraftException || e instanceof IllegalArgumentException ? 2 : 1;
        });
        System.exit(cli.execute(args));
    }

    /** A session on {@code master}, bound to the loopback address when it is local. */
    static SparkSession session(String master) {
        SparkSession.Builder b = SparkSession.builder().appName("graft").master(master)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4");
        if (master.startsWith("local")) {
            b.config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1");
        }
        return b.getOrCreate();
    }

    @Command(name = "extract", mixinStandardHelpOptions = true,
            description = {"graft extract on Spark: a checkpoint's codes at a stage over the",
                "train and test splits, as Parquet (split, index, label, code) that graft spark",
                "probe (graft's solver or MLlib's) and any Parquet reader take; the same codes as",
                "graft extract, bit for bit."},
            footer = {"", "Example:", "  graft spark extract --model runs/src/model --data"
                + " fashion-mnist --out runs/codes.parquet"})
    static final class Extract implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Job job;

        @Option(names = "--stage", description = "Stage to cut at (default: the last).")
        String stage;

        @Option(names = "--data", description = "Dataset name or IDX folder (default: the"
                + " model's); every executor resolves it as graft does.")
        String data;

        @Option(names = "--images", paramLabel = "DIR", description = "Instead of --data: every"
                + " image under a folder (any path Spark reads), through Spark's binaryFile"
                + " source; Parquet (path, code, error).")
        String images;

        @Option(names = "--strict", description = "With --images: fail on an image that does"
                + " not decode.")
        boolean strict;

        @Option(names = "--classes", description = "Classes, relabelled 0..k-1 (e.g. 5-9).")
        String classes;

        @Option(names = "--pooling", defaultValue = "avg", description = "avg, flatten or"
                + " none (default: ${DEFAULT-VALUE}).")
        String pooling;

        @Override
        public Integer call() throws Exception {
            Pooling p = Pooling.parse(pooling);
            if (images != null && (data != null || classes != null)) {
                throw new IllegalArgumentException("--images reads files without labels; it"
                        + " takes no --data or --classes");
            }
            try (SparkSession spark = session(job.master)) {
                SparkExtraction.Result r = images != null ? SparkExtraction.runFiles(spark,
                        job.model, stage, p, images, strict, job.out, job.overwrite,
                        System.err::println) : SparkExtraction.run(spark, new Extraction.Config(
                        job.model, stage, data, classes, null, p, 42, null), job.out,
                        job.overwrite, System.err::println);
                job.print(r, String.format(Locale.ROOT, "%,d codes of dimension %d in %d"
                        + " tasks on %s: %.1f s, %,.0f images/s; written to %s", r.rows(),
                        r.dim(), r.tasks(), r.master(), r.seconds(), r.imagesPerSecond(),
                        r.out()));
            }
            return 0;
        }
    }

    @Command(name = "probe", mixinStandardHelpOptions = true,
            description = {"graft probe on the Parquet codes graft spark extract wrote: softmax",
                "regression (scikit-learn's objective on standardized codes, C chosen on a",
                "validation share of each class, refit on all, scored on the test codes).",
                "  --engine graft  graft's own L-BFGS on the driver: the codes are collected,",
                "                  the figures are graft probe's on graft extract's codes",
                "  --engine spark  Spark MLlib's multinomial LogisticRegression on the",
                "                  executors, for codes that do not fit one machine:",
                "                  regParam = 1 / (C n), n the codes fitted, standardization on",
                "                  (by the sample std; graft uses the population's)"},
            footer = {"", "Example:", "  graft spark extract --model runs/src/model --out"
                + " runs/codes.parquet",
                "  graft spark probe --codes runs/codes.parquet --engine spark --c 0.1"})
    static final class Probe implements Callable<Integer> {
        @Option(names = "--codes", required = true, paramLabel = "DIR", description = "A Parquet"
                + " folder from graft spark extract --data (any path Spark reads).")
        String codes;

        @Option(names = "--engine", defaultValue = "graft", description = "graft or spark"
                + " (default: ${DEFAULT-VALUE}).")
        String engine;

        @Option(names = "--c", split = ",", paramLabel = "C", description = "Regularization"
                + " strengths to try, larger = weaker; a single value is used as is"
                + " (default: 0.001,0.01,0.1,1,10).")
        double[] grid;

        @Option(names = "--val-fraction", defaultValue = "0.2", description = "Share of each"
                + " class used to choose C (default: ${DEFAULT-VALUE}).")
        double valFraction;

        @Option(names = "--max-iter", defaultValue = "1000", description = "The most L-BFGS"
                + " iterations (default: ${DEFAULT-VALUE}).")
        int maxIterations;

        @Option(names = "--tol", defaultValue = "1e-4", description = "Convergence tolerance:"
                + " graft's on the gradient, as scikit-learn's; MLlib's on the objective's"
                + " relative change (default: ${DEFAULT-VALUE}).")
        double tolerance;

        @Option(names = "--seed", defaultValue = "42", description = "Seeds the validation"
                + " share (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--master", defaultValue = "local[*]", description = "Spark master"
                + " (default: ${DEFAULT-VALUE}, embedded).")
        String master;

        @Option(names = "--json", description = "Print the result as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            SparkProbe.Engine e = SparkProbe.Engine.parse(engine);
            LinearProbe.Config d = LinearProbe.Config
                    .defaults(LinearProbe.Classifier.SOFTMAX, seed);
            LinearProbe.Config cfg = new LinearProbe
                    .Config(d.classifier(), grid == null ? d.grid() : grid, valFraction, seed,
                            maxIterations, tolerance);
            try (SparkSession spark = session(master)) {
                SparkProbe.Result found = SparkProbe.run(spark, codes, e, cfg,
                        System.err::println);
                LinearProbe.Result r = found.probe();
                String text = String.format(Locale.ROOT, "softmax probe (%s engine) on %,d codes"
                        + " of dimension %d: test accuracy %.2f%%, C = %s, fitted in %.1f s%s",
                        found.engine(), r.trainExamples(), r.dim(), 100 * r.testAccuracy(),
                        r.c(), r.fitSeconds(), r.iterations() == null ? "" : String.format(
                                Locale.ROOT, " (%d L-BFGS iterations, objective %.4f)",
                                r.iterations(), r.objective()));
                System.out.println(json ? Json.MAPPER.copy().enable(
                        SerializationFeature.INDENT_OUTPUT).writeValueAsString(found) : text);
            }
            return 0;
        }
    }

    @Command(name = "transfer", mixinStandardHelpOptions = true,
            description = {"The cells of a graft transfer grid as Spark tasks, one cell per task;",
                "the same resumable cell files, table and report as the single-machine run.",
                "Plan the grid with graft transfer's own options, then run it here:"},
            footer = {"", "Example:",
                "  graft transfer --model runs/src/model --classes 5-9 --shots 10,100 --seeds 3"
                    + " --out runs/grid --plan",
                "  graft spark transfer --out runs/grid --master spark://host:7077"})
    static final class Transfer implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "The run"
                + " folder graft transfer --plan wrote (or a single-machine run to finish).")
        Path out;

        @Option(names = "--master", defaultValue = "local[*]", description = "Spark master"
                + " (default: ${DEFAULT-VALUE}, embedded; cells train one at a time per JVM).")
        String master;

        @Option(names = "--json", description = "Print the result as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (SparkSession spark = session(master)) {
                dev.graft.transfer.Comparison.Result r = SparkGrid.run(spark, out,
                        System.err::println);
                System.out.println(json ? Json.MAPPER.copy().enable(
                        SerializationFeature.INDENT_OUTPUT).writeValueAsString(r)
                        : dev.graft.transfer.ComparisonReport.text(r) + "report: "
                                + out.resolve(dev.graft.report.Report.FILE));
            }
            return 0;
        }
    }

    @Command(name = "predict", mixinStandardHelpOptions = true,
            description = {"graft predict on Spark: the top classes of every image under a folder",
                "tree (Spark's binaryFile source; graft's evaluation transform), as Parquet",
                "(path, classes, probabilities, error). An image that does not decode is",
                "reported with its path and the job goes on, unless --strict."},
            footer = {"", "Example:", "  graft spark predict --model runs/src/model --images"
                + " photos/ --top 3 --out runs/predictions.parquet"})
    static final class Predict implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Job job;

        @Option(names = "--images", required = true, paramLabel = "DIR", description = "A folder"
                + " of images, read recursively (any path Spark reads: file:, hdfs:, s3a:).")
        String images;

        @Option(names = "--top", defaultValue = "5", description = "Classes per image"
                + " (default: ${DEFAULT-VALUE}).")
        int top;

        @Option(names = "--strict", description = "Fail on an image that does not decode.")
        boolean strict;

        @Override
        public Integer call() throws Exception {
            try (SparkSession spark = session(job.master)) {
                SparkPrediction.Result r = SparkPrediction.run(spark, job.model, images, top,
                        strict, job.out, job.overwrite, System.err::println);
                job.print(r, String.format(Locale.ROOT, "%,d images (%,d not decoded) on %s:"
                        + " %.1f s; written to %s", r.images(), r.failed(), r.master(),
                        r.seconds(), r.out()));
            }
            return 0;
        }
    }

    /** What the jobs that read a checkpoint and write a Parquet folder share. */
    static final class Job {
        @Option(names = "--model", required = true, paramLabel = "CKPT",
                description = "Checkpoint folder (shipped to the executors with the job).")
        Path model;

        @Option(names = "--master", defaultValue = "local[*]", description = "Spark master"
                + " (default: ${DEFAULT-VALUE}, embedded).")
        String master;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "The"
                + " Parquet folder to write; refused if it exists, unless --overwrite.")
        Path out;

        @Option(names = "--overwrite", description = "Replace --out if it exists.")
        boolean overwrite;

        @Option(names = "--json", description = "Print the result as JSON.")
        boolean json;

        void print(Object result, String text) throws java.io.IOException {
            System.out.println(json ? Json.MAPPER.copy().enable(
                    SerializationFeature.INDENT_OUTPUT).writeValueAsString(result) : text);
        }
    }
}
