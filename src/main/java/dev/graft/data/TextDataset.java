package dev.graft.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Labelled texts, immutable; splits (class subsets, k-shot samples, hold-outs) return new
 * datasets, exactly as {@link ImageDataset}'s do. A tokenizer turns one into
 * {@link TokenizedText} for a network.
 */
public final class TextDataset implements Labelled {

    private final String name;
    private final List<String> texts;
    private final int[] labels;
    private final List<String> classNames;

    /** @param labels one class index in {@code [0, classNames.size())} per text */
    public TextDataset(String name, List<String> texts, int[] labels, List<String> classNames) {
        if (texts.size() != labels.length) {
            throw new IllegalArgumentException(texts.size() + " texts but " + labels.length
                    + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException("label " + labels[i] + " of text " + i
                        + " is outside the " + classNames.size() + " classes");
            }
        }
        this.name = name;
        this.texts = List.copyOf(texts);
        this.labels = labels.clone();
        this.classNames = List.copyOf(classNames);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return labels.length;
    }

    public String text(int i) {
        return texts.get(i);
    }

    public List<String> texts() {
        return texts;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int numClasses() {
        return classNames.size();
    }

    @Override
    public int[] classCounts() {
        return Splits.counts(labels, numClasses());
    }

    /** The texts at the given positions, in that order. */
    @Override
    public TextDataset select(int[] indices) {
        List<String> t = new ArrayList<>(indices.length);
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            t.add(texts.get(indices[i]));
            l[i] = labels[indices[i]];
        }
        return new TextDataset(name, t, l, classNames);
    }

    /** Keeps the given classes, relabelled {@code 0..k-1} in the order given. */
    @Override
    public TextDataset withClasses(int... classes) {
        Splits.Selection s = Splits.classes(labels, classNames, name, classes);
        return new TextDataset(name, select(s.indices()).texts, s.labels(), s.classNames());
    }

    /** Keeps the classes called {@code names}, relabelled in that order. */
    public TextDataset withClassNames(List<String> names) {
        return withClasses(Splits.classIndices(classNames, names, name));
    }

    /** {@code shots} texts of every class, seeded, kept in their original order. */
    @Override
    public TextDataset sampleShots(int shots, long seed) {
        return select(Splits.shots(labels, classNames, shots, seed, "texts"));
    }

    /** A training / validation pair. */
    public record Split(TextDataset train, TextDataset validation) {}

    /** Holds out {@code fraction} of each class (stratified, seeded). */
    public Split holdOut(double fraction, long seed) {
        boolean[] held = Splits.holdOut(labels, numClasses(), fraction, seed, "texts");
        return new Split(select(Splits.indicesWhere(held, false)),
                select(Splits.indicesWhere(held, true)));
    }

    /** These texts followed by {@code other}'s (same classes, in the same order). */
    public TextDataset concat(TextDataset other, String newName) {
        if (!other.classNames.equals(classNames)) {
            throw new IllegalArgumentException(other.name + " has classes " + other.classNames
                    + ", " + name + " " + classNames);
        }
        List<String> t = new ArrayList<>(texts);
        t.addAll(other.texts);
        int[] l = java.util.Arrays.copyOf(labels, size() + other.size());
        System.arraycopy(other.labels, 0, l, size(), other.size());
        return new TextDataset(newName, t, l, classNames);
    }

    /** SHA-256 over class names, labels and texts: identifies the exact data trained on. */
    @Override
    public String fingerprint() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(String.join("\u0000", classNames).getBytes(StandardCharsets.UTF_8));
            ByteBuffer lb = ByteBuffer.allocate(4 * labels.length);
            for (int l : labels) {
                lb.putInt(l);
            }
            md.update(lb.array());
            for (String t : texts) {
                md.update(t.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return name + " (" + size() + " texts, " + numClasses() + " classes)";
    }
}
