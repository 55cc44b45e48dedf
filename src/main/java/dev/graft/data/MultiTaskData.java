package dev.graft.data;

import dev.graft.io.GraftException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Images with several label sets, one per task: the same inputs, several questions. The
 * images' own labels are the first task's.
 *
 * <p>The benchmarks are built deterministically from a seed (Sener and Koltun 2018's MultiMNIST
 * construction, as ParetoMTL applies it to Fashion-MNIST): two 28 x 28 items on a 36 x 36
 * canvas, one at the top-left (rows and columns 0-27), one at the bottom-right (6-33), overlapping
 * by the pixel maximum.
 *
 * <ul>
 *   <li>{@code multi-fashion}: two garments; tasks {@code left} and {@code right};
 *   <li>{@code multi-fashion+mnist}: a garment (top-left) and a digit; tasks {@code garment}
 *       and {@code digit};
 *   <li>{@code fashion-mnist+rotation}: each garment turned by a seeded number of quarter
 *       turns; tasks {@code class} and {@code rotation} (the self-supervised auxiliary task of
 *       Gidaris et al. 2018 beside the class).
 * </ul>
 *
 * Each takes {@code -small} for the bundled subsets ({@code multi-fashion-small}: 6,000 / 1,000
 * pairs). Every image of the first dataset is the top-left item of one pair; its partner is
 * drawn by a seeded permutation, so the pairs are the same on every machine.
 *
 * @param tasks in order; each task's labels are aligned with the images
 */
public record MultiTaskData(String name, ImageDataset images, List<Task> tasks) {

    /** One task: its name, classes and a label per image. */
    public record Task(String name, List<String> classNames, int[] labels) {
        public Task {
            classNames = List.copyOf(classNames);
        }
    }

    /** The side of the canvas and where the second item starts on it. */
    public static final int CANVAS = 36;
    public static final int OFFSET = 6;
    /** Seeds the pairing; fixed, so a name always means the same pairs. */
    static final long PAIR_SEED = 20181012L;

    public MultiTaskData {
        tasks = List.copyOf(tasks);
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("multi-task data needs at least one task");
        }
        Set<String> names = new java.util.HashSet<>();
        for (Task t : tasks) {
            if (!names.add(t.name())) {
                throw new GraftException("two tasks are called '" + t.name() + "' in " + name
                        + "; task names must differ");
            }
            if (t.labels().length != images.size()) {
                throw new IllegalArgumentException("task " + t.name() + " has " + t.labels().length
                        + " labels for " + images.size() + " images");
            }
        }
    }

    /** A train / test pair and where it came from. */
    public record Resolved(MultiTaskData train, MultiTaskData test, String source) {}

    /** The benchmarks graft builds, by name. */
    public static final List<String> NAMES = List.of("multi-fashion", "multi-fashion-small",
            "multi-fashion+mnist", "multi-fashion+mnist-small", "fashion-mnist+rotation",
            "fashion-mnist-small+rotation");

    /** The rotation task's classes: quarter turns clockwise. */
    public static final List<String> ROTATIONS = List.of("0", "90", "180", "270");

    /**
     * The training and test images of every task, in parts: one part holding every task when
     * the tasks share their images (a benchmark), or one single-task part per dataset when each
     * task has images of its own (LibMTL's multi-input case), trained on a batch of each.
     */
    public record Parts(List<MultiTaskData> train, List<MultiTaskData> test, String source) {
        public Parts {
            train = List.copyOf(train);
            test = List.copyOf(test);
        }

        /** Every task, part by part. */
        public List<Task> tasks() {
            return train.stream().flatMap(p -> p.tasks().stream()).toList();
        }
    }

    /** Whether {@code data} names multi-task data: a benchmark, or datasets joined by commas. */
    public static boolean isMultiTask(String data) {
        return NAMES.contains(data) || data.contains(",");
    }

    /**
     * Resolves multi-task data: a benchmark's name (one part), or {@code [TASK=]DATASET,...}, a
     * task per dataset on images of its own (named by the dataset unless {@code TASK=} names it;
     * characters other than letters, digits, '_' and '-' become '-'). Every dataset must have
     * the first one's image shape.
     */
    public static Parts resolveParts(String data, DatasetResolver resolver, Consumer<String> log) {
        if (!data.contains(",")) {
            Resolved r = resolve(data, resolver, log);
            return new Parts(List.of(r.train()), List.of(r.test()), r.source());
        }
        List<MultiTaskData> train = new ArrayList<>();
        List<MultiTaskData> test = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (String item : data.split(",", -1)) {
            int eq = item.indexOf('=');
            String dataset = item.substring(eq + 1).trim();
            String task = eq < 0 ? dataset.replaceAll("[^A-Za-z0-9_-]", "-") : item.substring(0,
                    eq).trim();
            if (dataset.isEmpty() || !task.matches("[A-Za-z0-9_-]+")) {
                throw new GraftException("--data " + data + ": '" + item + "' is not [TASK=]"
                        + "DATASET (a task name of letters, digits, '_' or '-')");
            }
            if (!names.add(task)) {
                throw new GraftException("--data " + data + ": two tasks are called '" + task
                        + "'; name them apart as TASK=DATASET");
            }
            DatasetResolver.Resolved r = resolver.resolve(dataset, log);
            int[] shape = r.train().imageShape();
            if (!train.isEmpty() && !java.util.Arrays.equals(shape, train.get(0).images()
                    .imageShape())) {
                throw new GraftException("--data " + data + ": task " + task + " (" + dataset
                        + ") has " + shapeText(shape) + " images and task " + train.get(0)
                        .tasks().get(0).name() + " " + shapeText(train.get(0).images()
                                .imageShape()) + "; the tasks of one trunk need one input"
                        + " shape");
            }
            train.add(new MultiTaskData(dataset, r.train(), List.of(new Task(task,
                    r.train().classNames(), r.train().labels()))));
            test.add(new MultiTaskData(dataset, r.test(), List.of(new Task(task,
                    r.test().classNames(), r.test().labels()))));
            sources.add(task + ": " + r.source());
        }
        return new Parts(train, test, String.join("; ", sources));
    }

    private static String shapeText(int[] shape) {
        return shape[0] + "x" + shape[1] + "x" + shape[2];
    }

    /** Builds the benchmark called {@code name} from datasets {@code resolver} finds. */
    public static Resolved resolve(String name, DatasetResolver resolver, Consumer<String> log) {
        boolean small = name.endsWith("-small") || name.endsWith("-small+rotation");
        String suffix = small ? "-small" : "";
        if (name.equals("multi-fashion" + suffix)) {
            DatasetResolver.Resolved f = resolver.resolve("fashion-mnist" + suffix, log);
            return new Resolved(pairs(name, f.train(), f.train(), "left", "right", "train"),
                    pairs(name, f.test(), f.test(), "left", "right", "test"),
                    "pairs of " + f.source());
        }
        if (name.equals("multi-fashion+mnist" + suffix)) {
            DatasetResolver.Resolved f = resolver.resolve("fashion-mnist" + suffix, log);
            DatasetResolver.Resolved d = resolver.resolve("mnist" + suffix, log);
            return new Resolved(pairs(name, f.train(), d.train(), "garment", "digit", "train"),
                    pairs(name, f.test(), d.test(), "garment", "digit", "test"),
                    "garments of " + f.source() + " with digits of " + d.source());
        }
        if (name.equals("fashion-mnist" + suffix + "+rotation")) {
            DatasetResolver.Resolved f = resolver.resolve("fashion-mnist" + suffix, log);
            return new Resolved(rotated(name, f.train(), "train"), rotated(name, f.test(),
                    "test"), f.source() + ", each image turned by a seeded quarter turn");
        }
        throw new GraftException("--data " + name + " is not a multi-task dataset; known: "
                + String.join(", ", NAMES));
    }

    /**
     * Pair {@code i} puts {@code first[i]} at the top-left and {@code second[partner(i)]} at the
     * bottom-right, for as many pairs as {@code first} has images (the partners cycle through
     * {@code second} when it is smaller).
     */
    static MultiTaskData pairs(String name, ImageDataset first, ImageDataset second,
            String firstTask, String secondTask, String split) {
        if (first.channels() != 1 || first.height() != 28 || first.width() != 28
                || second.channels() != 1 || second.height() != 28 || second.width() != 28) {
            throw new GraftException(name + " pairs 28 x 28 grey images; got "
                    + first.channels() + "x" + first.height() + "x" + first.width() + " and "
                    + second.channels() + "x" + second.height() + "x" + second.width());
        }
        int n = first.size();
        int[] partner = partners(n, second.size(), seed(split));
        byte[] canvas = new byte[n * CANVAS * CANVAS];
        int[] a = new int[n];
        int[] b = new int[n];
        for (int i = 0; i < n; i++) {
            place(first, i, canvas, i, 0);
            place(second, partner[i], canvas, i, OFFSET);
            a[i] = first.label(i);
            b[i] = second.label(partner[i]);
        }
        ImageDataset images = new ImageDataset(name, canvas, a, 1, CANVAS, CANVAS,
                first.classNames());
        return new MultiTaskData(name, images, List.of(new Task(firstTask, first.classNames(),
                a), new Task(secondTask, second.classNames(), b)));
    }

    /**
     * Every image turned clockwise by a seeded number of quarter turns (exact: pixels move, none
     * is interpolated); tasks {@code class} (the image's own label) and {@code rotation}.
     */
    static MultiTaskData rotated(String name, ImageDataset d, String split) {
        int side = d.height();
        if (d.width() != side) {
            throw new GraftException(name + " turns square images; got " + d.height() + "x"
                    + d.width());
        }
        int n = d.size();
        int plane = side * side;
        int c = d.channels();
        byte[] out = new byte[n * c * plane];
        int[] turns = new int[n];
        SplittableRandom rng = new SplittableRandom(seed(split + "-rotation"));
        for (int i = 0; i < n; i++) {
            turns[i] = rng.nextInt(4);
            for (int ch = 0; ch < c; ch++) {
                long from = ((long) i * c + ch) * plane;
                int to = (i * c + ch) * plane;
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        int[] src = source(turns[i], y, x, side);
                        out[to + y * side + x] = (byte) d.pixel(from + src[0] * side + src[1]);
                    }
                }
            }
        }
        ImageDataset images = new ImageDataset(name, out, d.labels(), c, side, side,
                d.classNames());
        return new MultiTaskData(name, images, List.of(new Task("class", d.classNames(),
                d.labels()), new Task("rotation", ROTATIONS, turns)));
    }

    /**
     * Where output pixel ({@code y}, {@code x}) of an image turned clockwise {@code turns}
     * quarter turns comes from: one turn maps source (r, c) to (c, side - 1 - r).
     */
    static int[] source(int turns, int y, int x, int side) {
        int m = side - 1;
        return switch (turns) {
            case 0 -> new int[] {y, x};
            case 1 -> new int[] {m - x, y};
            case 2 -> new int[] {m - y, m - x};
            default -> new int[] {x, m - y};
        };
    }

    /**
     * A seeded partner in {@code [0, m)} for each of {@code n} images: a permutation of
     * {@code m} repeated, never the image itself when both items come from one set of {@code n}.
     */
    static int[] partners(int n, int m, long seed) {
        int[] perm = ImageDataset.permutation(m, new SplittableRandom(seed));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = perm[i % m];
        }
        if (n == m && n > 1) {
            for (int i = 0; i < n; i++) {
                if (out[i] == i) {
                    int j = (i + 1) % n;
                    int t = out[i];
                    out[i] = out[j];
                    out[j] = t;
                }
            }
        }
        return out;
    }

    /** Writes image {@code k} of {@code d} into canvas {@code c} at ({@code at}, {@code at}), by maximum. */
    private static void place(ImageDataset d, int k, byte[] canvas, int c, int at) {
        long from = (long) k * 28 * 28;
        int base = c * CANVAS * CANVAS;
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = d.pixel(from + y * 28 + x);
                int idx = base + (y + at) * CANVAS + x + at;
                if (v > (canvas[idx] & 0xff)) {
                    canvas[idx] = (byte) v;
                }
            }
        }
    }

    private static long seed(String split) {
        return PAIR_SEED ^ split.hashCode();
    }

    public int size() {
        return images.size();
    }

    /** The task called {@code name}, or an error listing the tasks. */
    public int taskIndex(String task) {
        for (int k = 0; k < tasks.size(); k++) {
            if (tasks.get(k).name().equals(task)) {
                return k;
            }
        }
        throw new GraftException("--task " + task + ": " + name + " has tasks "
                + tasks.stream().map(Task::name).toList());
    }

    /** The images labelled for task {@code k} (the pixels shared). */
    public ImageDataset forTask(int k) {
        Task t = tasks.get(k);
        return images.withLabels(name + ":" + t.name(), t.labels(), t.classNames());
    }

    /**
     * {@code shots} examples of every class of task {@code k}, drawn by a seeded shuffle, with
     * every task's labels of them.
     */
    public MultiTaskData shots(int k, int shots, long seed) {
        Task t = tasks.get(k);
        return select(Splits.shots(t.labels(), t.classNames(), shots, seed, "images"));
    }

    /** The examples at {@code indices}, every task's labels with them. */
    public MultiTaskData select(int[] indices) {
        List<Task> picked = new ArrayList<>();
        for (Task t : tasks) {
            int[] l = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                l[i] = t.labels()[indices[i]];
            }
            picked.add(new Task(t.name(), t.classNames(), l));
        }
        return new MultiTaskData(name, images.select(indices), picked);
    }

    /** SHA-256 over the images and every task's name, classes and labels. */
    public String fingerprint() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(images.fingerprint().getBytes(StandardCharsets.UTF_8));
            for (Task t : tasks) {
                md.update(t.name().getBytes(StandardCharsets.UTF_8));
                md.update(String.join("\u0000", t.classNames()).getBytes(StandardCharsets.UTF_8));
                ByteBuffer b = ByteBuffer.allocate(4 * t.labels().length);
                for (int l : t.labels()) {
                    b.putInt(l);
                }
                md.update(b.array());
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
