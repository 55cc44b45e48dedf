package dev.graft.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.io.BadFileException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * An ONNX model in ONNX Runtime (CPU): the one class that touches ONNX Runtime's API. Runs
 * {@code input -> logits} on batches of normalized images.
 */
public final class OnnxRuntimeModel implements AutoCloseable {

    private final OrtEnvironment env;
    private final OrtSession session;

    private OnnxRuntimeModel(OrtEnvironment env, OrtSession session) {
        this.env = env;
        this.session = session;
    }

    /**
     * @param threads intra-op threads (0: ONNX Runtime's default, one per core)
     */
    public static OnnxRuntimeModel load(Path file, int threads) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) {
                o.setIntraOpNumThreads(threads);
            }
            return new OnnxRuntimeModel(env, env.createSession(file.toString(), o));
        } catch (OrtException e) {
            throw new BadFileException(file, "ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
    }

    /**
     * Logits for a batch.
     *
     * @param input row-major {@code [batch, channels, height, width]}
     * @return row-major {@code [batch, classes]}
     */
    public float[] run(float[] input, long[] shape) {
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result r = session.run(Map.of("input", x))) {
            float[][] logits = (float[][]) r.get(0).getValue();
            float[] out = new float[logits.length * logits[0].length];
            for (int i = 0; i < logits.length; i++) {
                System.arraycopy(logits[i], 0, out, i * logits[0].length, logits[0].length);
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of shape "
                    + java.util.Arrays.toString(shape) + ": " + e.getMessage(), e);
        }
    }

    /**
     * One float output of a model whose inputs are int64 tensors of one shape (a text
     * encoder's {@code input_ids}, {@code attention_mask}, {@code token_type_ids}).
     *
     * @param inputs row-major values by input name, each {@code prod(shape)} long
     * @return the output {@code output}, row-major
     */
    public float[] runInt64(Map<String, long[]> inputs, long[] shape, String output) {
        Map<String, OnnxTensor> tensors = new java.util.LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : inputs.entrySet()) {
                tensors.put(e.getKey(), OnnxTensor.createTensor(env,
                        java.nio.LongBuffer.wrap(e.getValue()), shape));
            }
            try (OrtSession.Result r = session.run(tensors)) {
                OnnxTensor t = (OnnxTensor) r.get(output).orElseThrow(() ->
                        new IllegalArgumentException("the model has no output '" + output + "'"));
                FloatBuffer b = t.getFloatBuffer();
                float[] out = new float[b.remaining()];
                b.get(out);
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on inputs of shape "
                    + java.util.Arrays.toString(shape) + ": " + e.getMessage(), e);
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    /** The names of the model's inputs. */
    public java.util.Set<String> inputNames() {
        try {
            return session.getInputNames();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
