/**
 * Lottery tickets: iterative magnitude pruning with rewinding to initialization (or to an early
 * iteration), with the random-reinitialization and random-mask controls.
 */
package dev.graft.lottery;
