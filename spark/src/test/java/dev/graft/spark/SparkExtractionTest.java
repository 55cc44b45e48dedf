package dev.graft.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.transfer.Extraction;
import dev.graft.transfer.FeatureCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
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
        try (NDManager m = NDManager.newBaseManager()) {
            ImageDataset train = new DatasetResolver().resolve("fashion-mnist-small", s -> { })
                    .train();
            StagedNet net = Architecture.CONVNET.build(train.imageShape(), 10,
                    ModelOptions.DEFAULT).initialize(m, 7);
            Checkpoint.save(model, net, new ModelSpec(ModelSpec.FORMAT_VERSION, "convnet",
                    ModelOptions.DEFAULT, train.imageShape(), 10, train.classNames(),
                    Normalization.fit(train), net.stageNames(), Checkpoint.parameterShapes(net),
                    null), null);
        }
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
        Map<String, float[]> byRow = new HashMap<>();
        for (Row row : spark.read().parquet(out.toString()).collectAsList()) {
            List<Float> code = row.getList(3);
            float[] v = new float[code.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = code.get(i);
            }
            byRow.put(row.getString(0) + row.getInt(1) + ":" + row.getInt(2), v);
        }
        long total = 0;
        for (String split : List.of("train", "test")) {
            FeatureCodes want = FeatureCodes.load(single.resolve(split + ".safetensors"),
                    info.classNames());
            total += want.count();
            for (int i = 0; i < want.count(); i++) {
                float[] row = new float[want.dim()];
                System.arraycopy(want.values(), i * want.dim(), row, 0, want.dim());
                float[] got = byRow.get(split + i + ":" + want.labels()[i]);
                assertArrayEquals(row, got, 0f, split + " " + i);
            }
        }
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
