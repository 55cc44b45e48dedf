package dev.graft.spark;

import dev.graft.data.EvalTransform;
import dev.graft.io.GraftException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.spark.sql.Row;

/**
 * A task's image files (rows of Spark's {@code binaryFile} source: path, content) decoded and
 * transformed by graft's evaluation transform, handed on {@link #CHUNK} at a time (a partition
 * may hold thousands); a file that does not decode goes to the error handler, or fails the task
 * when strict.
 */
final class ImageChunks {

    /** Images decoded and handed on at a time. */
    static final int CHUNK = 256;

    private ImageChunks() {}

    /** Files per task at most, when the files are many. */
    static final int FILES_PER_TASK = 4096;

    /**
     * The (path, content) rows of every file under {@code folder}, in a few tasks per slot:
     * Spark's file source counts each small file as 4 MB ({@code openCostInBytes}) and would
     * give 20,000 images 625 tasks of 32 images each, whose overhead then dominates.
     */
    static org.apache.spark.api.java.JavaRDD<Row> files(org.apache.spark.sql.SparkSession spark,
            String folder) {
        org.apache.spark.sql.Dataset<Row> df = spark.read().format("binaryFile")
                .option("recursiveFileLookup", "true").load(folder);
        int slots = Math.max(1, spark.sparkContext().defaultParallelism());
        int count = df.inputFiles().length;
        int tasks = Math.max(2 * slots, (count + FILES_PER_TASK - 1) / FILES_PER_TASK);
        org.apache.spark.api.java.JavaRDD<Row> rows = df.select("path", "content").toJavaRDD();
        return rows.getNumPartitions() > tasks ? rows.coalesce(tasks) : rows;
    }

    /**
     * @param chunk receives the paths and their transformed pixels
     * @param failed receives a path and its error
     */
    static void each(Iterator<Row> files, EvalTransform transform, boolean strict,
            BiConsumer<List<String>, byte[]> chunk, BiConsumer<String, String> failed) {
        List<String> names = new ArrayList<>();
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        while (files.hasNext()) {
            Row f = files.next();
            String path = f.getString(0);
            try {
                pixels.writeBytes(transform.read((byte[]) f.get(1), Path.of(path)));
                names.add(path);
            } catch (GraftException e) {
                if (strict) {
                    throw e;
                }
                failed.accept(path, e.getMessage());
            }
            if (names.size() == CHUNK || (!files.hasNext() && !names.isEmpty())) {
                chunk.accept(List.copyOf(names), pixels.toByteArray());
                names.clear();
                pixels.reset();
            }
        }
    }
}
