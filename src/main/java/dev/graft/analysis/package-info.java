/**
 * What is transferred: feature reuse against low-level statistics (block-shuffled targets), the
 * loss barrier between fine-tuned models, module criticality, CKA feature similarity, distance
 * in parameter space, and which pretraining checkpoint transfers best.
 */
package dev.graft.analysis;
