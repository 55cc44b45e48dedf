package dev.graft.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.GraftException;
import dev.graft.model.Pooling;
import dev.graft.transfer.Extraction;
import dev.graft.transfer.FeatureCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spark's codes against graft extract's on the same checkpoint and images, local[2]. */
class SparkExtractionTest {

    static SparkSession spark;

    @TempDir
    static Path tmp;

    static Path model;

    @BeforeAll
    static void start() {
        spark = SparkMain.session("local[2]");
        model = tmp.resolve("model");
        Codes.checkpoint(model, 7);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Extraction.Config config(String stage) {
        return new Extraction.Config(model, stage, "fashion-mnist-small", "0-2", null,
                Pooling.AVERAGE, 42, null);
    }

    @Test
    void sparkCodesAreGraftsCodesBitForBit() throws Exception {
        Path single = tmp.resolve("single");
        Files.createDirectories(single);
        FeatureCodes.Info info = Extraction.run(config("stage2"), single, s -> { });
        Path out = tmp.resolve("codes.parquet");
        SparkExtraction.Result r = SparkExtraction.run(spark, config("stage2"), out, false,
                s -> { });
        assertTrue(r.tasks() > 2, "the splits are cut into several tasks: " + r.tasks());
        assertEquals(info.dim(), r.dim());
        long total = Codes.assertSame(spark, out, single, info);
        assertEquals(total, r.rows());
        assertTrue(Files.isRegularFile(out.resolve(SparkExtraction.INFO)));

        // an existing folder is refused and left whole; --overwrite replaces it
        long files = Files.list(out).count();
        GraftException e = assertThrows(GraftException.class, () -> SparkExtraction.run(spark,
                config("stage1"), out, false, s -> { }));
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals(files, Files.list(out).count());
        SparkExtraction.Result again = SparkExtraction.run(spark, config("stage1"), out, true,
                s -> { });
        assertTrue(again.dim() != r.dim() || again.rows() == r.rows());
        assertTrue(Files.list(tmp).noneMatch(p -> p.getFileName().toString().startsWith(
                ".codes.parquet")), "no temporary folder left behind");
    }
}
