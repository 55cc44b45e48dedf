package dev.graft.transfer;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.model.StagedNet;
import dev.graft.train.ParamGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a pretrained trunk is fine-tuned under a new head, made of independent parts:
 *
 * <ul>
 *   <li>{@code freezeTo}: this stage and every stage below it stay frozen (inference mode, so
 *       their BatchNorm statistics do not move);
 *   <li>{@code unfreezeEvery}: gradual unfreezing (ULMFiT): epoch 1 trains the head only, and one
 *       more stage from the top joins every K epochs;
 *   <li>{@code discriminativeFactor}: each stage learns at the rate of the one above divided by
 *       this factor (the head at the base rate);
 *   <li>{@code slantedTriangular}: ULMFiT's STLR instead of the run's schedule;
 *   <li>{@code l2sp}: weight decay of the trunk pulls toward the pretrained weights with this
 *       strength instead of toward zero;
 *   <li>{@code probeHead}: the new head starts as the linear probe's logistic regression on the
 *       frozen trunk's codes, not at random (LP-FT, Kumar et al. 2022: a fitted head sends small
 *       gradients into the pretrained features where a random one distorts them).
 * </ul>
 *
 * @param freezeTo the highest frozen stage, or null
 * @param unfreezeEvery epochs between unfreezing steps; 0 for none
 * @param discriminativeFactor 1 for one rate everywhere; ULMFiT uses 2.6
 * @param l2sp strength of the pull toward the pretrained weights, or null for none
 * @param probeHead start the head from the linear probe's fit
 */
public record FineTunePolicy(
        @JsonProperty("name") String name,
        @JsonProperty("freeze_to") String freezeTo,
        @JsonProperty("unfreeze_every") int unfreezeEvery,
        @JsonProperty("discriminative_factor") double discriminativeFactor,
        @JsonProperty("slanted_triangular") boolean slantedTriangular,
        @JsonProperty("l2sp") Double l2sp,
        @JsonProperty("probe_head") boolean probeHead) {

    public FineTunePolicy {
        if (unfreezeEvery < 0) {
            throw new IllegalArgumentException("--unfreeze-every must be >= 0, got "
                    + unfreezeEvery);
        }
        if (!(discriminativeFactor >= 1)) {
            throw new IllegalArgumentException("--discriminative-factor must be >= 1, got "
                    + discriminativeFactor);
        }
        if (l2sp != null && !(l2sp >= 0)) {
            throw new IllegalArgumentException("--l2sp must be >= 0, got " + l2sp);
        }
    }

    /** A policy whose head starts at random. */
    public FineTunePolicy(String name, String freezeTo, int unfreezeEvery,
            double discriminativeFactor, boolean slantedTriangular, Double l2sp) {
        this(name, freezeTo, unfreezeEvery, discriminativeFactor, slantedTriangular, l2sp, false);
    }

    /** The named presets. */
    public static final List<String> PRESETS = List.of("probe", "last-stage", "full", "ulmfit",
            "lp-ft");

    /**
     * A preset for a network with these stages: {@code probe} (head only), {@code last-stage}
     * (top stage and head), {@code full} (everything), {@code ulmfit} (gradual unfreezing every
     * epoch, discriminative factor 2.6, slanted triangular rate), {@code lp-ft} (the probe's
     * head, then everything).
     */
    public static FineTunePolicy preset(String name, List<String> stages) {
        String top = stages.isEmpty() ? null : stages.get(stages.size() - 1);
        String belowTop = stages.size() < 2 ? null : stages.get(stages.size() - 2);
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "probe" -> new FineTunePolicy("probe", top, 0, 1, false, null);
            case "last-stage" -> new FineTunePolicy("last-stage", belowTop, 0, 1, false, null);
            case "full" -> new FineTunePolicy("full", null, 0, 1, false, null);
            case "ulmfit" -> new FineTunePolicy("ulmfit", null, 1, 2.6, true, null);
            case "lp-ft" -> new FineTunePolicy("lp-ft", null, 0, 1, false, null, true);
            default -> throw new IllegalArgumentException("unknown policy '" + name
                    + "'; presets are " + PRESETS);
        };
    }

    /**
     * The parameter groups of 1-based {@code epoch}, for stages bottom to top (the head is
     * added last).
     */
    public List<ParamGroup> groups(List<String> stages, int epoch) {
        int n = stages.size();
        int frozenBelow = freezeTo == null ? -1 : stages.indexOf(freezeTo);
        if (freezeTo != null && frozenBelow < 0) {
            throw new IllegalArgumentException("--freeze-to " + freezeTo + " is not a stage;"
                    + " stages are " + stages);
        }
        int unfrozenFromTop = unfreezeEvery == 0 ? n : (epoch - 1) / unfreezeEvery;
        List<ParamGroup> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int fromTop = n - i; // the top stage is 1
            boolean frozen = i <= frozenBelow || fromTop > unfrozenFromTop;
            double rate = Math.pow(discriminativeFactor, -fromTop);
            out.add(new ParamGroup(stages.get(i), rate, l2sp, frozen, l2sp != null));
        }
        out.add(new ParamGroup(StagedNet.HEAD, 1, null, false, false));
        return out;
    }
}
