package dev.graft.train;

import dev.graft.io.AtomicFiles;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * A run's folder: {@code run.json} (config and final metrics, replaced atomically),
 * {@code metrics.jsonl} (one event per line, appended and flushed), and checkpoints.
 */
public final class RunFolder implements AutoCloseable {

    public static final String RUN_JSON = "run.json";
    public static final String METRICS = "metrics.jsonl";

    private final Path dir;
    private final boolean resuming;
    private BufferedWriter metrics;

    private RunFolder(Path dir, boolean resuming) {
        this.dir = dir;
        this.resuming = resuming;
    }

    /** {@code runs/<yyyyMMdd-HHmmss>-<name>} under the working folder. */
    public static Path defaultPath(String name) {
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("runs", time + "-" + name);
    }

    /**
     * Opens (creating if needed) a run folder and checks it can be written, before any work.
     * Leftovers of a killed write (temporary files, staging folders) are removed; they never
     * count as content.
     *
     * @param fresh when true, an existing folder with content is refused (use --resume or
     *     another --out) so earlier results are never overwritten by accident
     */
    public static RunFolder open(Path dir, boolean fresh) {
        if (fresh && !contents(dir).isEmpty()) {
            throw occupied(dir);
        }
        return create(dir, false);
    }

    /** The refusal of an --out folder that holds something. */
    static GraftException occupied(Path dir) {
        return new GraftException("--out " + dir + " already holds " + (Files.isRegularFile(
                dir.resolve(RUN_JSON)) ? "a run; pass --resume to continue it or" : "files;")
                + " choose another --out");
    }

    /** Creates {@code dir} if needed, clears graft's leftovers and checks it can be written. */
    static RunFolder create(Path dir, boolean resuming) {
        try {
            if (Files.isDirectory(dir)) {
                try (var entries = Files.list(dir)) {
                    for (Path p : (Iterable<Path>) entries::iterator) {
                        if (AtomicFiles.isLeftover(p)) {
                            AtomicFiles.deleteTree(p);
                        }
                    }
                }
            }
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new GraftException("cannot write to --out " + dir + ": "
                    + AtomicFiles.describe(e), e);
        }
        return new RunFolder(dir, resuming);
    }

    /** What {@code dir} holds besides graft's leftovers; see {@link AtomicFiles#contents}. */
    static java.util.List<Path> contents(Path dir) {
        return AtomicFiles.contents(dir, "--out");
    }

    /** Whether this run continues from a checkpoint ({@code --resume} with one to resume). */
    public boolean resuming() {
        return resuming;
    }

    public Path dir() {
        return dir;
    }

    /** Path of a file or sub-folder of the run. */
    public Path resolve(String name) {
        return dir.resolve(name);
    }

    /** Appends one event to {@code metrics.jsonl} and flushes it. */
    public synchronized void event(Object event) {
        try {
            if (metrics == null) {
                metrics = Files.newBufferedWriter(dir.resolve(METRICS), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            metrics.write(Json.line(event));
            metrics.newLine();
            metrics.flush();
        } catch (IOException e) {
            throw new GraftException("cannot append to " + dir.resolve(METRICS) + ": "
                    + AtomicFiles.describe(e), e);
        }
    }

    /** Replaces {@code run.json} atomically. */
    public void writeRun(Object run) {
        Json.write(dir.resolve(RUN_JSON), run);
    }

    @Override
    public synchronized void close() {
        if (metrics != null) {
            try {
                metrics.close();
            } catch (IOException ignored) {
                // every line was flushed when written
            }
            metrics = null;
        }
    }
}
