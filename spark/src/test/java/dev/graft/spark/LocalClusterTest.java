package dev.graft.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.model.ModelOptions;
import dev.graft.model.Pooling;
import dev.graft.transfer.Extraction;
import dev.graft.transfer.FeatureCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two executor JVMs ({@code local-cluster[2,1,1024]}, run from the Maven jars: SPARK_HOME,
 * set by the build, is a folder with an empty {@code jars/}, the executors get this JVM's class
 * path): the tasks run on
 * both, and the codes are still graft extract's, bit for bit.
 */
class LocalClusterTest {

    @TempDir
    Path tmp;

    @Test
    void twoExecutorJvmsGiveTheSameCodes() throws Exception {
        Path model = tmp.resolve("model");
        Codes.checkpoint(model, 3);
        Extraction.Config c = new Extraction.Config(model, null, "fashion-mnist-small", "3-5",
                null, Pooling.AVERAGE, 42, null);
        Path single = tmp.resolve("single");
        Files.createDirectories(single);
        FeatureCodes.Info info = Extraction.run(c, single, s -> { });

        Set<String> executors = ConcurrentHashMap.newKeySet();
        try (SparkSession spark = cluster(executors)) {
            Path out = tmp.resolve("codes.parquet");
            SparkExtraction.Result r = SparkExtraction.run(spark, c, out, false, s -> { });
            assertEquals(info.dim(), r.dim());
            Codes.assertSame(spark, out, single, info);
        }
        assertEquals(2, executors.size(), "tasks ran on both executor JVMs: " + executors);
        assertTrue(!executors.contains("driver"));
    }

    /** Whether {@code p} is a Spark executor JVM (its command line read from /proc). */
    static boolean executor(ProcessHandle p) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"))
                    .contains("CoarseGrainedExecutorBackend");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Two executor JVMs, each of one core; {@code executors} collects where tasks ran. */
    static SparkSession cluster(Set<String> executors) throws java.io.IOException {
        Path home = Path.of(System.getenv("SPARK_HOME"));
        Files.createDirectories(home.resolve("jars"));
        String options = String.join(" ", Files.readAllLines(Path.of("jvm.options")))
                + " -Dai.djl.offline=true";
        SparkSession spark = SparkSession.builder().appName("graft-test")
                .master("local-cluster[2,1,1024]")
                .config("spark.home", home.toString())
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", options)
                .config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
                // the engine threads of this JVM (one per core): on some processors oneDNN
                // picks its kernels by thread count (an Intel Xeon's codes differ in the 8th
                // digit between 1 and 2 threads), and Spark would give each executor
                // OMP_NUM_THREADS = spark.task.cpus = 1
                .config("spark.executorEnv.OMP_NUM_THREADS",
                        Integer.toString(Runtime.getRuntime().availableProcessors()))
                .getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                executors.add(end.taskInfo().executorId());
            }
        });
        return spark;
    }

    /**
     * A transfer grid over the two executors: the single-machine run's table. The accuracies
     * are the same; the training losses agree to about 1e-7, not to the bit: an executor JVM's
     * engine may still sum in another order than this JVM's.
     */
    @Test
    void aGridOverTwoExecutorsGivesTheSingleMachineTable() throws Exception {
        dev.graft.train.Pretrain.Result src = new dev.graft.train.Pretrain(s -> { }).run(
                new dev.graft.train.Pretrain.Config("fashion-mnist-small", "0-4", null, 0.1,
                        "mlp", ModelOptions.DEFAULT, SparkGridTest.train(1)), tmp.resolve("src"),
                false);
        dev.graft.transfer.Comparison.Config c = new dev.graft.transfer.Comparison.Config(
                Path.of(src.checkpoint()), "fashion-mnist-small", "5-9", List.of(
                        dev.graft.transfer.Strategy.SCRATCH, dev.graft.transfer.Strategy.FULL),
                List.of(4, 8), 1, 3, true, SparkGridTest.train(2));
        dev.graft.transfer.Comparison.Result single = new dev.graft.transfer.Comparison(
                s -> { }).run(c, tmp.resolve("single-grid"));
        Path grid = tmp.resolve("grid");
        dev.graft.transfer.Comparison.unfinished(c, grid);
        Set<String> executors = ConcurrentHashMap.newKeySet();
        dev.graft.transfer.Comparison.Result onSpark;
        try (SparkSession spark = cluster(executors)) {
            onSpark = SparkGrid.run(spark, grid, s -> { });
        }
        assertEquals(single.cells().size(), onSpark.resumedCells());
        for (dev.graft.transfer.Comparison.Cell want : single.cells()) {
            dev.graft.transfer.Comparison.Cell got = onSpark.cells().stream().filter(x -> x.id()
                    .equals(want.id())).findFirst().orElseThrow();
            assertEquals(want.testAccuracy(), got.testAccuracy(), 0.0, want.id());
            for (int e = 0; e < want.trainLoss().size(); e++) {
                assertEquals(want.trainLoss().get(e), got.trainLoss().get(e), 1e-5, want.id());
            }
        }
        assertEquals(2, executors.size(), "cells trained on both executors: " + executors);
    }

    /**
     * An executor JVM killed while the job runs: Spark runs its tasks again elsewhere, and the
     * folder holds every code, graft extract's, bit for bit.
     */
    @Test
    void anExecutorKilledMidJobLeavesTheCodesComplete() throws Exception {
        Path model = tmp.resolve("model");
        Codes.checkpoint(model, 5);
        Extraction.Config c = new Extraction.Config(model, null, "fashion-mnist-small", null,
                null, Pooling.AVERAGE, 42, null);
        Path single = tmp.resolve("single");
        Files.createDirectories(single);
        FeatureCodes.Info info = Extraction.run(c, single, s -> { });
        Set<String> executors = ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean killed =
                new java.util.concurrent.atomic.AtomicBoolean();
        Set<String> removed = ConcurrentHashMap.newKeySet();
        try (SparkSession spark = cluster(executors)) {
            spark.sparkContext().addSparkListener(new SparkListener() {
                @Override
                public void onTaskEnd(SparkListenerTaskEnd end) {
                    // after the first finished task, one executor JVM dies at once
                    if (killed.compareAndSet(false, true)) {
                        ProcessHandle.current().descendants().filter(LocalClusterTest::executor)
                                .findFirst().ifPresent(ProcessHandle::destroyForcibly);
                    }
                }

                @Override
                public void onExecutorRemoved(
                        org.apache.spark.scheduler.SparkListenerExecutorRemoved e) {
                    removed.add(e.executorId());
                }
            });
            Path out = tmp.resolve("codes.parquet");
            SparkExtraction.Result r = SparkExtraction.run(spark, c, out, false, s -> { });
            assertEquals(r.rows(), Codes.assertSame(spark, out, single, info));
            // (listener events arrive asynchronously; the loss was seen before the lost task
            // ran again, long before this)
            assertEquals(1, removed.size(), "one executor was lost mid-job: " + removed);
        }
    }
}
