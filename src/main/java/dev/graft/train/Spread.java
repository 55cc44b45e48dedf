package dev.graft.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;

/**
 * A figure's mean and sample standard deviation over seeds; for a paired difference (a method
 * minus its baseline on the same seed's data), the noise that matters when asking whether the
 * method wins.
 */
public record Spread(
        @JsonProperty("seeds") int seeds,
        @JsonProperty("mean") double mean,
        @JsonProperty("std") double std) {

    /** Mean and sample standard deviation of {@code v} (std 0 for one value). */
    public static Spread of(double[] v) {
        return new Spread(v.length, mean(v), sampleStd(v));
    }

    /** The mean is more than one standard deviation from zero, over at least two seeds. */
    public boolean beyondSpread() {
        return seeds > 1 && Math.abs(mean) > std;
    }

    public static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n - 1); 0 for a single value. */
    public static double sampleStd(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        return Math.sqrt(Arrays.stream(v).map(a -> (a - m) * (a - m)).sum() / (v.length - 1));
    }
}
