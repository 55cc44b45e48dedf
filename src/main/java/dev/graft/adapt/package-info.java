/**
 * Transductive transfer: adapting a network trained on a labelled source domain to a target
 * domain whose labels it never reads. Every method is an {@link dev.graft.train.Objective} on
 * the one training loop (or a re-estimation of BatchNorm statistics); the target reaches it as
 * a {@link dev.graft.data.UnlabeledDataset}, and target labels are read only by the final
 * evaluation.
 */
package dev.graft.adapt;
