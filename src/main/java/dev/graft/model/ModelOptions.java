package dev.graft.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Architecture options that change a model's shape, stored in {@code model.json}.
 *
 * @param width channel multiplier for {@code convnet} (1 = 32/64 channels, 256 hidden units;
 *     0.25 = 8/16 channels, 64 hidden units)
 * @param smallStem for {@code resnet18}: 3x3 stride-1 first convolution and no max-pool, for
 *     28x28 and 32x32 inputs; null chooses by input size (small below 64 pixels)
 * @param widths the output width of every layer in {@link Architecture#channelGroups}'s order,
 *     overriding {@code width} (what structured pruning leaves: e.g. {@code [20, 23, 45, 40,
 *     180]} for a convnet); null for the widths {@code width} gives
 * @param ranks layers replaced by a low-rank factorization, by path ({@code stage3.1}), with
 *     the rank of each (see {@link Architecture#factorizableLayers}); null for none
 * @param auxLogits for {@code inception_v3}: keep torchvision's auxiliary classifier
 *     ({@code AuxLogits}), whose loss on {@code mixed6}'s output joins training at weight 0.4;
 *     null or false for none
 * @param text for {@code bert}: the encoder's sizes (layers, width, heads, vocabulary); null for
 *     image architectures
 */
public record ModelOptions(double width, Boolean smallStem, List<Integer> widths,
        Map<String, Integer> ranks, Boolean auxLogits, BertConfig text) {

    public static final ModelOptions DEFAULT = new ModelOptions(1, null);

    /** Options of a BERT-family text encoder of these sizes. */
    public static ModelOptions ofText(BertConfig config) {
        return new ModelOptions(1, null, null, null, null, config);
    }

    public ModelOptions {
        if (!(width > 0 && width <= 64)) {
            throw new IllegalArgumentException("--width must be in (0, 64], got " + width);
        }
        if (widths != null) {
            widths = List.copyOf(widths);
            if (widths.stream().anyMatch(w -> w < 1)) {
                throw new IllegalArgumentException("every layer width must be at least 1, got "
                        + widths);
            }
        }
        if (ranks != null) {
            ranks = ranks.isEmpty() ? null : java.util.Collections.unmodifiableMap(
                    new TreeMap<>(ranks));
            if (ranks != null && ranks.values().stream().anyMatch(r -> r == null || r < 1)) {
                throw new IllegalArgumentException("every rank must be at least 1, got "
                        + ranks);
            }
        }
    }

    public ModelOptions(double width, Boolean smallStem) {
        this(width, smallStem, null, null, null, null);
    }

    public ModelOptions(double width, Boolean smallStem, List<Integer> widths,
            Map<String, Integer> ranks) {
        this(width, smallStem, widths, ranks, null, null);
    }

    /** Whether the auxiliary classifier is kept. */
    public boolean hasAuxLogits() {
        return Boolean.TRUE.equals(auxLogits);
    }

    /** The same options with or without the auxiliary classifier. */
    public ModelOptions withAuxLogits(boolean keep) {
        return new ModelOptions(width, smallStem, widths, ranks, keep ? Boolean.TRUE : null, text);
    }

    /** The rank of the layer at {@code path}, or null when it is not factorized. */
    public Integer rank(String path) {
        return ranks == null ? null : ranks.get(path);
    }

    /** The same options with these layers factorized (added to those already). */
    public ModelOptions withRanks(Map<String, Integer> more) {
        Map<String, Integer> all = new TreeMap<>();
        if (ranks != null) {
            all.putAll(ranks);
        }
        all.putAll(more);
        return new ModelOptions(width, smallStem, widths, all, auxLogits, text);
    }

    /** {@code base} channels scaled by the width, at least 1. */
    public int channels(int base) {
        return (int) Math.max(1, Math.round(base * width));
    }

    /** The same options with explicit per-layer widths. */
    public ModelOptions withWidths(List<Integer> layerWidths) {
        return new ModelOptions(width, smallStem, layerWidths, ranks, auxLogits, text);
    }

    /** Whether the small-image ResNet stem applies to an input of this height and width. */
    public boolean useSmallStem(int[] inputShape) {
        return smallStem != null ? smallStem : Math.max(inputShape[1], inputShape[2]) < 64;
    }
}
