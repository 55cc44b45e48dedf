package dev.graft.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes that are all-or-nothing: content goes to a temporary file in the same folder, is
 * fsynced, then renamed over the target, so a crash leaves either the old file or the new one.
 */
public final class AtomicFiles {

    /** Writes the content of one file. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Fills a folder with files. */
    @FunctionalInterface
    public interface FolderWriter {
        void write(Path folder) throws IOException;
    }

    /** Suffix of the sibling folder {@link #writeFolder} fills before the swap. */
    public static final String STAGING = ".partial";

    /** Temporary files of {@link #write} (and the run folder's write probe). */
    private static final java.util.regex.Pattern TEMP_FILE =
            java.util.regex.Pattern.compile("\\..+\\d+\\.tmp");

    private AtomicFiles() {}

    /**
     * A temporary file or staging folder left by a write that was killed: {@code
     * .name.<digits>.tmp} files and {@code name.partial} folders. Never a result.
     */
    public static boolean isLeftover(Path p) {
        String name = p.getFileName().toString();
        return TEMP_FILE.matcher(name).matches() && Files.isRegularFile(p)
                || name.endsWith(STAGING) && Files.isDirectory(p);
    }

    /**
     * What the output folder {@code dir} holds besides leftovers, sorted (nothing when it does
     * not exist); {@code option} names it in errors. A file where the folder should be is
     * refused.
     */
    public static java.util.List<Path> contents(Path dir, String option) {
        if (!Files.exists(dir)) {
            return java.util.List.of();
        }
        if (!Files.isDirectory(dir)) {
            throw new GraftException(option + " " + dir + " is a file, not a folder; choose a"
                    + " folder that does not exist yet");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> !isLeftover(p)).sorted().toList();
        } catch (IOException e) {
            throw new GraftException("cannot read " + option + " " + dir + ": " + describe(e), e);
        }
    }

    /**
     * Refuses an output folder that holds anything: graft writes into new or empty folders
     * only, so nothing a user keeps there is ever replaced.
     */
    public static void requireEmpty(Path dir, String option) {
        java.util.List<Path> held = contents(dir, option);
        if (!held.isEmpty()) {
            throw new GraftException(option + " " + dir + " is not empty (it holds " + held.size()
                    + " entr" + (held.size() == 1 ? "y" : "ies") + ", e.g. " + held.get(0)
                    .getFileName() + "); choose a new or empty folder");
        }
    }

    /** Atomically replaces {@code target} with what {@code writer} writes. */
    public static void write(Path target, Writer writer) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            makeReadable(tmp);
            try (OutputStream out =
                    new java.io.BufferedOutputStream(
                            Files.newOutputStream(tmp, StandardOpenOption.WRITE), 1 << 16)) {
                writer.write(out);
            }
            fsync(tmp);
            move(tmp, target);
            fsyncDirectory(dir);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new GraftException("cannot write " + target + ": " + describe(e), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** Atomically replaces {@code target} with the given UTF-8 text. */
    public static void writeString(Path target, String text) {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Atomically replaces the folder {@code target}: the writer fills a sibling staging folder,
     * which then takes the target's place. A crash between the two renames leaves the previous
     * version at {@code target + ".old"}, which {@link #recoverFolder} puts back.
     */
    public static void writeFolder(Path target, FolderWriter writer) {
        Path abs = target.toAbsolutePath();
        Path staging = abs.resolveSibling(abs.getFileName() + STAGING);
        Path old = abs.resolveSibling(abs.getFileName() + ".old");
        try {
            Files.createDirectories(abs.getParent());
            deleteTree(staging);
            Files.createDirectories(staging);
            writer.write(staging);
            try (Stream<Path> files = Files.list(staging)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    fsync(f);
                }
            }
            fsyncDirectory(staging);
            deleteTree(old);
            if (Files.exists(abs)) {
                move(abs, old);
            }
            move(staging, abs);
            fsyncDirectory(abs.getParent());
            deleteTree(old);
        } catch (IOException e) {
            try {
                deleteTree(staging);
            } catch (IOException ignored) {
                // the staging folder is only a leftover; the target is intact
            }
            throw new GraftException("cannot write " + target + ": " + describe(e), e);
        }
    }

    /** Restores a folder whose replacement was interrupted between its two renames. */
    public static void recoverFolder(Path target) {
        Path abs = target.toAbsolutePath();
        Path old = abs.resolveSibling(abs.getFileName() + ".old");
        if (!Files.exists(abs) && Files.isDirectory(old)) {
            try {
                move(old, abs);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Deletes a file tree if it exists. */
    public static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A short, human reason for an I/O failure (the JDK's messages are often only a path). */
    public static String describe(IOException e) {
        if (e.getCause() instanceof IOException cause && cause != e) {
            // an image writer's "I/O error writing PNG file!" wraps the reason: the disk is full
            return describe(cause);
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied (choose a writable folder with --out)";
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Temp files are created owner-only; a result file is rw-r--r-- like any other. */
    private static void makeReadable(Path p) {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions
                    .fromString("rw-r--r--"));
        } catch (IOException | UnsupportedOperationException ignored) {
            // not a POSIX file system: keep its defaults
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void fsync(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // not every file system lets a directory be opened for sync; the rename is still atomic
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: a stray temp file never replaces the target
            }
        }
    }
}
