package dev.graft.spark;

import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.transfer.Comparison;
import dev.graft.transfer.Strategy;
import dev.graft.transfer.TargetTask;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * {@code graft spark transfer}: the cells of a {@code graft transfer} grid as Spark tasks, one
 * cell per task. The configuration is the run folder's {@code comparison.json} (written by
 * {@code graft transfer --plan}, or by a single-machine run to be finished); each task runs the
 * library's own {@link Comparison#cell} on an executor and returns the cell, the driver saves
 * each where {@code graft transfer} keeps its cells, and {@link Comparison#run} then finds them
 * all finished and writes the same table and report as the single-machine run.
 *
 * <p>Within one JVM cells train one at a time: DJL's PyTorch engine allows one open gradient
 * collector per process, and its random generator (dropout) is process-wide, so fixed seeds
 * give identical weights only when no other training draws from it meanwhile. Several
 * executors (a cluster, or {@code local-cluster}) train side by side.
 */
public final class SparkGrid {

    /** A cell as the executors receive it. */
    record Key(String strategy, Integer shots, int seedIndex) implements Serializable {
        Comparison.CellKey cell() {
            return new Comparison.CellKey(Strategy.byId(strategy), shots, seedIndex);
        }
    }

    /** The grid's settings with the checkpoint shipped alongside. */
    record Job(String config, Shipped checkpoint) implements Serializable {}

    private static final Object TRAINING = new Object();
    private static final Map<Job, Comparison.Config> CONFIGS = new ConcurrentHashMap<>();
    private static final Map<Job, TargetTask> TASKS = new ConcurrentHashMap<>();

    private SparkGrid() {}

    /** Runs the unfinished cells of the comparison planned in {@code dir}, then its table. */
    public static Comparison.Result run(SparkSession spark, Path dir, Consumer<String> log) {
        Path file = dir.resolve(Comparison.CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new GraftException(dir + " holds no " + Comparison.CONFIG_FILE + "; plan the"
                    + " grid first: graft transfer ... --out " + dir + " --plan");
        }
        Comparison.Config c = Json.read(file, Comparison.Config.class);
        List<Key> keys = Comparison.unfinished(c, dir).stream().map(k -> new Key(
                k.strategy().id(), k.shots(), k.seedIndex())).toList();
        int total = Comparison.grid(c).size();
        log.accept(String.format("spark: %d of %d cells to run on %s", keys.size(), total,
                spark.sparkContext().master()));
        if (!keys.isEmpty()) {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            String json;
            try {
                json = Json.MAPPER.writeValueAsString(c);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Job job = new Job(json, Shipped.ship(jsc, c.model()));
            List<String> cells = jsc.parallelize(keys, keys.size()).map(k -> cell(job, k))
                    .collect();
            for (String cell : cells) {
                try {
                    Comparison.saveCell(dir, Json.MAPPER.readValue(cell, Comparison.Cell.class));
                } catch (IOException e) {
                    throw new IllegalStateException("an executor's cell is not readable: " + e, e);
                }
            }
        }
        return new Comparison(log).run(c, dir);
    }

    /** The executor's side: one cell, its checkpoint the shipped copy. */
    static String cell(Job job, Key key) throws IOException {
        Comparison.Config c = CONFIGS.computeIfAbsent(job, j -> {
            try {
                Comparison.Config read = Json.MAPPER.readValue(j.config(),
                        Comparison.Config.class);
                return new Comparison.Config(j.checkpoint().local(), read.data(),
                        read.classes(), read.strategies(), read.shots(), read.seeds(),
                        read.minStepsPerEpoch(), read.disjoint(), read.train(), read.fields());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        TargetTask task = TASKS.computeIfAbsent(job, j -> TargetTask.load(c.model(), c.data(),
                c.classes(), c.disjoint(), c.fields(), line -> { }));
        Comparison.Cell cell;
        synchronized (TRAINING) {
            cell = new Comparison(line -> { }).cell(c, task, key.cell());
        }
        return Json.MAPPER.writeValueAsString(cell);
    }
}
