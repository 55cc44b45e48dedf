package dev.graft.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.model.Layer;
import dev.graft.model.LayerProgram;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * int8 post-training quantization, the arithmetic ONNX's QuantizeLinear / DequantizeLinear
 * define:
 *
 * <ul>
 *   <li>weights: per output channel, symmetric, on 7 bits: {@code s_c = max|w_c| / 63},
 *       {@code q = clamp(round(w / s_c), -63, 63)} (see {@link #WEIGHT_MAX});
 *   <li>the input of every convolution and linear layer: per tensor, asymmetric uint8 over a
 *       calibrated range {@code [lo, hi]} (always containing 0), {@code s = (hi - lo) / 255},
 *       {@code z = round(-lo / s)}, {@code q = clamp(round(x / s) + z, 0, 255)};
 *   <li>biases: int32 at scale {@code s_x s_c}.
 * </ul>
 *
 * Rounding is half to even, as ONNX specifies. {@link #simulate} runs a network this way in
 * float arithmetic (quantize, then dequantize), so graft measures int8 accuracy itself.
 */
public final class Int8 {

    /**
     * The largest weight level: 63, not 127 (ONNX Runtime's {@code reduce_range}). x86 CPUs
     * without VNNI multiply uint8 inputs by int8 weights with VPMADDUBSW, which adds pairs of
     * products in 16 bits and saturates: 2 x 255 x 127 overflows, 2 x 255 x 63 does not. With
     * full-range weights ONNX Runtime on an AVX2 machine differed from this simulation by 9-12% of
     * the logits' range (mlp; 15% convnet); with 7-bit weights it agrees within 2%.
     */
    public static final int WEIGHT_MAX = 63;

    private Int8() {}

    /** How activation ranges are calibrated. */
    public enum Calibration {
        /** The smallest and largest value seen. */
        MIN_MAX,
        /** The 0.01st and 99.99th percentiles of the values seen: outliers clipped. */
        PERCENTILE;

        public static Calibration parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "min-max", "minmax" -> MIN_MAX;
                case "percentile" -> PERCENTILE;
                default -> throw new IllegalArgumentException("--calibration " + s
                        + " is not one of min-max, percentile");
            };
        }
    }

    /** Share of values clipped at each end by {@link Calibration#PERCENTILE}. */
    static final double PERCENTILE_TAIL = 1e-4;
    /** Values sampled per layer for percentiles. */
    static final int PERCENTILE_SAMPLE = 1 << 20;

    /**
     * A uint8 activation quantizer.
     *
     * @param scale step between adjacent levels
     * @param zeroPoint the level that stands for 0
     */
    public record Activation(@JsonProperty("scale") float scale,
            @JsonProperty("zero_point") int zeroPoint) {

        /** The quantizer whose 256 levels span {@code [lo, hi]}, widened to contain 0. */
        public static Activation of(double lo, double hi) {
            lo = Math.min(lo, 0);
            hi = Math.max(hi, 0);
            double scale = hi > lo ? (hi - lo) / 255 : 1;
            int z = (int) Math.max(0, Math.min(255, Math.rint(-lo / scale)));
            return new Activation((float) scale, z);
        }
    }

    /**
     * The calibrated quantizers of a network: one per convolution or linear layer's input, by
     * layer path.
     */
    public record Plan(@JsonProperty("calibration") Calibration calibration,
            @JsonProperty("images") int images,
            @JsonProperty("inputs") Map<String, Activation> inputs) {}

    /** A weight quantized per output channel: int8 values, one scale per channel. */
    public record Weight(byte[] values, float[] scales) {}

    /** Per output channel (dimension 0 of a row-major tensor of {@code channels} rows). */
    public static Weight quantize(float[] w, int channels) {
        int per = w.length / channels;
        byte[] q = new byte[w.length];
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            float max = 0;
            for (int i = c * per; i < (c + 1) * per; i++) {
                max = Math.max(max, Math.abs(w[i]));
            }
            float s = max > 0 ? max / WEIGHT_MAX : 1f;
            scales[c] = s;
            for (int i = c * per; i < (c + 1) * per; i++) {
                q[i] = (byte) Math.max(-WEIGHT_MAX, Math.min(WEIGHT_MAX, Math.rint(w[i] / s)));
            }
        }
        return new Weight(q, scales);
    }

    /** {@code round(b / (s_x s_c))} as int32. */
    public static int[] quantizeBias(float[] b, float inputScale, float[] weightScales) {
        int[] q = new int[b.length];
        for (int c = 0; c < b.length; c++) {
            q[c] = (int) Math.rint(b[c] / ((double) inputScale * weightScales[c]));
        }
        return q;
    }

    /** The layers whose inputs and weights are quantized: every convolution and linear layer. */
    static List<Layer> quantized(List<Layer> layers) {
        List<Layer> out = new ArrayList<>();
        for (Layer l : layers) {
            if (l instanceof Layer.Conv || l instanceof Layer.Linear) {
                out.add(l);
            } else {
                l.nested().forEach(inner -> out.addAll(quantized(inner)));
            }
        }
        return out;
    }

    /** The path of a convolution or linear layer. */
    public static String path(Layer l) {
        return l instanceof Layer.Conv c ? c.path() : ((Layer.Linear) l).path();
    }

    /**
     * Runs {@code program} on {@code images} examples of {@code data} drawn with {@code seed}
     * and sets each quantized layer's input range.
     */
    public static Plan calibrate(LayerProgram program, Examples data, int images,
            Calibration method, long seed, NDManager manager) {
        int n = Math.min(images, data.size());
        if (n == 0) {
            throw new IllegalArgumentException("the calibration set is empty: int8 ranges need"
                    + " at least one image (--calibration-images)");
        }
        Map<String, double[]> range = new LinkedHashMap<>();
        Map<String, float[]> sample = new LinkedHashMap<>();
        Map<String, Long> seen = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(seed);
        LayerProgram.Rewrite observe = new LayerProgram.Rewrite() {
            @Override
            public NDArray input(Layer layer, NDArray x) {
                String p = path(layer);
                double[] r = range.computeIfAbsent(p, k -> new double[] {
                        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
                r[0] = Math.min(r[0], x.min().getFloat());
                r[1] = Math.max(r[1], x.max().getFloat());
                if (method == Calibration.PERCENTILE) {
                    reservoir(sample.computeIfAbsent(p, k -> new float[PERCENTILE_SAMPLE]),
                            seen, p, x.toFloatArray(), rng);
                }
                return x;
            }

            @Override
            public NDArray weight(Layer layer, NDArray w) {
                return w;
            }
        };
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom draw = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = order.length - 1; i > 0; i--) {
            int j = draw.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int batch = 64;
        for (int from = 0; from < n; from += batch) {
            try (NDManager step = manager.newSubManager()) {
                int[] idx = Arrays.copyOfRange(order, from, Math.min(n, from + batch));
                Arrays.sort(idx);
                program.forward(data.batch(idx, step).inputs(), observe);
            }
        }
        Map<String, Activation> inputs = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : range.entrySet()) {
            double lo = e.getValue()[0];
            double hi = e.getValue()[1];
            if (method == Calibration.PERCENTILE) {
                long count = seen.get(e.getKey());
                float[] s = Arrays.copyOf(sample.get(e.getKey()),
                        (int) Math.min(count, PERCENTILE_SAMPLE));
                Arrays.sort(s);
                lo = s[(int) Math.floor(PERCENTILE_TAIL * (s.length - 1))];
                hi = s[(int) Math.ceil((1 - PERCENTILE_TAIL) * (s.length - 1))];
            }
            inputs.put(e.getKey(), Activation.of(lo, hi));
        }
        return new Plan(method, n, inputs);
    }

    /** Reservoir sampling (Algorithm R): a uniform sample of all values offered so far. */
    private static void reservoir(float[] sample, Map<String, Long> seen, String key,
            float[] values, SplittableRandom rng) {
        long count = seen.getOrDefault(key, 0L);
        for (float v : values) {
            if (count < sample.length) {
                sample[(int) count] = v;
            } else {
                long j = rng.nextLong(count + 1);
                if (j < sample.length) {
                    sample[(int) j] = v;
                }
            }
            count++;
        }
        seen.put(key, count);
    }

    /**
     * Quantize-then-dequantize at every quantized layer: its input with the plan's quantizer,
     * its weight per output channel. Run with {@link LayerProgram#forward}.
     */
    public static LayerProgram.Rewrite simulate(Plan plan) {
        Map<String, NDArray> weights = new java.util.HashMap<>();
        return new LayerProgram.Rewrite() {
            @Override
            public NDArray input(Layer layer, NDArray x) {
                Activation a = plan.inputs().get(path(layer));
                if (a == null) {
                    throw new IllegalStateException("no calibrated range for " + path(layer));
                }
                NDArray q = x.div(a.scale()).round().add(a.zeroPoint()).clip(0, 255);
                return q.sub(a.zeroPoint()).mul(a.scale());
            }

            @Override
            public NDArray weight(Layer layer, NDArray w) {
                // the program's weights live as long as it does: rounded once, kept beside them
                return weights.computeIfAbsent(path(layer), k -> {
                    Shape shape = w.getShape();
                    Weight q = quantize(w.toFloatArray(), (int) shape.get(0));
                    float[] deq = new float[q.values().length];
                    int per = deq.length / q.scales().length;
                    for (int i = 0; i < deq.length; i++) {
                        deq[i] = q.values()[i] * q.scales()[i / per];
                    }
                    return w.getManager().create(deq, shape);
                });
            }
        };
    }

    /**
     * The rounding of {@link #simulate} for training: the forward pass sees int8 values, the
     * backward pass treats rounding as the identity (the straight-through estimator,
     * {@code x + stopGradient(q(x) - x)}), so gradients reach the float weights. Weight scales
     * follow the weights as they train; activation ranges stay the plan's.
     */
    public static LayerProgram.Rewrite fakeQuantize(Plan plan) {
        return new LayerProgram.Rewrite() {
            @Override
            public NDArray input(Layer layer, NDArray x) {
                Activation a = plan.inputs().get(path(layer));
                NDArray q = x.div(a.scale()).round().add(a.zeroPoint()).clip(0, 255)
                        .sub(a.zeroPoint()).mul(a.scale());
                return x.add(q.sub(x).stopGradient());
            }

            @Override
            public NDArray weight(Layer layer, NDArray w) {
                long[] perChannel = new long[w.getShape().dimension()];
                java.util.Arrays.fill(perChannel, 1);
                perChannel[0] = -1;
                // the engine reduces over one axis at a time: rows of [channels, rest]
                NDArray scale = w.stopGradient().abs().reshape(w.getShape().get(0), -1)
                        .max(new int[] {1}, true).div((float) WEIGHT_MAX).maximum(1e-12f)
                        .reshape(new Shape(perChannel));
                NDArray q = w.div(scale).round().clip(-WEIGHT_MAX, WEIGHT_MAX).mul(scale);
                return w.add(q.sub(w).stopGradient());
            }
        };
    }
}
