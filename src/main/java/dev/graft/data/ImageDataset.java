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
public final class ImageDataset {

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

    public String name() {
        return name;
    }

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

    public List<String> classNames() {
        return classNames;
    }

    public int numClasses() {
        return classNames.size();
    }

    /** The label of image {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** A copy of the labels. */
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
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int l : labels) {
            counts[l]++;
        }
        return counts;
    }

    /** The images at the given positions, in that order. */
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
    public ImageDataset withClasses(int... classes) {
        int[] newLabel = new int[numClasses()];
        Arrays.fill(newLabel, -1);
        List<String> names = new ArrayList<>();
        for (int c : classes) {
            if (c < 0 || c >= numClasses()) {
                throw new IllegalArgumentException("class " + c + " does not exist in " + name
                        + ", which has classes 0-" + (numClasses() - 1) + " " + classNames);
            }
            if (newLabel[c] >= 0) {
                throw new IllegalArgumentException("class " + c + " is listed twice");
            }
            newLabel[c] = names.size();
            names.add(classNames.get(c));
        }
        int kept = 0;
        for (int l : labels) {
            kept += newLabel[l] >= 0 ? 1 : 0;
        }
        int[] idx = new int[kept];
        int k = 0;
        for (int i = 0; i < labels.length; i++) {
            if (newLabel[labels[i]] >= 0) {
                idx[k++] = i;
            }
        }
        ImageDataset sub = select(idx);
        int[] relabelled = new int[kept];
        for (int i = 0; i < kept; i++) {
            relabelled[i] = newLabel[sub.labels[i]];
        }
        return new ImageDataset(name, sub.pixels, relabelled, channels, height, width, names);
    }

    /**
     * Keeps the classes called {@code names}, relabelled in that order (how a model trained on a
     * class subset is matched to its dataset).
     */
    public ImageDataset withClassNames(List<String> names) {
        int[] idx = new int[names.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = classNames.indexOf(names.get(i));
            if (idx[i] < 0) {
                throw new IllegalArgumentException("class '" + names.get(i) + "' is not in "
                        + name + " " + classNames + "; pass --classes");
            }
        }
        return withClasses(idx);
    }

    /**
     * A k-shot sample: {@code shots} images of every class, drawn without replacement by a
     * seeded shuffle, kept in their original order.
     */
    public ImageDataset sampleShots(int shots, long seed) {
        if (shots <= 0) {
            throw new IllegalArgumentException("--shots must be positive, got " + shots);
        }
        int[] counts = classCounts();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < shots) {
                throw new IllegalArgumentException("--shots " + shots + " is more than class "
                        + c + " (" + classNames.get(c) + ") has: " + counts[c]
                        + " images; use --shots " + Arrays.stream(counts).min().orElse(0)
                        + " or fewer");
            }
        }
        int[] order = permutation(size(), new SplittableRandom(seed));
        int[] taken = new int[numClasses()];
        boolean[] keep = new boolean[size()];
        for (int i : order) {
            if (taken[labels[i]] < shots) {
                taken[labels[i]]++;
                keep[i] = true;
            }
        }
        return select(indicesWhere(keep, true));
    }

    /** A training / validation pair. */
    public record Split(ImageDataset train, ImageDataset validation) {}

    /**
     * Holds out {@code fraction} of each class (stratified, seeded) for validation. A fraction
     * of 0 returns an empty validation set.
     */
    public Split holdOut(double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got "
                    + fraction);
        }
        boolean[] isVal = new boolean[size()];
        if (fraction > 0) {
            int[] counts = classCounts();
            int[] quota = new int[counts.length];
            for (int c = 0; c < counts.length; c++) {
                quota[c] = (int) Math.round(counts[c] * fraction);
                if (quota[c] >= counts[c]) {
                    throw new IllegalArgumentException("class " + c + " has only " + counts[c]
                            + " images: too few to hold out " + fraction + " for validation");
                }
            }
            for (int i : permutation(size(), new SplittableRandom(seed))) {
                if (quota[labels[i]] > 0) {
                    quota[labels[i]]--;
                    isVal[i] = true;
                }
            }
        }
        return new Split(select(indicesWhere(isVal, false)), select(indicesWhere(isVal, true)));
    }

    /** SHA-256 over shape, class names, labels and pixels: identifies the exact data trained on. */
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

    private static int[] indicesWhere(boolean[] flags, boolean value) {
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

    @Override
    public String toString() {
        return name + " (" + size() + " images " + channels + "x" + height + "x" + width + ", "
                + numClasses() + " classes)";
    }
}
