package dev.graft.io;

/**
 * A failure caused by the user's input or environment rather than by a bug: the command line
 * prints its message on one line and exits non-zero, without a stack trace.
 */
public class GraftException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public GraftException(String message) {
        super(message);
    }

    public GraftException(String message, Throwable cause) {
        super(message, cause);
    }
}
