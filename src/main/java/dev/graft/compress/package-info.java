/**
 * Compression: magnitude and filter pruning, low-rank factorization, weight sharing, int8
 * quantization (simulated and quantization-aware), each a command that starts from a
 * checkpoint and writes a smaller one. Pruning masks ({@link dev.graft.train.Mask}) live in
 * {@code train}, so that fine-tuning a pruned checkpoint keeps its zeros.
 */
package dev.graft.compress;
