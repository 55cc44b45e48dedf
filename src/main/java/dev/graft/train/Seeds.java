package dev.graft.train;

import java.nio.charset.StandardCharsets;

/**
 * Seeds derived from one root seed by purpose ("init", "split", "shuffle"), so each random choice
 * of a run is reproducible on its own and adding a new one shifts none of the others.
 */
public final class Seeds {

    private Seeds() {}

    /** A seed for {@code purpose}, derived from {@code root} (SplitMix64 over the purpose's bytes). */
    public static long derive(long root, String purpose) {
        long h = root;
        for (byte b : purpose.getBytes(StandardCharsets.UTF_8)) {
            h = mix(h + b);
        }
        return mix(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
