/**
 * Reusing a trained network: cached features ("CNN codes") with linear probes, fine-tuning
 * policies (freezing, gradual unfreezing, discriminative rates, STLR, L2-SP), and comparisons.
 */
package dev.graft.transfer;
