package dev.graft.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.zoo.Prediction;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spark's predictions over a folder of image files against graft predict's on the same files. */
class SparkPredictionTest {

    @TempDir
    Path tmp;

    @Test
    void aFolderTreeGetsGraftPredictsClassesAndItsBadFileIsReported() throws Exception {
        Path model = tmp.resolve("model");
        Codes.checkpoint(model, 11);
        List<Path> files = images();
        Path bad = tmp.resolve("images").resolve("odd").resolve("broken.png");
        Map<Path, Prediction.Result> want = new HashMap<>();
        for (Prediction.Result r : Prediction.run(model, files, 3)) {
            want.put(Path.of(r.image()), r);
        }
        try (SparkSession spark = SparkMain.session("local[2]")) {
            Path out = tmp.resolve("predictions.parquet");
            SparkPrediction.Result r = SparkPrediction.run(spark, model, tmp.resolve("images")
                    .toString(), 3, false, out, false, s -> { });
            assertEquals(41, r.images());
            assertEquals(1, r.failed());
            assertTrue(r.failures().get(0).contains("broken.png"), r.failures().toString());
            int seen = 0;
            for (Row row : spark.read().parquet(out.toString()).collectAsList()) {
                Path p = Path.of(URI.create(row.getString(0)));
                if (p.equals(bad)) {
                    assertTrue(row.getString(3).contains("not an image"), row.getString(3));
                    continue;
                }
                Prediction.Result w = want.get(p);
                List<String> classes = row.getList(1);
                List<Float> probs = row.getList(2);
                assertEquals(w.top().stream().map(Prediction.Guess::className).toList(),
                        classes, p.toString());
                float[] got = new float[probs.size()];
                float[] exp = new float[probs.size()];
                for (int i = 0; i < got.length; i++) {
                    got[i] = probs.get(i);
                    exp[i] = (float) w.top().get(i).probability();
                }
                assertArrayEquals(exp, got, 1e-6f, p.toString());
                seen++;
            }
            assertEquals(40, seen);

            Path strictOut = tmp.resolve("strict.parquet");
            Exception e = assertThrows(Exception.class, () -> SparkPrediction.run(spark, model,
                    tmp.resolve("images").toString(), 3, true, strictOut, false, s -> { }));
            assertTrue(String.valueOf(e.getMessage()).contains("broken.png"), e.getMessage());
            assertFalse(Files.exists(strictOut), "nothing written under the final name");
        }
    }
    /** Forty test images of the bundled Fashion-MNIST as PNGs in two folders, and a broken file. */
    List<Path> images() throws java.io.IOException {
        ImageDataset test = new DatasetResolver().resolve("fashion-mnist-small", s -> { }).test();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int v = test.pixel(i * 28 * 28 + y * 28 + x) & 0xff;
                    img.getRaster().setSample(x, y, 0, v);
                }
            }
            Path f = tmp.resolve("images").resolve(i % 2 == 0 ? "even" : "odd").resolve(i
                    + ".png");
            Files.createDirectories(f.getParent());
            ImageIO.write(img, "png", f.toFile());
            files.add(f);
        }
        Files.write(tmp.resolve("images").resolve("odd").resolve("broken.png"),
                new byte[] {1, 2, 3, 4, 5});
        return files;
    }

    /** The codes of the same files, decoded in the tasks: the library's, image by image. */
    @Test
    void codesOfImageFilesAreTheLibrarysCodes() throws Exception {
        Path model = tmp.resolve("model");
        Codes.checkpoint(model, 13);
        List<Path> files = images();
        Map<Path, float[]> want = new HashMap<>();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            dev.graft.transfer.Extraction.Cut cut = dev.graft.transfer.Extraction.Cut.open(model,
                    "stage2", dev.graft.model.Pooling.AVERAGE, m);
            dev.graft.transfer.FeatureCodes codes = cut.codes(cut.transform().readAll(files),
                    files.size(), m);
            for (int i = 0; i < files.size(); i++) {
                float[] v = new float[codes.dim()];
                System.arraycopy(codes.values(), i * codes.dim(), v, 0, codes.dim());
                want.put(files.get(i), v);
            }
        }
        try (SparkSession spark = SparkMain.session("local[2]")) {
            Path out = tmp.resolve("codes.parquet");
            SparkExtraction.Result r = SparkExtraction.runFiles(spark, model, "stage2",
                    dev.graft.model.Pooling.AVERAGE, tmp.resolve("images").toString(), false,
                    out, false, s -> { });
            assertEquals(41, r.rows());
            int seen = 0;
            for (Row row : spark.read().parquet(out.toString()).collectAsList()) {
                Path p = Path.of(URI.create(row.getString(0)));
                if (row.isNullAt(1)) {
                    assertTrue(p.endsWith("broken.png") && row.getString(2).contains(
                            "not an image"), p + ": " + row.getString(2));
                    continue;
                }
                List<Float> code = row.getList(1);
                float[] got = new float[code.size()];
                for (int i = 0; i < got.length; i++) {
                    got[i] = code.get(i);
                }
                assertArrayEquals(want.get(p), got, 0f, p.toString());
                seen++;
            }
            assertEquals(40, seen);
        }
    }
}
