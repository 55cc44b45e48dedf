package dev.graft.io;

import java.nio.file.Path;

/**
 * A file graft was asked to read is missing, malformed or inconsistent. The message names the
 * file, what is wrong with it and, where there is one, the fix.
 */
public final class BadFileException extends GraftException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public BadFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public BadFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }
}
