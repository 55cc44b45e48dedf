package dev.graft.data;

import java.util.List;

/**
 * Labelled examples on the host, before a network reads them, whatever they are:
 * {@link ImageDataset} or {@link TextDataset}. Label budgets, class subsets and fingerprints
 * are the same for both, so comparisons and label-budget sampling read this.
 */
public interface Labelled {

    String name();

    int size();

    List<String> classNames();

    int numClasses();

    int label(int i);

    int[] labels();

    int[] classCounts();

    /** The examples at the given positions, in that order. */
    Labelled select(int[] indices);

    /** Keeps the given classes, relabelled {@code 0..k-1} in the order given. */
    Labelled withClasses(int... classes);

    /** {@code shots} examples of every class, seeded, kept in their original order. */
    Labelled sampleShots(int shots, long seed);

    /** Identifies the exact examples (content, labels and class names). */
    String fingerprint();
}
