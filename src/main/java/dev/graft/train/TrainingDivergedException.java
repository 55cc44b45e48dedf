package dev.graft.train;

import dev.graft.io.GraftException;

/** The loss became NaN or infinite; the weights of the last finished epoch are kept. */
public final class TrainingDivergedException extends GraftException {

    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
