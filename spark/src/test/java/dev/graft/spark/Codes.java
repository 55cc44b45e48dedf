package dev.graft.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.transfer.FeatureCodes;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** What the Spark tests share: a checkpoint to extract with, and the codes compared. */
final class Codes {

    private Codes() {}

    /** A convnet on the bundled Fashion-MNIST's shape, its initial weights from {@code seed}. */
    static void checkpoint(Path dir, long seed) {
        try (NDManager m = NDManager.newBaseManager()) {
            ImageDataset train = new DatasetResolver().resolve("fashion-mnist-small", s -> { })
                    .train();
            StagedNet net = Architecture.CONVNET.build(train.imageShape(), 10,
                    ModelOptions.DEFAULT).initialize(m, seed);
            Checkpoint.save(dir, net, new ModelSpec(ModelSpec.FORMAT_VERSION, "convnet",
                    ModelOptions.DEFAULT, train.imageShape(), 10, train.classNames(),
                    Normalization.fit(train), net.stageNames(), Checkpoint.parameterShapes(net),
                    null), null);
        }
    }

    /**
     * Asserts that the Parquet folder {@code parquet} holds the codes graft extract wrote into
     * {@code single}, bit for bit, with their labels.
     *
     * @return how many codes it holds
     */
    static long assertSame(SparkSession spark, Path parquet, Path single,
            FeatureCodes.Info info) {
        Map<String, float[]> byRow = new HashMap<>();
        for (Row row : spark.read().parquet(parquet.toString()).collectAsList()) {
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
                assertArrayEquals(row, byRow.get(split + i + ":" + want.labels()[i]), 0f,
                        split + " " + i);
            }
        }
        assertEquals(total, byRow.size());
        return total;
    }
}
