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
        save(dir, net, Map.of(), spec, extra);
    }

    /**
     * Writes a multi-task checkpoint: {@code net} (the trunk and the first task's head) and,
     * under {@link ModelSpec#taskPrefix}, each further task's own layers ({@link
     * StagedNet#parametersAbove} the stage its head sits on), by task name; {@code spec} lists
     * the tasks and every tensor.
     */
    public static void save(Path dir, StagedNet net, Map<String, Map<String, Parameter>> heads,
            ModelSpec spec, AtomicFiles.FolderWriter extra) {
        Path tokenizer = net.architecture().isText() ? inheritedTokenizer(spec) : null;
        Map<String, Parameter> tensors = tensors(net, heads);
        AtomicFiles.writeFolder(dir, staging -> {
            try (OutputStream out = Files.newOutputStream(staging.resolve(WEIGHTS))) {
                writeTensors(tensors, out);
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

    /** Every tensor a checkpoint of {@code net} with further tasks' own layers holds. */
    private static Map<String, Parameter> tensors(StagedNet net,
            Map<String, Map<String, Parameter>> heads) {
        Map<String, Parameter> out = new LinkedHashMap<>(net.namedParameters());
        heads.forEach((task, h) -> h.forEach((n, p) -> out.put(ModelSpec.taskPrefix(task) + n,
                p)));
        return out;
    }

    /** Writes every parameter and buffer of {@code net} as safetensors, PyTorch names. */
    public static void writeWeights(StagedNet net, OutputStream out) throws IOException {
        writeTensors(net.namedParameters(), out);
    }

    private static void writeTensors(Map<String, Parameter> tensors, OutputStream out)
            throws IOException {
        try (NDManager tmp = tensors.values().iterator().next().getArray()
                .getManager().newSubManager()) {
            NDList list = new NDList();
            for (Map.Entry<String, Parameter> e : tensors.entrySet()) {
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
        return parameterShapes(net, Map.of());
    }

    /** The shape of every tensor of a multi-task checkpoint, by name. */
    public static Map<String, long[]> parameterShapes(StagedNet net,
            Map<String, Map<String, Parameter>> heads) {
        Map<String, long[]> out = new LinkedHashMap<>();
        tensors(net, heads).forEach((k, p) -> out.put(k, p.getArray().getShape().getShape()));
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
        if (spec.tasks() != null) {
            problems.addAll(taskProblems(spec));
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

    /** What is wrong with a multi-task checkpoint's list of tasks. */
    private static List<String> taskProblems(ModelSpec spec) {
        List<String> out = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int k = 0; k < spec.tasks().size(); k++) {
            ModelSpec.Task t = spec.tasks().get(k);
            if (t == null || t.name() == null || !t.name().matches("[A-Za-z0-9_-]+")) {
                out.add("tasks[" + k + "] needs a name of letters, digits, '_' or '-'");
                continue;
            }
            if (!names.add(t.name())) {
                out.add("tasks names '" + t.name() + "' twice");
            }
            if (t.classNames() == null || t.classNames().size() < 2
                    || t.classNames().size() > MAX_CLASSES) {
                out.add("tasks[" + k + "] (" + t.name() + ") needs 2 to " + MAX_CLASSES
                        + " classNames");
            } else if (k == 0 && spec.classNames() != null && !t.classNames().equals(
                    spec.classNames())) {
                out.add("tasks[0] (" + t.name() + ") is the network's own head and must have"
                        + " its classNames");
            }
            List<String> stages = spec.stages() == null ? List.of() : spec.stages();
            if (t.stage() != null && !stages.contains(t.stage())) {
                out.add("tasks[" + k + "] (" + t.name() + ") has its head on stage '"
                        + t.stage() + "', which is not one of stages " + stages);
            } else if (k == 0 && t.stage() != null && !t.stage().equals(stages.get(
                    stages.size() - 1))) {
                out.add("tasks[0] (" + t.name() + ") is the network's own head, on the top"
                        + " stage " + stages.get(stages.size() - 1) + ", not " + t.stage());
            }
        }
        if (spec.tasks().isEmpty()) {
            out.add("tasks is empty; leave it out for a single-task checkpoint");
        }
        return out;
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
        loadWeights(net, dir.resolve(WEIGHTS), n -> spec.tasks() != null
                && n.startsWith("tasks."), n -> n);
        return new Loaded(net, spec);
    }

    /**
     * One task of a multi-task checkpoint as a single-task network: the shared trunk up to the
     * stage the task's head sits on, the task's own layers above it, and the description a
     * single-task checkpoint of it has.
     */
    public static Loaded loadTask(Path dir, String task, NDManager manager) {
        AtomicFiles.recoverFolder(dir);
        ModelSpec spec = readSpec(dir, "--model");
        int k = taskIndex(dir, spec, task);
        if (k == 0) {
            Loaded own = load(dir, manager);
            return new Loaded(own.net(), single(spec, spec.tasks().get(0), own.net(), dir));
        }
        ModelSpec.Task t = spec.tasks().get(k);
        ModelOptions options = spec.options() == null ? ModelOptions.DEFAULT : spec.options();
        StagedNet net = Architecture.byId(spec.architecture()).build(spec.inputShape(),
                t.classNames().size(), options).initialize(manager, 0);
        java.util.Set<String> own = net.parametersAbove(headStage(spec, t)).keySet();
        String prefix = ModelSpec.taskPrefix(task);
        loadWeights(net, dir.resolve(WEIGHTS), n -> own.contains(n) || (n.startsWith("tasks.")
                && !n.startsWith(prefix)), n -> own.contains(n) ? prefix + n : n);
        return new Loaded(net, single(spec, t, net, dir));
    }

    private static ModelSpec single(ModelSpec spec, ModelSpec.Task t, StagedNet net, Path dir) {
        ModelSpec.Provenance p = spec.provenance();
        return new ModelSpec(spec.formatVersion(), spec.architecture(), spec.options(),
                spec.inputShape(), t.classNames().size(), t.classNames(), spec.normalization(),
                spec.stages(), parameterShapes(net), p == null ? null : new ModelSpec.Provenance(
                        p.graftVersion(), p.djlVersion(), p.engine(), p.created(), p.seed(),
                        t.dataset(), p.dataSource(), p.dataFingerprint(), dir.toString(),
                        p.command() + " (task " + t.name() + ")"));
    }

    /** The stage task {@code t}'s head sits on: the one it names, else the top stage. */
    public static String headStage(ModelSpec spec, ModelSpec.Task t) {
        return t.stage() != null ? t.stage() : spec.stages().get(spec.stages().size() - 1);
    }

    private static int taskIndex(Path dir, ModelSpec spec, String task) {
        if (spec.tasks() == null) {
            throw new GraftException("--task " + task + ": " + dir + " is a single-task"
                    + " checkpoint; --task picks a head of a multi-task one (graft multitask)");
        }
        for (int k = 0; k < spec.tasks().size(); k++) {
            if (spec.tasks().get(k).name().equals(task)) {
                return k;
            }
        }
        throw new GraftException("--task " + task + ": " + dir + " has tasks " + spec.tasks()
                .stream().map(ModelSpec.Task::name).toList());
    }

    /**
     * The single-task checkpoint of {@code task} in the multi-task checkpoint {@code dir}, for
     * every command that works on one head: {@code dir} itself for the first task, else the
     * folder {@code <dir>-<task>} beside it, written (atomically) from {@code dir}'s weights
     * when it is missing or older than them.
     */
    public static Path taskCheckpoint(Path dir, String task) {
        ModelSpec spec = readSpec(dir, "--model");
        if (taskIndex(dir, spec, task) == 0) {
            return dir;
        }
        Path out = dir.resolveSibling(dir.getFileName() + "-" + task);
        try {
            if (Files.isRegularFile(out.resolve(WEIGHTS)) && Files.getLastModifiedTime(out
                    .resolve(WEIGHTS)).compareTo(Files.getLastModifiedTime(dir.resolve(
                            WEIGHTS))) >= 0) {
                return out;
            }
        } catch (IOException e) {
            throw new GraftException("cannot read " + out + ": " + e.getMessage(), e);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Loaded l = loadTask(dir, task, m);
            save(out, l.net(), l.spec(), null);
        }
        return out;
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
        loadWeights(net, file, ignored, n -> n);
    }

    /**
     * As {@link #loadWeights(StagedNet, Path, java.util.function.Predicate)}, each parameter
     * read from the tensor {@code stored} names.
     */
    private static void loadWeights(StagedNet net, Path file,
            java.util.function.Predicate<String> ignored,
            java.util.function.UnaryOperator<String> stored) {
        try (SafeTensors st = SafeTensors.open(file)) {
            Map<String, SafeTensors.Entry> byName = new LinkedHashMap<>(st.entries());
            byName.keySet().removeIf(ignored);
            List<String> problems = new ArrayList<>();
            Map<String, Parameter> params = net.namedParameters();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                SafeTensors.Entry src = byName.remove(stored.apply(e.getKey()));
                Shape want = e.getValue().getArray().getShape();
                if (src == null) {
                    problems.add("missing " + stored.apply(e.getKey()) + " " + want);
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
                e.getValue().getArray().set(st.floats(stored.apply(e.getKey())));
            }
        }
    }
}
