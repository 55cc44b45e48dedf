package dev.graft.train;

import ai.djl.ndarray.NDManager;
import dev.graft.model.StagedNet;

/** Runs after every optimizer step (e.g. to re-apply a pruning mask). */
@FunctionalInterface
public interface StepHook {

    /**
     * @param step the current step's manager: temporaries created here are freed with the step
     * @param globalStep optimizer steps taken so far in the run, this one included
     */
    void afterStep(StagedNet net, int epoch, long globalStep, NDManager step);
}
