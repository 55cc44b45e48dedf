package dev.graft.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.io.BadFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (DJL's binding of the Rust tokenizers, offline):
 * texts to token ids with the special tokens the model was trained with ({@code [CLS] ...
 * [SEP]}), truncated to the model's length. Padding is per batch ({@link TokenizedText}).
 */
public final class TextTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;
    private final int vocabSize;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens, int vocabSize) {
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
        this.vocabSize = vocabSize;
    }

    /**
     * Opens {@code file}, checking that its vocabulary fits an embedding of {@code modelVocab}
     * rows.
     *
     * @param maxTokens the longest sequence, special tokens included
     */
    public static TextTokenizer open(Path file, int maxTokens, int modelVocab) {
        if (!Files.isRegularFile(file)) {
            throw new BadFileException(file, "no tokenizer here (a text checkpoint keeps its"
                    + " tokenizer.json beside model.json)");
        }
        int vocab;
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            JsonNode v = root == null ? null : root.path("model").get("vocab");
            if (v == null || !(v.isObject() || v.isArray())) {
                throw new BadFileException(file, "is not a Hugging Face tokenizer.json (no"
                        + " model.vocab)");
            }
            vocab = v.size();
            JsonNode added = root.get("added_tokens");
            if (added != null && added.isArray()) {
                for (JsonNode t : added) {
                    vocab = Math.max(vocab, t.path("id").asInt(-1) + 1);
                }
            }
        } catch (IOException e) {
            throw new BadFileException(file, "is not valid JSON: " + e.getMessage(), e);
        }
        if (vocab > modelVocab) {
            throw new BadFileException(file, "has " + vocab + " tokens but the checkpoint's"
                    + " embedding has " + modelVocab + " rows: the tokenizer is not this"
                    + " model's");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(file, Map.of(
                    "truncation", "true", "padding", "false", "maxLength",
                    Integer.toString(maxTokens), "addSpecialTokens", "true"));
            return new TextTokenizer(t, maxTokens, vocab);
        } catch (IOException | RuntimeException e) {
            throw new BadFileException(file, "the tokenizer library cannot read it: "
                    + e.getMessage(), e);
        }
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** Token ids of every text; {@link TokenizedText#truncated()} counts those cut short. */
    public TokenizedText tokenize(List<String> texts, int[] labels, int numClasses) {
        long[][] ids = new long[texts.size()][];
        int truncated = 0;
        for (int i = 0; i < ids.length; i++) {
            Encoding e = tokenizer.encode(texts.get(i));
            ids[i] = e.getIds();
            truncated += e.exceedMaxLength() ? 1 : 0;
        }
        return new TokenizedText(ids, labels, numClasses, truncated);
    }

    /** Token ids of one text. */
    public long[] ids(String text) {
        return tokenizer.encode(text).getIds();
    }

    /** Token ids of every text of {@code data}. */
    public TokenizedText tokenize(TextDataset data) {
        return tokenize(data.texts(), data.labels(), data.numClasses());
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
