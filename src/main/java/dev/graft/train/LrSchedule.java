package dev.graft.train;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A learning-rate schedule: the multiplier applied to the peak learning rate at optimizer step
 * {@code t} (0-based) of {@code total}. Every schedule keeps its formula beside its code.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = LrSchedule.Constant.class, name = "constant"),
    @JsonSubTypes.Type(value = LrSchedule.Cosine.class, name = "cosine"),
    @JsonSubTypes.Type(value = LrSchedule.OneCycle.class, name = "one-cycle"),
    @JsonSubTypes.Type(value = LrSchedule.SlantedTriangular.class, name = "stlr"),
    @JsonSubTypes.Type(value = LrSchedule.Warmup.class, name = "warmup")})
public sealed interface LrSchedule {

    /** Multiplier of the peak learning rate at step {@code t} of {@code total}. */
    double factor(long t, long total);

    /** Always 1. */
    record Constant() implements LrSchedule {
        @Override
        public double factor(long t, long total) {
            return 1;
        }
    }

    /**
     * Linear decay to zero, {@code 1 - t / total}: with {@link Warmup}, Hugging Face's
     * {@code get_linear_schedule_with_warmup} (sentence-transformers' {@code WarmupLinear}).
     */
    record Linear() implements LrSchedule {
        @Override
        public double factor(long t, long total) {
            return Math.max(0, 1 - (double) t / total);
        }
    }

    /** Cosine decay to zero: {@code 0.5 * (1 + cos(pi * t / total))}. */
    record Cosine() implements LrSchedule {
        @Override
        public double factor(long t, long total) {
            return 0.5 * (1 + Math.cos(Math.PI * Math.min(t, total) / total));
        }
    }

    /**
     * PyTorch's {@code OneCycleLR} (cosine annealing, no momentum cycling): from
     * {@code 1/divFactor} up to 1 over the first {@code pctStart} of the steps, then down to
     * {@code 1/(divFactor * finalDivFactor)}.
     */
    record OneCycle(double pctStart, double divFactor, double finalDivFactor)
            implements LrSchedule {
        public OneCycle {
            if (!(pctStart > 0 && pctStart < 1)) {
                throw new IllegalArgumentException("one-cycle pct_start must be in (0, 1), got "
                        + pctStart);
            }
        }

        /** PyTorch's defaults: 0.3, 25, 1e4. */
        public static OneCycle defaults() {
            return new OneCycle(0.3, 25, 1e4);
        }

        @Override
        public double factor(long t, long total) {
            double initial = 1 / divFactor;
            double min = initial / finalDivFactor;
            double upEnd = pctStart * total - 1;
            double downEnd = total - 1;
            if (t <= upEnd) {
                return anneal(initial, 1, t / upEnd);
            }
            return anneal(1, min, Math.min(1, (t - upEnd) / (downEnd - upEnd)));
        }

        private static double anneal(double start, double end, double pct) {
            return end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1);
        }
    }

    /**
     * ULMFiT's slanted triangular rate (Howard and Ruder 2018): a short linear rise over the
     * first {@code cutFrac} of the steps, then a long linear decay;
     * {@code cut = floor(T * cutFrac)}, {@code p = t < cut ? t / cut : 1 - (t - cut) / (cut *
     * (1 / cutFrac - 1))}, factor {@code (1 + p * (ratio - 1)) / ratio}.
     */
    record SlantedTriangular(double cutFrac, double ratio) implements LrSchedule {
        public SlantedTriangular {
            if (!(cutFrac > 0 && cutFrac < 1)) {
                throw new IllegalArgumentException("STLR cut_frac must be in (0, 1), got "
                        + cutFrac);
            }
            if (!(ratio >= 1)) {
                throw new IllegalArgumentException("STLR ratio must be >= 1, got " + ratio);
            }
        }

        /** The paper's defaults: cut_frac 0.1, ratio 32. */
        public static SlantedTriangular defaults() {
            return new SlantedTriangular(0.1, 32);
        }

        @Override
        public double factor(long t, long total) {
            double cut = Math.max(1, Math.floor(total * cutFrac));
            double p = t < cut ? t / cut : 1 - (t - cut) / (cut * (1 / cutFrac - 1));
            return (1 + Math.max(0, p) * (ratio - 1)) / ratio;
        }
    }

    /**
     * Linear warm-up from {@code 1/steps} to 1 over the first {@code steps} steps, then
     * {@code after} over the remaining steps.
     */
    record Warmup(long steps, LrSchedule after) implements LrSchedule {
        public Warmup {
            if (steps < 1) {
                throw new IllegalArgumentException("warm-up steps must be >= 1, got " + steps);
            }
        }

        @Override
        public double factor(long t, long total) {
            if (t < steps) {
                return (t + 1.0) / steps;
            }
            return after.factor(t - steps, Math.max(1, total - steps));
        }
    }

    /** Parses a schedule name as given on the command line. */
    static LrSchedule parse(String name, long warmupSteps) {
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("--warmup must be 0 or more steps, got "
                    + warmupSteps);
        }
        LrSchedule base = switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "constant" -> new Constant();
            case "cosine" -> new Cosine();
            case "linear" -> new Linear();
            case "one-cycle", "onecycle" -> OneCycle.defaults();
            case "stlr", "slanted-triangular" -> SlantedTriangular.defaults();
            default -> throw new IllegalArgumentException("unknown schedule '" + name
                    + "'; choose constant, linear, cosine, one-cycle or stlr");
        };
        return warmupSteps > 0 ? new Warmup(warmupSteps, base) : base;
    }
}
