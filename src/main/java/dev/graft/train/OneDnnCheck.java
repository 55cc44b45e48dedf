package dev.graft.train;

import ai.djl.ndarray.types.Shape;
import dev.graft.io.GraftException;
import dev.graft.model.StagedNet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Guards against a bug of the engine: in libtorch 2.7.1's oneDNN, the AVX-512 kernels of a
 * convolution's backward pass return NaN input gradients, at random, when the convolution's
 * input channels are not a multiple of 16 (measured: 8 channels, NaN in 2-67% of steps; 16 and
 * 32, never; capped at AVX2, never). Training such a network on an AVX-512 CPU is refused, with
 * the fix, before it starts.
 */
public final class OneDnnCheck {

    /** The environment variable that caps oneDNN's instruction set. */
    public static final String ENV = "ONEDNN_MAX_CPU_ISA";

    private OneDnnCheck() {}

    /** Throws when training {@code net} here would hit the bug. */
    public static void requireSafeTraining(StagedNet net) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        net.namedParameters().forEach((name, p) -> shapes.put(name, p.getArray().getShape()));
        String problem = problem(shapes, Avx512.PRESENT, System.getenv(ENV));
        if (problem != null) {
            throw new GraftException(problem);
        }
    }

    /**
     * Why training a network of these parameter shapes is unsafe, or null when it is safe: on a
     * CPU with AVX-512 (and oneDNN not capped below it), a convolution weight
     * {@code [out, in, k, k]} whose {@code in} is neither an image's channel count (1 to 4, the
     * first layer, whose input needs no gradient) nor a multiple of 16.
     */
    static String problem(Map<String, Shape> shapes, boolean avx512, String isaCap) {
        if (!avx512 || (isaCap != null && !isaCap.isBlank()
                && !isaCap.toUpperCase(java.util.Locale.ROOT).startsWith("AVX512")
                && !isaCap.equalsIgnoreCase("ALL") && !isaCap.equalsIgnoreCase("DEFAULT"))) {
            return null;
        }
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            Shape s = e.getValue();
            if (s.dimension() == 4 && s.get(1) > 4 && s.get(1) % 16 != 0) {
                return "cannot train safely on this CPU: convolution " + e.getKey() + " has "
                        + s.get(1) + " input channels, and libtorch 2.7.1's oneDNN AVX-512 kernels"
                        + " return NaN gradients for convolutions whose input channels are not a"
                        + " multiple of 16. Run with " + ENV + "=AVX2 in the environment"
                        + " (convolutions about 20% slower), or choose a width whose channels are"
                        + " multiples of 16 (convnet --width 0.5, 1, 2)";
            }
        }
        return null;
    }

    /** Whether this CPU has AVX-512, read once from /proc/cpuinfo (false where it is absent). */
    private static final class Avx512 {
        static final boolean PRESENT = read();

        private static boolean read() {
            try {
                Path info = Path.of("/proc/cpuinfo");
                return Files.isReadable(info) && Files.readString(info).contains(" avx512f");
            } catch (IOException e) {
                return false;
            }
        }
    }
}
