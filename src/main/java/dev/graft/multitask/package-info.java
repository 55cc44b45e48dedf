/**
 * Multi-task learning: one trunk, a head per task, the task losses balanced by a weighting
 * (equal, uncertainty, dynamic weight average), against single-task networks trained alike.
 */
package dev.graft.multitask;
