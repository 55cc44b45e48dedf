package dev.graft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The splits every dataset offers, computed on its labels alone so images and texts split
 * alike: class subsets, k-shot samples, stratified hold-outs.
 */
final class Splits {

    /**
     * The examples of some classes and their new labels.
     *
     * @param indices the kept examples, in their original order
     * @param labels their labels, {@code 0..k-1} in the order the classes were asked for
     */
    record Selection(int[] indices, int[] labels, List<String> classNames) {}

    private Splits() {}

    /** Keeps {@code classes}, relabelled {@code 0..k-1} in that order. */
    static Selection classes(int[] labels, List<String> classNames, String dataset,
            int... classes) {
        int[] newLabel = new int[classNames.size()];
        Arrays.fill(newLabel, -1);
        List<String> names = new ArrayList<>();
        for (int c : classes) {
            if (c < 0 || c >= classNames.size()) {
                throw new IllegalArgumentException("class " + c + " does not exist in " + dataset
                        + ", which has classes 0-" + (classNames.size() - 1) + " " + classNames);
            }
            if (newLabel[c] >= 0) {
                throw new IllegalArgumentException("class " + c + " is listed twice");
            }
            newLabel[c] = names.size();
            names.add(classNames.get(c));
        }
        boolean[] keep = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            keep[i] = newLabel[labels[i]] >= 0;
        }
        int[] idx = indicesWhere(keep, true);
        int[] relabelled = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            relabelled[i] = newLabel[labels[idx[i]]];
        }
        return new Selection(idx, relabelled, names);
    }

    /** The classes called {@code names}, as indices for {@link #classes}. */
    static int[] classIndices(List<String> classNames, List<String> names, String dataset) {
        int[] idx = new int[names.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = classNames.indexOf(names.get(i));
            if (idx[i] < 0) {
                throw new IllegalArgumentException("class '" + names.get(i) + "' is not in "
                        + dataset + " " + classNames + "; pass --classes");
            }
        }
        return idx;
    }

    /**
     * {@code shots} examples of every class, drawn without replacement by a seeded shuffle,
     * kept in their original order.
     *
     * @param noun what an example is, for the error ("images", "texts")
     */
    static int[] shots(int[] labels, List<String> classNames, int shots, long seed,
            String noun) {
        if (shots <= 0) {
            throw new IllegalArgumentException("--shots must be positive, got " + shots);
        }
        int[] counts = counts(labels, classNames.size());
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < shots) {
                throw new IllegalArgumentException("--shots " + shots + " is more than class "
                        + c + " (" + classNames.get(c) + ") has: " + counts[c] + " " + noun
                        + "; use --shots " + Arrays.stream(counts).min().orElse(0)
                        + " or fewer");
            }
        }
        int[] taken = new int[counts.length];
        boolean[] keep = new boolean[labels.length];
        for (int i : permutation(labels.length, new SplittableRandom(seed))) {
            if (taken[labels[i]] < shots) {
                taken[labels[i]]++;
                keep[i] = true;
            }
        }
        return indicesWhere(keep, true);
    }

    /**
     * Which examples a stratified, seeded hold-out of {@code fraction} of each class takes.
     *
     * @param noun what an example is, for the error
     */
    static boolean[] holdOut(int[] labels, int numClasses, double fraction, long seed,
            String noun) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got "
                    + fraction);
        }
        boolean[] held = new boolean[labels.length];
        if (fraction > 0) {
            int[] counts = counts(labels, numClasses);
            int[] quota = new int[counts.length];
            for (int c = 0; c < counts.length; c++) {
                quota[c] = (int) Math.round(counts[c] * fraction);
                if (quota[c] >= counts[c]) {
                    throw new IllegalArgumentException("class " + c + " has only " + counts[c]
                            + " " + noun + ": too few to hold out " + fraction
                            + " for validation");
                }
            }
            for (int i : permutation(labels.length, new SplittableRandom(seed))) {
                if (quota[labels[i]] > 0) {
                    quota[labels[i]]--;
                    held[i] = true;
                }
            }
        }
        return held;
    }

    static int[] counts(int[] labels, int numClasses) {
        int[] counts = new int[numClasses];
        for (int l : labels) {
            counts[l]++;
        }
        return counts;
    }

    /** A seeded Fisher-Yates permutation of {@code 0..n-1}. */
    static int[] permutation(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static int[] indicesWhere(boolean[] flags, boolean value) {
        int count = 0;
        for (boolean f : flags) {
            count += f == value ? 1 : 0;
        }
        int[] idx = new int[count];
        int k = 0;
        for (int i = 0; i < flags.length; i++) {
            if (flags[i] == value) {
                idx[k++] = i;
            }
        }
        return idx;
    }
}
