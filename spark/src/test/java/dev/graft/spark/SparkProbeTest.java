package dev.graft.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.GraftException;
import dev.graft.model.Pooling;
import dev.graft.transfer.Extraction;
import dev.graft.transfer.FeatureCodes;
import dev.graft.transfer.LinearProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * graft spark probe on Spark's codes: graft's engine gives graft probe's figures on graft
 * extract's codes, to the digit; MLlib's reaches the same objective at the same C.
 */
class SparkProbeTest {

    static SparkSession spark;

    @TempDir
    static Path tmp;

    static Path parquet;
    static FeatureCodes train;
    static FeatureCodes test;

    @BeforeAll
    static void start() {
        spark = SparkMain.session("local[2]");
        Path model = tmp.resolve("model");
        Codes.checkpoint(model, 7);
        Extraction.Config c = new Extraction.Config(model, "stage2", "fashion-mnist-small",
                "0-2", null, Pooling.AVERAGE, 42, null);
        Path single = tmp.resolve("single");
        try {
            Files.createDirectories(single);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        FeatureCodes.Info info = Extraction.run(c, single, s -> { });
        train = FeatureCodes.load(single.resolve("train.safetensors"), info.classNames());
        test = FeatureCodes.load(single.resolve("test.safetensors"), info.classNames());
        parquet = tmp.resolve("codes.parquet");
        SparkExtraction.run(spark, c, parquet, false, s -> { });
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static LinearProbe.Config config(double... grid) {
        return LinearProbe.Config.defaults(LinearProbe.Classifier.SOFTMAX, 42).withGrid(grid);
    }

    @Test
    void graftsEngineGivesGraftProbesFigures() {
        LinearProbe.Config cfg = config(0.01, 1);
        LinearProbe.Result want = LinearProbe.fit(train, test, cfg);
        SparkProbe.Result got = SparkProbe.run(spark, parquet.toString(), SparkProbe.Engine.GRAFT,
                cfg, s -> { });
        assertEquals(want.c(), got.probe().c());
        assertEquals(want.validationByC(), got.probe().validationByC());
        assertEquals(want.testAccuracy(), got.probe().testAccuracy());
        assertEquals(want.trainAccuracy(), got.probe().trainAccuracy());
        assertEquals(want.objective(), got.probe().objective());
        assertEquals(train.count(), got.probe().trainExamples());
    }

    /**
     * At one C, MLlib with regParam = 1 / (C n) minimizes the objective graft's solver does:
     * the minima agree to a fraction of a percent, and so do the accuracies.
     */
    @Test
    void mllibReachesTheSameMinimumAtTheSameC() {
        LinearProbe.Config cfg = new LinearProbe.Config(LinearProbe.Classifier.SOFTMAX,
                new double[] {0.1}, 0.2, 42, 1000, 1e-6);
        LinearProbe.Result want = LinearProbe.fit(train, test, cfg);
        SparkProbe.Result got = SparkProbe.run(spark, parquet.toString(), SparkProbe.Engine.SPARK,
                cfg, s -> { });
        assertEquals("spark", got.engine());
        assertEquals(want.objective(), got.probe().objective(), 0.005 * want.objective(),
                "objective at C = 0.1");
        assertEquals(want.testAccuracy(), got.probe().testAccuracy(), 0.01);
        assertEquals(want.trainAccuracy(), got.probe().trainAccuracy(), 0.01);

        SparkProbe.Result grid = SparkProbe.run(spark, parquet.toString(),
                SparkProbe.Engine.SPARK, config(0.001, 1), s -> { });
        assertEquals(2, grid.probe().validationByC().size(), "" + grid.probe().validationByC());
        assertTrue(grid.probe().testAccuracy() > 1 / 3.0, "above chance on three classes: " + grid);
    }

    @Test
    void codesWithoutLabelsAreRefused() throws Exception {
        Path files = tmp.resolve("files.parquet");
        spark.createDataFrame(java.util.List.of(org.apache.spark.sql.RowFactory.create("a.png",
                new float[] {1f}, null)), SparkExtraction.FILES_SCHEMA).write().parquet(
                        files.toString());
        GraftException e = assertThrows(GraftException.class, () -> SparkProbe.run(spark,
                files.toString(), SparkProbe.Engine.GRAFT, config(1), s -> { }));
        assertTrue(e.getMessage().contains("a probe needs split, index, label and code"),
                e.getMessage());
        Files.delete(parquet.resolve(SparkExtraction.INFO));
        try {
            GraftException info = assertThrows(GraftException.class, () -> SparkProbe.run(spark,
                    parquet.toString(), SparkProbe.Engine.GRAFT, config(1), s -> { }));
            assertTrue(info.getMessage().contains("has no _codes.json"), info.getMessage());
        } finally {
            dev.graft.io.Json.write(parquet.resolve(SparkExtraction.INFO), new FeatureCodes.Info(
                    1, "m", "stage2", Pooling.AVERAGE, train.dim(), train.classNames(),
                    java.util.List.of("train", "test"), "fashion-mnist-small"));
        }
    }
}
