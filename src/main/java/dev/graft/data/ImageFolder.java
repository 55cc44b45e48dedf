package dev.graft.data;

import dev.graft.io.GraftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A dataset of image files in torchvision's {@code ImageFolder} layout: {@code root/train/<class
 * name>/*.png|jpg} and {@code root/test/<class name>/...} (or {@code val/}). Classes are the
 * train split's sub-folders in sorted order, as torchvision numbers them. Every image goes
 * through an {@link EvalTransform} to the model's input size when read, so the dataset holds
 * bytes like any other and the rest of graft works on it unchanged.
 */
public final class ImageFolder {

    /** File extensions read, lower case. */
    static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private ImageFolder() {}

    /** Whether {@code root} has a {@code train/} folder with class sub-folders. */
    public static boolean isImageFolder(Path root) {
        Path train = root.resolve("train");
        if (!Files.isDirectory(train)) {
            return false;
        }
        try (Stream<Path> s = Files.list(train)) {
            return s.anyMatch(Files::isDirectory);
        } catch (IOException e) {
            return false;
        }
    }

    /** The test split's folder: {@code test/}, else {@code val/}. */
    static Path testFolder(Path root) {
        for (String name : List.of("test", "val")) {
            if (Files.isDirectory(root.resolve(name))) {
                return root.resolve(name);
            }
        }
        throw new GraftException(root + " has train/ but neither test/ nor val/: an image"
                + " folder needs both, each with one sub-folder per class");
    }

    /** Reads both splits through {@code transform}. */
    public static DatasetResolver.Resolved read(Path root, EvalTransform transform,
            Consumer<String> log) {
        List<String> classes = classFolders(root.resolve("train"));
        if (classes.size() < 2) {
            throw new GraftException(root.resolve("train") + " has " + classes.size() + " class"
                    + " folder(s); a classifier needs at least 2");
        }
        ClassNames.check(classes, root.resolve("train") + "'s class folders");
        Path test = testFolder(root);
        List<String> testClasses = classFolders(test);
        if (!classes.containsAll(testClasses)) {
            List<String> extra = new ArrayList<>(testClasses);
            extra.removeAll(classes);
            throw new GraftException(test + " has class folders " + extra + " that "
                    + root.resolve("train") + " lacks; both splits need the same classes");
        }
        String name = root.getFileName() == null ? root.toString() : root.getFileName().toString();
        ImageDataset train = readSplit(root.resolve("train"), classes, transform, name + "-train");
        ImageDataset testSet = readSplit(test, classes, transform, name + "-test");
        log.accept(String.format(Locale.ROOT, "image folder %s: %d classes, %d train and %d test"
                + " images, resized to %d and center-cropped to %dx%d", root, classes.size(),
                train.size(), testSet.size(), transform.resize(), transform.width(),
                transform.height()));
        return new DatasetResolver.Resolved(train, testSet, "image folder " + root);
    }

    private static List<String> classFolders(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new GraftException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Every image under {@code dir/<class>/}, read and transformed on all cores. */
    static ImageDataset readSplit(Path dir, List<String> classes, EvalTransform transform,
            String name) {
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Path folder = dir.resolve(classes.get(c));
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> s = Files.list(folder)) {
                for (Path f : s.filter(ImageFolder::isImage).sorted().toList()) {
                    files.add(f);
                    labels.add(c);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (files.isEmpty()) {
            throw new GraftException(dir + " holds no images (" + String.join(", ",
                    EXTENSIONS.stream().sorted().toList()) + ") in its class folders");
        }
        return new ImageDataset(name, transform.readAll(files), labels.stream().mapToInt(Integer::intValue)
                .toArray(), transform.channels(), transform.height(), transform.width(), classes);
    }

    /**
     * Writes {@code train} and {@code test} as an image folder at {@code root}, which must be
     * new or empty (written whole, atomically): one PNG per image, {@code
     * train/<class>/00000.png}. A "/" in a class name becomes "-", as a folder name cannot hold
     * it.
     */
    public static void write(ImageDataset train, ImageDataset test, Path root) {
        dev.graft.io.AtomicFiles.requireEmpty(root, "--out");
        ClassNames.check(train.classNames(), "the dataset's class names");
        dev.graft.io.AtomicFiles.writeFolder(root, staging -> {
            for (var split : List.of(java.util.Map.entry("train", train),
                    java.util.Map.entry("test", test))) {
                ImageDataset d = split.getValue();
                List<Path> folders = d.classNames().stream().map(n -> staging.resolve(
                        split.getKey()).resolve(folderName(n))).toList();
                for (Path f : folders) {
                    Files.createDirectories(f);
                }
                int[] counts = new int[d.numClasses()];
                for (int i = 0; i < d.size(); i++) {
                    int c = d.label(i);
                    Path file = folders.get(c).resolve(String.format(Locale.ROOT, "%05d.png",
                            counts[c]++));
                    javax.imageio.ImageIO.write(toImage(d, i), "png", file.toFile());
                }
            }
        });
    }

    static String folderName(String className) {
        return className.replace('/', '-');
    }

    /** Image {@code i} of {@code d} as an 8-bit gray or RGB picture. */
    static java.awt.image.BufferedImage toImage(ImageDataset d, int i) {
        int h = d.height();
        int w = d.width();
        int c = d.channels();
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, c == 1
                ? java.awt.image.BufferedImage.TYPE_BYTE_GRAY
                : java.awt.image.BufferedImage.TYPE_INT_RGB);
        long base = (long) i * d.imageSize();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (c == 1) {
                    img.getRaster().setSample(x, y, 0, d.pixel(base + y * w + x));
                } else {
                    int rgb = 0;
                    for (int ch = 0; ch < 3; ch++) {
                        rgb = rgb << 8 | d.pixel(base + ((long) ch * h + y) * w + x);
                    }
                    img.setRGB(x, y, rgb);
                }
            }
        }
        return img;
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return Files.isRegularFile(p) && dot > 0
                && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
