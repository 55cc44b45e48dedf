package dev.graft.model;

/** How stage activations are reduced to one vector per example when features are extracted. */
public enum Pooling {
    /** Keep the activation map as it is: {@code [batch, c, h, w]} or {@code [batch, d]}. */
    NONE,
    /** Global average over space: {@code [batch, c, h, w] -> [batch, c]}. */
    AVERAGE,
    /** Flatten everything but the batch: {@code [batch, c, h, w] -> [batch, c*h*w]}. */
    FLATTEN
}
