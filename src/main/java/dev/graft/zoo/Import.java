package dev.graft.zoo;

import ai.djl.ndarray.NDManager;
import dev.graft.data.Normalization;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.io.SafeTensors;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.GraftVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A safetensors file of torchvision parameter names (F32, F16 or BF16) made into a graft
 * checkpoint: the class count read from the head's weight, every name and shape checked (all
 * mismatches in one error, and a guess of the architecture the names do belong to), the
 * evaluation normalization and class names stored beside the weights.
 */
public final class Import {

    /** ImageNet's per-channel mean and standard deviation, as torchvision's transforms use. */
    public static final Normalization IMAGENET = new Normalization(
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    /**
     * Inception-v3's weights expect {@code (x - 0.5) / 0.5}: torchvision feeds them ImageNet-
     * normalized images and undoes that inside the model ({@code transform_input=True}).
     */
    public static final Normalization HALF = new Normalization(
            new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f});

    /** The auxiliary classifier's tensors in torchvision's Inception-v3 files. */
    static final String AUX = "AuxLogits.";

    /**
     * What to import.
     *
     * @param inputSize the side of the square images the model takes (0: 224, Inception 299)
     * @param classNames a text file with one class name per line, or null
     * @param normalization null: ImageNet's (Inception-v3: 0.5 / 0.5)
     * @param dropAux leave Inception-v3's auxiliary classifier out even when the file has it
     */
    public record Config(Architecture arch, Path weights, int inputSize, Path classNames,
            Normalization normalization, boolean dropAux) {
        public Config {
            if (inputSize < 0) {
                throw new IllegalArgumentException("--input-size must be positive, got "
                        + inputSize);
            }
        }

        int side() {
            return inputSize > 0 ? inputSize : arch.imageNetSide();
        }

        Normalization norm() {
            return normalization != null ? normalization
                    : arch == Architecture.INCEPTION_V3 ? HALF : IMAGENET;
        }
    }

    /**
     * What was imported.
     *
     * @param dtypes tensors per stored dtype
     * @param dropped tensors left out, with why
     */
    public record Result(Path checkpoint, String architecture, int[] inputShape, int classes,
            long parameters, Map<String, Integer> dtypes, List<String> dropped,
            Normalization normalization, boolean classNames) {}

    private final Consumer<String> log;

    public Import(Consumer<String> log) {
        this.log = log;
    }

    /** Reads {@code c.weights()}, writes the checkpoint to {@code out} (replaced atomically). */
    public Result run(Config c, Path out) {
        checkOut(out);
        int[] shape = {3, c.side(), c.side()};
        Map<String, Integer> dtypes = new TreeMap<>();
        List<String> dropped = new ArrayList<>();
        int classes;
        ModelOptions options = options(c.arch());
        try (SafeTensors st = SafeTensors.open(c.weights())) {
            Set<String> names = new HashSet<>(st.entries().keySet());
            names.removeIf(n -> n.endsWith(".num_batches_tracked"));
            st.entries().values().forEach(e -> dtypes.merge(e.dtype(), 1, Integer::sum));
            long aux = names.stream().filter(n -> n.startsWith(AUX)).count();
            if (aux > 0 && c.arch() == Architecture.INCEPTION_V3) {
                if (c.dropAux()) {
                    dropped.add(aux + " tensors of " + AUX + "* (the auxiliary classifier,"
                            + " left out as asked)");
                    names.removeIf(n -> n.startsWith(AUX));
                } else {
                    options = options.withAuxLogits(true);
                }
            }
            classes = classCount(c, options, st, names, shape);
        }
        List<String> classNames = c.classNames() == null ? null : readClassNames(c.classNames(),
                classes);
        try (NDManager manager = NDManager.newBaseManager()) {
            StagedNet net = c.arch().build(shape, classes, options).initialize(manager, 0);
            Checkpoint.loadWeights(net, c.weights(), n -> c.dropAux() && n.startsWith(AUX));
            ModelSpec spec = new ModelSpec(ModelSpec.FORMAT_VERSION, c.arch().id(),
                    net.options(), shape, classes, classNames, c.norm(), net.stageNames(),
                    Checkpoint.parameterShapes(net), new ModelSpec.Provenance(GraftVersion.graft(),
                            GraftVersion.djl(), GraftVersion.engine(), Instant.now().toString(), 0,
                            null, c.weights().toAbsolutePath().toString(), null, null, "import"));
            Checkpoint.save(out, net, spec, null);
            log.accept(String.format("imported %s: %,d parameters, %d classes, input %dx%dx%d",
                    c.arch().id(), net.parameterCount(), classes, shape[0], shape[1], shape[2]));
            return new Result(out, c.arch().id(), shape, classes, net.parameterCount(), dtypes,
                    dropped, c.norm(), classNames != null);
        }
    }

    /** ResNets keep torchvision's 7x7 stride-2 stem whatever the input size. */
    static ModelOptions options(Architecture arch) {
        return arch.id().startsWith("resnet") ? new ModelOptions(1, false) : ModelOptions.DEFAULT;
    }

    /**
     * The number of classes the file's head has, or an error naming the head tensor, and which
     * architecture the file's names match when they are not {@code c.arch()}'s.
     */
    static int classCount(Config c, ModelOptions options, SafeTensors st, Set<String> names,
            int[] shape) {
        StagedNet structure = c.arch().build(shape, 2, options);
        Set<String> expected = structure.namedParameters().keySet();
        String headWeight = structure.parameters(StagedNet.HEAD).keySet().stream()
                .filter(n -> n.endsWith("weight")).reduce((a, b) -> b).orElseThrow();
        Set<String> missing = new java.util.TreeSet<>(expected);
        missing.removeAll(names);
        Set<String> unexpected = new java.util.TreeSet<>(names);
        unexpected.removeAll(expected);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new BadFileException(c.weights(), "its tensor names are not "
                    + c.arch().id() + "'s: " + missing.size() + " missing (" + sample(missing)
                    + "), " + unexpected.size() + " unexpected (" + sample(unexpected) + ")"
                    + guess(names, c.arch()));
        }
        if (options.hasAuxLogits()) {
            checkHead(c, st, "AuxLogits.fc.weight");
        }
        return checkHead(c, st, headWeight);
    }

    /** The class count of the classifier weight {@code name}: {@code [classes >= 2, features]}. */
    private static int checkHead(Config c, SafeTensors st, String name) {
        long[] head = st.entries().get(name).shape();
        if (head.length != 2 || head[0] < 2) {
            throw new BadFileException(c.weights(), name + " has shape "
                    + java.util.Arrays.toString(head) + "; a classifier head is [classes >= 2,"
                    + " features]");
        }
        return Math.toIntExact(head[0]);
    }

    private static String sample(Set<String> names) {
        List<String> first = names.stream().limit(4).toList();
        return String.join(", ", first) + (names.size() > first.size() ? ", ..." : "");
    }

    /** "; they are resnet50's" when another architecture's names match, else empty. */
    private static String guess(Set<String> names, Architecture asked) {
        for (Architecture a : Architecture.values()) {
            if (a == asked || a == Architecture.LINEAR) {
                continue;
            }
            int side = a.imageNetSide();
            Set<String> theirs = new HashSet<>(a.build(new int[] {3, side, side}, 2, options(a))
                    .namedParameters().keySet());
            Set<String> given = new HashSet<>(names);
            given.removeIf(n -> n.startsWith(AUX)); // Inception's, with or without them
            if (theirs.equals(given)) {
                return "; they are " + a.id() + "'s: import with --arch " + a.id();
            }
        }
        return "";
    }

    /** One class name per line, blank lines skipped; exactly {@code classes} of them. */
    static List<String> readClassNames(Path file, int classes) {
        List<String> names = dev.graft.data.ClassNames.read(file);
        if (names.size() != classes) {
            throw new BadFileException(file, "has " + names.size() + " class names but the"
                    + " weights' head has " + classes + " classes; give one name per line, in"
                    + " the head's order");
        }
        return names;
    }

    /** Fails unless {@code out} may be written: not an existing non-checkpoint folder. */
    static void checkOut(Path out) {
        if (Files.isDirectory(out) && !Files.isRegularFile(out.resolve(Checkpoint.SPEC))) {
            try (var s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new GraftException("--out " + out + " is a folder that is not a graft"
                            + " checkpoint; choose a new folder (it would be replaced)");
                }
            } catch (IOException e) {
                throw new GraftException("cannot read --out " + out + ": " + e.getMessage(), e);
            }
        }
    }
}
