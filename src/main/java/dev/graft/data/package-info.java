/**
 * Datasets: readers that validate what they read (IDX), named datasets resolved from the places
 * a user may keep them, splits (class subsets, k-shot, validation hold-out), normalization and
 * batches gathered by index from one in-memory tensor.
 */
package dev.graft.data;
