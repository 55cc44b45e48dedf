package dev.graft.data;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Labelled images held on the host as unsigned bytes, immutable. Splits (class subsets, k-shot
 * samples, validation hold-outs) return new datasets; {@link TensorDataset} turns one into a
 * normalized float tensor for training.
 *
 * <p>Pixels: {@code [count, channels, height, width]}, row-major, values 0..255.
 */
public final class ImageDataset implements Labelled {

    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    /**
     * @param pixels {@code count * channels * height * width} unsigned bytes
     * @param labels one class index in {@code [0, classNames.size())} per image
     */
    public ImageDataset(String name, byte[] pixels, int[] labels, int channels, int height,
            int width, List<String> classNames) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image shape must be positive, got " + channels
                    + "x" + height + "x" + width);
        }
        long imageSize = (long) channels * height * width;
        if (pixels.length != imageSize * labels.length) {
            throw new IllegalArgumentException(labels.length + " labels need "
                    + imageSize * labels.length + " pixel bytes, got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i
                        + " is outside the " + classNames.size() + " classes");
            }
        }
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
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

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Values per image. */
    public int imageSize() {
        return channels * height * width;
    }

    /** {@code [channels, height, width]}. */
    public int[] imageShape() {
        return new int[] {channels, height, width};
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int numClasses() {
        return classNames.size();
    }

    /** The label of image {@code i}. */
    @Override
    public int label(int i) {
        return labels[i];
    }

    /** A copy of the labels. */
    @Override
    public int[] labels() {
        return labels.clone();
    }

    /** The raw pixel bytes (not copied: do not modify). */
    byte[] rawPixels() {
        return pixels;
    }

    /** Unsigned pixel value {@code 0..255} at flat position {@code index}. */
    public int pixel(long index) {
        return pixels[(int) index] & 0xff;
    }

    /** Images per class, indexed by class. */
    @Override
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int l : labels) {
            counts[l]++;
        }
        return counts;
    }

    /** The images at the given positions, in that order. */
    @Override
    public ImageDataset select(int[] indices) {
        int n = imageSize();
        byte[] p = new byte[indices.length * n];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels, indices[i] * n, p, i * n, n);
            l[i] = labels[indices[i]];
        }
        return new ImageDataset(name, p, l, channels, height, width, classNames);
    }

    /**
     * Keeps only the given classes and relabels them {@code 0..k-1} in the order given, so
     * {@code withClasses(5, 6, 7)} turns class 5 into class 0.
     */
    @Override
    public ImageDataset withClasses(int... classes) {
        Splits.Selection s = Splits.classes(labels, classNames, name, classes);
        return new ImageDataset(name, select(s.indices()).pixels, s.labels(), channels, height,
                width, s.classNames());
    }

    /**
     * The same images (shared, not copied) under other labels: another task's answers to them.
     */
    public ImageDataset withLabels(String name, int[] labels, List<String> classNames) {
        return new ImageDataset(name, pixels, labels, channels, height, width, classNames);
    }

    /**
     * Keeps the classes called {@code names}, relabelled in that order (how a model trained on a
     * class subset is matched to its dataset).
     */
    public ImageDataset withClassNames(List<String> names) {
        return withClasses(Splits.classIndices(classNames, names, name));
    }

    /**
     * A k-shot sample: {@code shots} images of every class, drawn without replacement by a
     * seeded shuffle, kept in their original order.
     */
    @Override
    public ImageDataset sampleShots(int shots, long seed) {
        return select(Splits.shots(labels, classNames, shots, seed, "images"));
    }

    /** A training / validation pair. */
    public record Split(ImageDataset train, ImageDataset validation) {}

    /**
     * Holds out {@code fraction} of each class (stratified, seeded) for validation. A fraction
     * of 0 returns an empty validation set.
     */
    public Split holdOut(double fraction, long seed) {
        boolean[] isVal = Splits.holdOut(labels, numClasses(), fraction, seed, "images");
        return new Split(select(Splits.indicesWhere(isVal, false)),
                select(Splits.indicesWhere(isVal, true)));
    }

    /** SHA-256 over shape, class names, labels and pixels: identifies the exact data trained on. */
    @Override
    public String fingerprint() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(ByteBuffer.allocate(12).putInt(channels).putInt(height).putInt(width)
                    .array());
            md.update(String.join("\u0000", classNames).getBytes(
                    java.nio.charset.StandardCharsets.UTF_8));
            ByteBuffer lb = ByteBuffer.allocate(4 * labels.length);
            for (int l : labels) {
                lb.putInt(l);
            }
            md.update(lb.array());
            md.update(pixels);
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every image cut into {@code block x block} squares that are shuffled, each image by its
     * own seeded permutation (Neyshabur et al. 2020): low-level statistics such as the pixel
     * and local-texture distributions survive, the arrangement of visual features does not.
     * {@code block} equal to the image side leaves images as they are; 1 shuffles pixels.
     *
     * @throws IllegalArgumentException when {@code block} does not divide height and width,
     *     naming the sizes that do
     */
    public ImageDataset blockShuffled(int block, long seed) {
        checkBlockSize(block);
        int rows = height / block;
        int cols = width / block;
        int imageSize = imageSize();
        byte[] out = new byte[pixels.length];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < labels.length; i++) {
            int[] perm = permutation(rows * cols, rng);
            int base = i * imageSize;
            for (int to = 0; to < perm.length; to++) {
                int from = perm[to];
                int fy = from / cols * block;
                int fx = from % cols * block;
                int ty = to / cols * block;
                int tx = to % cols * block;
                for (int c = 0; c < channels; c++) {
                    int plane = base + c * height * width;
                    for (int y = 0; y < block; y++) {
                        System.arraycopy(pixels, plane + (fy + y) * width + fx, out,
                                plane + (ty + y) * width + tx, block);
                    }
                }
            }
        }
        return new ImageDataset(name + "-blocks" + block, out, labels, channels, height, width,
                classNames);
    }

    /**
     * @throws IllegalArgumentException when {@code block} does not divide height and width,
     *     naming the sizes that do
     */
    public void checkBlockSize(int block) {
        if (block < 1 || height % block != 0 || width % block != 0) {
            List<Integer> ok = new ArrayList<>();
            for (int b = 1; b <= Math.min(height, width); b++) {
                if (height % b == 0 && width % b == 0) {
                    ok.add(b);
                }
            }
            throw new IllegalArgumentException("block size " + block + " does not divide the "
                    + height + "x" + width + " images of " + name + "; choose one of " + ok);
        }
    }

    /** A seeded Fisher-Yates permutation of {@code 0..n-1}. */
    public static int[] permutation(int n, SplittableRandom rng) {
        return Splits.permutation(n, rng);
    }

    @Override
    public String toString() {
        return name + " (" + size() + " images " + channels + "x" + height + "x" + width + ", "
                + numClasses() + " classes)";
    }
}
