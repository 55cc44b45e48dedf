/**
 * The one training loop every capability reuses (pluggable loss, per-step hooks, parameter groups
 * per stage), its optimizers and learning-rate schedules, evaluation, and run folders.
 */
package dev.graft.train;
