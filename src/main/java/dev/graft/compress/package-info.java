/**
 * Compression: pruning masks, magnitude pruning and {@code graft prune}. A
 * {@link dev.graft.compress.Mask} is a value of its own (which weights are kept), applied after
 * every optimizer step through a {@link dev.graft.train.StepHook} and saved beside a
 * checkpoint's weights.
 */
package dev.graft.compress;
