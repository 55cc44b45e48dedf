package dev.graft.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.io.SafeTensors;
import dev.graft.model.BertConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A Hugging Face BERT-family model folder (bge, e5, MiniLM, BERT itself) made into a graft text
 * checkpoint: {@code config.json} gives the sizes, {@code model.safetensors} the weights (F32,
 * F16 or BF16), {@code tokenizer.json} the tokenizer, and sentence-transformers'
 * {@code sentence_bert_config.json}, when present, the longest input. Weight names are read as
 * {@code BertModel} writes them, with or without the {@code bert.} prefix task models add; the
 * pooler, masked-language and classification heads are left out (graft's head pools the tokens'
 * mean and is trained afresh by every command that learns a task).
 */
public final class HuggingFaceBert {

    /** The files read from the folder. */
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String SENTENCE_CONFIG = "sentence_bert_config.json";

    /** Inputs longer than this are cut when the folder does not say (BERT's positions). */
    static final int DEFAULT_TOKENS = 512;

    /**
     * What was imported.
     *
     * @param dropped tensors of the original left out, by kind
     * @param pooling how the original model pooled its tokens, when its folder says
     */
    public record Result(Path checkpoint, BertConfig config, int tokens, long parameters,
            Map<String, Integer> dtypes, List<String> dropped, String pooling) {}

    private HuggingFaceBert() {}

    /**
     * Imports the folder {@code dir} (or the folder of a {@code model.safetensors} given
     * directly) into a checkpoint at {@code out}, replaced atomically.
     */
    public static Result importFolder(Path given, Path out, Consumer<String> log) {
        Path dir = Files.isDirectory(given) ? given : given.toAbsolutePath().getParent();
        Path weightsFile = Files.isDirectory(given) ? dir.resolve(WEIGHTS) : given;
        for (Path f : List.of(dir.resolve(CONFIG), weightsFile, dir.resolve(TOKENIZER))) {
            if (!Files.isRegularFile(f)) {
                throw new GraftException("--weights " + given + ": a Hugging Face BERT folder"
                        + " needs " + f.getFileName() + " (" + f + " is missing); it holds "
                        + CONFIG + ", " + WEIGHTS + " and " + TOKENIZER);
            }
        }
        BertConfig config = config(dir.resolve(CONFIG));
        int tokens = tokens(dir, config);
        Map<String, Integer> dtypes = new java.util.TreeMap<>();
        List<String> dropped = new ArrayList<>();
        Map<String, BertOnnx.Tensor> weights = weights(weightsFile, dtypes, dropped);
        String pooling = pooling(dir);
        if (pooling != null && !pooling.equals("mean")) {
            log.accept("note: " + dir + " was trained to pool by " + pooling + "; graft's head"
                    + " pools the tokens' mean (fine-tuning adapts the encoder to it)");
        }
        byte[] tokenizer;
        try {
            tokenizer = Files.readAllBytes(dir.resolve(TOKENIZER));
        } catch (IOException e) {
            throw new BadFileException(dir.resolve(TOKENIZER), "cannot be read: "
                    + e.getMessage(), e);
        }
        // the tokenizer must fit the embeddings, before anything is written
        dev.graft.data.TextTokenizer.open(dir.resolve(TOKENIZER), tokens, config.vocabSize())
                .close();
        long parameters = TextEncoders.importEncoder(new BertOnnx.Encoder(config, weights),
                weightsFile, tokenizer, tokens, dir.toAbsolutePath().toString(), out);
        log.accept(String.format("imported %s: BERT, %d layers, %d wide, %d heads, %,d"
                + " parameters, inputs up to %d tokens", dir, config.layers(),
                config.hiddenSize(), config.heads(), parameters, tokens));
        return new Result(out, config, tokens, parameters, dtypes, dropped, pooling);
    }

    /** The encoder's sizes from {@code config.json}, or an error naming the field. */
    static BertConfig config(Path file) {
        JsonNode c;
        try {
            c = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadFileException(file, "is not JSON: " + e.getMessage(), e);
        }
        String type = c.path("model_type").asText("");
        if (!type.equals("bert")) {
            throw new BadFileException(file, "model_type is '" + type + "'; graft rebuilds"
                    + " BERT-family encoders (model_type bert: BERT, MiniLM, bge, e5)");
        }
        String act = c.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new BadFileException(file, "hidden_act is '" + act + "'; graft's BERT uses"
                    + " the exact GELU ('gelu')");
        }
        String positions = c.path("position_embedding_type").asText("absolute");
        if (!positions.equals("absolute")) {
            throw new BadFileException(file, "position_embedding_type is '" + positions
                    + "'; graft's BERT has absolute positions");
        }
        return new BertConfig(positive(c, file, "vocab_size"), positive(c, file, "hidden_size"),
                positive(c, file, "num_hidden_layers"), positive(c, file,
                        "num_attention_heads"), positive(c, file, "intermediate_size"),
                positive(c, file, "max_position_embeddings"), c.has("type_vocab_size")
                        ? positive(c, file, "type_vocab_size") : 2,
                c.path("layer_norm_eps").asDouble(1e-12));
    }

    private static int positive(JsonNode c, Path file, String field) {
        JsonNode v = c.get(field);
        if (v == null || !v.canConvertToInt() || v.asInt() < 1) {
            throw new BadFileException(file, "needs a positive integer '" + field + "'"
                    + (v == null ? " (it is missing)" : ", got " + v));
        }
        return v.asInt();
    }

    /** sentence-transformers' max_seq_length when the folder has it, else BERT's 512. */
    private static int tokens(Path dir, BertConfig config) {
        Path f = dir.resolve(SENTENCE_CONFIG);
        int tokens = DEFAULT_TOKENS;
        if (Files.isRegularFile(f)) {
            try {
                tokens = Json.MAPPER.readTree(f.toFile()).path("max_seq_length").asInt(tokens);
            } catch (IOException e) {
                throw new BadFileException(f, "is not JSON: " + e.getMessage(), e);
            }
        }
        return Math.min(tokens, config.maxPositions());
    }

    /** "mean", "cls" or "max" from sentence-transformers' 1_Pooling/config.json, or null. */
    private static String pooling(Path dir) {
        Path f = dir.resolve("1_Pooling").resolve(CONFIG);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            JsonNode p = Json.MAPPER.readTree(f.toFile());
            return p.path("pooling_mode_cls_token").asBoolean() ? "cls"
                    : p.path("pooling_mode_max_tokens").asBoolean() ? "max" : "mean";
        } catch (IOException e) {
            throw new BadFileException(f, "is not JSON: " + e.getMessage(), e);
        }
    }

    /**
     * The encoder's float tensors under graft's names: the {@code bert.} prefix dropped, old
     * {@code gamma}/{@code beta} LayerNorm names read as {@code weight}/{@code bias}; buffers
     * ({@code position_ids}) and the classification head left out and listed in
     * {@code dropped}.
     */
    static Map<String, BertOnnx.Tensor> weights(Path file, Map<String, Integer> dtypes,
            List<String> dropped) {
        Map<String, BertOnnx.Tensor> out = new LinkedHashMap<>();
        Map<String, Integer> skipped = new java.util.TreeMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (SafeTensors.Entry e : st.entries().values()) {
                dtypes.merge(e.dtype(), 1, Integer::sum);
                String name = e.name().startsWith("bert.") ? e.name().substring(5) : e.name();
                if (!e.isFloatingPoint()) {
                    skipped.merge("buffers (" + e.dtype() + ")", 1, Integer::sum);
                    continue;
                }
                if (name.startsWith("classifier.")) {
                    skipped.merge("classifier.* (a head on the pooler, not on the tokens'"
                            + " mean)", 1, Integer::sum);
                    continue;
                }
                if (name.startsWith("pooler.") || name.startsWith("cls.")) {
                    skipped.merge(name.substring(0, name.indexOf('.')) + ".*", 1,
                            Integer::sum);
                    continue;
                }
                name = name.replaceAll("LayerNorm\\.gamma$", "LayerNorm.weight")
                        .replaceAll("LayerNorm\\.beta$", "LayerNorm.bias");
                if (out.put(name, new BertOnnx.Tensor(e.shape(), st.floats(e.name()))) != null) {
                    throw new BadFileException(file, "holds " + name + " twice (with and"
                            + " without the bert. prefix)");
                }
            }
        }
        skipped.forEach((what, n) -> dropped.add(n + " " + what));
        return out;
    }
}
