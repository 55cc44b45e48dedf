package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.graft.io.AtomicFiles;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.io.SafeTensors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint folder: {@code weights.safetensors} (PyTorch names, loadable with
 * {@code load_state_dict}) and {@code model.json} ({@link ModelSpec}). Saving replaces the
 * folder atomically; loading checks every name and shape and reports all mismatches at once.
 */
public final class Checkpoint {

    public static final String WEIGHTS = "weights.safetensors";
    public static final String SPEC = "model.json";
    /** A text encoder's tokenizer, in Hugging Face's {@code tokenizer.json} format. */
    public static final String TOKENIZER = "tokenizer.json";

    /** The suffix PyTorch's BatchNorm adds to its buffers; graft writes it, and ignores it on load. */
    static final String BATCHES_TRACKED = "num_batches_tracked";

    /** A loaded network and its description. */
    public record Loaded(StagedNet net, ModelSpec spec) {}

    private Checkpoint() {}

    /**
     * Writes {@code net} and {@code spec} to {@code dir}, replacing it atomically.
     *
     * @param extra writes further files into the staging folder (e.g. optimizer state), or null
     */
    public static void save(Path dir, StagedNet net, ModelSpec spec, AtomicFiles.FolderWriter extra) {
        Path tokenizer = net.architecture().isText() ? inheritedTokenizer(spec) : null;
        AtomicFiles.writeFolder(dir, staging -> {
            try (OutputStream out = Files.newOutputStream(staging.resolve(WEIGHTS))) {
                writeWeights(net, out);
            }
            Files.writeString(staging.resolve(SPEC), Json.MAPPER.writeValueAsString(spec) + "\n");
            if (tokenizer != null) {
                Files.copy(tokenizer, staging.resolve(TOKENIZER));
            }
            if (extra != null) {
                extra.write(staging);
            }
        });
    }

    /**
     * A text checkpoint derived from another (fine-tuned, distilled, pruned) keeps its parent's
     * tokenizer: the parent folder's {@code tokenizer.json}, or null when the spec names no
     * parent (an import writes its own).
     */
    private static Path inheritedTokenizer(ModelSpec spec) {
        String parent = spec.provenance() == null ? null : spec.provenance().parent();
        if (parent == null) {
            return null;
        }
        Path file = Path.of(parent.split(",")[0].trim()).resolve(TOKENIZER);
        if (!Files.isRegularFile(file)) {
            throw new GraftException("a text checkpoint needs its parent's " + TOKENIZER + ", and "
                    + file + " is missing");
        }
        return file;
    }

    /** Writes every parameter and buffer of {@code net} as safetensors, PyTorch names. */
    public static void writeWeights(StagedNet net, OutputStream out) throws IOException {
        try (NDManager tmp = net.namedParameters().values().iterator().next().getArray()
                .getManager().newSubManager()) {
            NDList list = new NDList();
            for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                a.setName(e.getKey());
                list.add(a);
                if (e.getKey().endsWith(".running_var")) {
                    String owner = e.getKey().substring(0, e.getKey().length() - "running_var".length());
                    NDArray tracked = tmp.create(0L);
                    tracked.setName(owner + BATCHES_TRACKED);
                    list.add(tracked);
                }
            }
            list.encode(out, NDList.Encoding.SAFETENSORS);
        }
    }

    /** The shape of every tensor {@code net} saves, by name (for {@code model.json}). */
    public static Map<String, long[]> parameterShapes(StagedNet net) {
        Map<String, long[]> out = new LinkedHashMap<>();
        net.namedParameters().forEach((k, p) -> out.put(k, p.getArray().getShape().getShape()));
        return out;
    }

    /**
     * Reads the {@code model.json} of the checkpoint folder given by the option {@code option}
     * (e.g. {@code --model}), refusing a folder that is not a checkpoint.
     */
    public static ModelSpec readSpec(Path dir, String option) {
        Path specFile = dir.resolve(SPEC);
        if (!Files.isRegularFile(specFile)) {
            throw new GraftException(option + " " + dir + " is not a checkpoint folder (no "
                    + SPEC + "); pass the model/ folder of a pretrain run");
        }
        return readChecked(dir);
    }

    /**
     * The tokenizer of the text checkpoint in {@code dir}, truncating at its input length and
     * checked against its vocabulary.
     */
    public static dev.graft.data.TextTokenizer tokenizer(Path dir, ModelSpec spec) {
        if (spec.options().text() == null) {
            throw new GraftException(dir + " reads images, not text: it has no tokenizer");
        }
        return dev.graft.data.TextTokenizer.open(dir.resolve(TOKENIZER), spec.inputShape()[0],
                spec.options().text().vocabSize());
    }

    /** The largest image side a checkpoint may declare (ImageNet models use 224 to 299). */
    static final int MAX_SIDE = 2048;

    /** The most classes a checkpoint may declare (ImageNet-21k has 21,841). */
    static final int MAX_CLASSES = 100_000;

    /**
     * Reads {@code model.json} and checks its fields against each other and against the
     * weights file's header before anything is built from them: a hostile or damaged file must
     * end in an error naming the field, not in a huge allocation or a null pointer.
     */
    static ModelSpec readChecked(Path dir) {
        Path specFile = dir.resolve(SPEC);
        ModelSpec spec = Json.read(specFile, ModelSpec.class);
        if (spec == null) {
            throw new BadFileException(specFile, "is empty; a checkpoint's model.json describes"
                    + " its network");
        }
        if (spec.formatVersion() > ModelSpec.FORMAT_VERSION) {
            throw new BadFileException(specFile, "formatVersion " + spec.formatVersion()
                    + " is newer than this graft understands (" + ModelSpec.FORMAT_VERSION
                    + "); upgrade graft");
        }
        List<String> problems = new ArrayList<>();
        Architecture arch = null;
        if (spec.architecture() == null) {
            problems.add("architecture is missing");
        } else {
            try {
                arch = Architecture.byId(spec.architecture());
            } catch (IllegalArgumentException e) {
                problems.add("architecture: " + e.getMessage());
            }
        }
        if (arch != null && arch.isText()) {
            problems.addAll(textProblems(spec, dir));
            if (!problems.isEmpty()) {
                throw new BadFileException(specFile, String.join("; ", problems));
            }
            if (spec.parameters() != null) {
                problems.addAll(headerDisagreements(spec, dir.resolve(WEIGHTS)));
            }
        }
        int[] shape = spec.inputShape();
        if (arch != null && arch.isText()) {
            // checked above
        } else if (shape == null || shape.length != 3 || (shape[0] != 1 && shape[0] != 3)
                || shape[1] < 1 || shape[2] < 1 || shape[1] > MAX_SIDE || shape[2] > MAX_SIDE) {
            problems.add("inputShape " + (shape == null ? "is missing" : java.util.Arrays
                    .toString(shape)) + ": need [channels (1 or 3), height, width], sides 1 to "
                    + MAX_SIDE);
        }
        if (spec.classNames() != null) {
            if (spec.numClasses() != spec.classNames().size()) {
                problems.add("numClasses " + spec.numClasses() + " but classNames lists "
                        + spec.classNames().size());
            }
            try {
                dev.graft.data.ClassNames.check(spec.classNames(), "classNames");
            } catch (GraftException e) {
                problems.add(e.getMessage());
            }
        }
        if (spec.numClasses() < 2 || spec.numClasses() > MAX_CLASSES) {
            problems.add("numClasses " + spec.numClasses() + ": need 2 to " + MAX_CLASSES);
        }
        dev.graft.data.Normalization norm = spec.normalization();
        if (arch != null && arch.isText()) {
            // text has no per-channel normalization
        } else if (norm == null) {
            problems.add("normalization is missing (per-channel mean and std)");
        } else {
            boolean finite = true;
            for (int c = 0; c < norm.std().length; c++) {
                finite &= Float.isFinite(norm.mean()[c]) && Float.isFinite(norm.std()[c])
                        && norm.std()[c] > 0;
            }
            if (shape != null && shape.length == 3 && norm.mean().length != shape[0]) {
                problems.add("normalization has " + norm.mean().length + " channel(s), the"
                        + " input " + shape[0]);
            }
            if (!finite) {
                problems.add("normalization needs finite means and positive finite stds");
            }
        }
        if (problems.isEmpty() && spec.parameters() != null && !(arch != null && arch.isText())) {
            problems.addAll(headerDisagreements(spec, dir.resolve(WEIGHTS)));
        }
        if (!problems.isEmpty()) {
            throw new BadFileException(specFile, String.join("; ", problems));
        }
        return spec;
    }

    /** What is wrong with a text encoder's model.json: its sizes, input and tokenizer. */
    private static List<String> textProblems(ModelSpec spec, Path dir) {
        List<String> out = new ArrayList<>();
        BertConfig c = spec.options() == null ? null : spec.options().text();
        if (c == null) {
            out.add("options.text is missing (a text encoder's sizes)");
        } else {
            int[] shape = spec.inputShape();
            if (shape == null || shape.length != 1 || shape[0] < 1
                    || shape[0] > c.maxPositions()) {
                out.add("inputShape " + (shape == null ? "is missing" : java.util.Arrays
                        .toString(shape)) + ": a text encoder needs [tokens], 1 to "
                        + c.maxPositions());
            }
            if (c.layers() > 1000 || (long) c.vocabSize() * c.hiddenSize() > (1L << 31)) {
                out.add("options.text " + c + " is larger than graft builds");
            }
        }
        if (!Files.isRegularFile(dir.resolve(TOKENIZER))) {
            out.add("a text encoder's folder needs its " + TOKENIZER + " beside " + SPEC);
        }
        return out;
    }

    /** Where model.json's parameter shapes and the weights file's header disagree. */
    private static List<String> headerDisagreements(ModelSpec spec, Path weights) {
        if (!Files.isRegularFile(weights)) {
            return List.of(); // loading names the missing file
        }
        List<String> out = new ArrayList<>();
        try (SafeTensors st = SafeTensors.open(weights)) {
            spec.parameters().forEach((name, shape) -> {
                SafeTensors.Entry e = st.entries().get(name);
                if (e != null && !java.util.Arrays.equals(e.shape(), shape)) {
                    out.add("parameters." + name + " is " + java.util.Arrays.toString(shape)
                            + " but " + WEIGHTS + " holds " + java.util.Arrays.toString(
                                    e.shape()));
                }
            });
        }
        return out.size() > 5 ? List.of(out.size() + " parameter shapes disagree with "
                + WEIGHTS + ", e.g. " + out.get(0)) : out;
    }

    /** Loads a checkpoint folder into a new network owned by {@code manager}. */
    public static Loaded load(Path dir, NDManager manager) {
        AtomicFiles.recoverFolder(dir);
        if (!Files.isDirectory(dir)) {
            throw new BadFileException(dir, "no checkpoint folder here (a checkpoint is a folder"
                    + " with " + SPEC + " and " + WEIGHTS + ")");
        }
        ModelSpec spec = readChecked(dir);
        Architecture arch = Architecture.byId(spec.architecture());
        ModelOptions options = spec.options() == null ? ModelOptions.DEFAULT : spec.options();
        StagedNet net = arch.build(spec.inputShape(), spec.numClasses(), options);
        net.initialize(manager, 0);
        loadWeights(net, dir.resolve(WEIGHTS));
        return new Loaded(net, spec);
    }

    /**
     * Copies the tensors of a safetensors file (e.g. saved from PyTorch) into {@code net}. Every
     * parameter must be present with the same shape, as F32, F16, BF16 or F64 (converted to
     * float32); {@code num_batches_tracked} buffers are accepted and ignored. All mismatches are
     * reported in one error, before any parameter changes.
     */
    public static void loadWeights(StagedNet net, Path file) {
        loadWeights(net, file, name -> false);
    }

    /** As {@link #loadWeights(StagedNet, Path)}, tensors named as {@code ignored} says skipped. */
    public static void loadWeights(StagedNet net, Path file,
            java.util.function.Predicate<String> ignored) {
        try (SafeTensors st = SafeTensors.open(file)) {
            Map<String, SafeTensors.Entry> byName = new LinkedHashMap<>(st.entries());
            byName.keySet().removeIf(ignored);
            List<String> problems = new ArrayList<>();
            Map<String, Parameter> params = net.namedParameters();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                SafeTensors.Entry src = byName.remove(e.getKey());
                Shape want = e.getValue().getArray().getShape();
                if (src == null) {
                    problems.add("missing " + e.getKey() + " " + want);
                } else if (!new Shape(src.shape()).equals(want)) {
                    problems.add(e.getKey() + " has shape " + new Shape(src.shape()) + ", the "
                            + net.architecture().id() + " needs " + want);
                } else if (!src.isFloatingPoint()) {
                    problems.add(e.getKey() + " is " + src.dtype() + ", expected F32, F16, BF16"
                            + " or F64");
                }
            }
            byName.keySet().removeIf(k -> k.endsWith("." + BATCHES_TRACKED));
            for (String extra : byName.keySet()) {
                problems.add("unexpected " + extra);
            }
            if (!problems.isEmpty()) {
                throw new BadFileException(file, problems.size() + " tensor(s) do not match the "
                        + net.architecture().id() + " with " + net.numClasses() + " classes: "
                        + String.join("; ", problems));
            }
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                e.getValue().getArray().set(st.floats(e.getKey()));
            }
        }
    }
}
