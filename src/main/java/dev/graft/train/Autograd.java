package dev.graft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The one place graft reaches past DJL's engine-neutral API: a backward pass that keeps the
 * graph, so several losses of one forward pass can each be differentiated in turn (per-task
 * gradients for PCGrad and GradNorm). DJL's {@code GradientCollector.backward} always frees
 * the graph; PyTorch's {@code backward(retain_graph=True)} is what LibMTL calls here. Also the
 * engine's grad mode per thread and its operator profiler ({@link StepProfile}).
 */
public final class Autograd {

    private Autograd() {}

    /**
     * Accumulates the gradient of the scalar {@code loss} into every parameter it depends on,
     * as {@code loss.backward(retain_graph=keepGraph)} does. Must run inside an open
     * {@link ai.djl.training.GradientCollector}.
     *
     * @param keepGraph true when another backward pass through the same graph follows
     */
    public static void backward(NDArray loss, boolean keepGraph) {
        if (!(loss instanceof PtNDArray pt)) {
            throw new IllegalStateException("a backward pass that keeps its graph needs the"
                    + " PyTorch engine; this array is " + loss.getClass().getName());
        }
        PtNDArray ones = (PtNDArray) pt.getManager().ones(pt.getShape(), pt.getDataType());
        JniUtils.backward(pt, ones, keepGraph, false);
    }

    /**
     * Turns the engine's gradient recording off on the calling thread, as it is on the thread
     * that started the engine. PyTorch's grad mode belongs to each thread and is on in any
     * other (a Spark task's, say): there the optimizer's in-place parameter updates would be
     * refused and inference would record graphs. Gradient collectors turn it on while they
     * are open. The functions that run the network outside one call this first (training,
     * feature extraction, prediction), so they work in any thread.
     */
    public static void recordOnlyInCollectors() {
        Engine.getInstance(); // loads the engine's native library in a JVM that has not yet
        JniUtils.setGradMode(false);
    }

    /** Starts libtorch's operator profiler (times only: no shapes, no memory). */
    static void startProfiler() {
        JniUtils.startProfile(false, false, false);
    }

    /** Stops it and writes its Chrome trace to {@code file}. */
    static void stopProfiler(java.nio.file.Path file) {
        JniUtils.stopProfile(file.toString());
    }
}
