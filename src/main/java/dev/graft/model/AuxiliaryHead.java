package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;

/**
 * A head that also holds an auxiliary classifier on a lower stage's output (Inception-v3's
 * {@code AuxLogits}): used only in training, where its cross-entropy joins the loss at
 * {@link #weight}; inference, export and feature extraction never see it.
 */
public interface AuxiliaryHead {

    /** The stage whose output the auxiliary classifier reads. */
    String stage();

    /** The auxiliary loss's share of the total (torchvision's recipe: 0.4). */
    double weight();

    /**
     * The auxiliary logits.
     *
     * @param stageOutput {@link #stage}'s output, {@code [batch, channels, h, w]}
     * @return {@code [batch, classes]}
     */
    NDArray auxiliaryLogits(ParameterStore ps, NDArray stageOutput, boolean training);
}
