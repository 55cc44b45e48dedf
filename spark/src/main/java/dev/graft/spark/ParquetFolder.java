package dev.graft.spark;

import dev.graft.io.GraftException;
import dev.graft.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * A job's output folder: Parquet files and a JSON description ({@code _}-prefixed, which
 * Spark's readers skip), written under a temporary name beside it and moved into place once
 * complete, so a folder under the final name is never half-written.
 */
final class ParquetFolder {

    private ParquetFolder() {}

    /** Refuses an existing folder unless it is to be replaced. */
    static void checkFree(Path out, boolean overwrite) {
        if (Files.exists(out) && !overwrite) {
            throw new GraftException(out + " exists; pass --overwrite to replace it");
        }
    }

    /**
     * Computes {@code rows}, writes them and {@code info} (as {@code infoName}) to {@code out}.
     * The rows come from a plain RDD job, kept for the write: its tasks receive the job's
     * files, where a SQL write's tasks carry the session's artifacts instead (on executors of
     * their own they would not find the checkpoint).
     *
     * @param log receives how long computing the rows and writing them took
     * @return how many rows were written
     */
    static long write(SparkSession spark, JavaRDD<Row> rows, StructType schema, Path out,
            String infoName, Object info, Consumer<String> log) {
        Path tmp = out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".tmp-"
                + UUID.randomUUID());
        long count;
        rows.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long started = System.nanoTime();
            count = rows.count();
            long computed = System.nanoTime();
            // no dictionaries: codes and probabilities are floats that seldom repeat (the
            // 70,000 codes of Fashion-MNIST take 38 MB without them, 40 MB with)
            spark.createDataFrame(rows, schema).write().option("parquet.enable.dictionary",
                    "false").parquet(tmp.toUri().toString());
            log.accept(String.format(java.util.Locale.ROOT, "spark: %,d rows computed in %.1f s,"
                    + " written as Parquet in %.1f s", count, (computed - started) / 1e9,
                    (System.nanoTime() - computed) / 1e9));
        } finally {
            rows.unpersist(false);
        }
        try {
            Json.write(tmp.resolve(infoName), info);
            if (Files.exists(out)) {
                Path old = out.toAbsolutePath().resolveSibling("." + out.getFileName()
                        + ".old-" + UUID.randomUUID());
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
                try (var walk = Files.walk(old)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            } else {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new GraftException("cannot move the finished output into " + out + ": "
                    + e.getMessage(), e);
        }
        return count;
    }
}
