package dev.graft.model;

/**
 * The sizes of a BERT-family encoder, as Hugging Face's {@code config.json} names them.
 *
 * @param vocabSize rows of {@code embeddings.word_embeddings.weight}
 * @param hiddenSize width of every token's vector (384 for MiniLM-L6)
 * @param layers transformer layers, one stage each ({@code layer0} ...)
 * @param heads attention heads; {@code hiddenSize} must be a multiple
 * @param intermediateSize width of each layer's feed-forward part
 * @param maxPositions longest sequence the position embeddings cover
 * @param typeVocabSize rows of {@code embeddings.token_type_embeddings.weight}
 * @param layerNormEps epsilon of every LayerNorm (1e-12 in BERT)
 */
public record BertConfig(int vocabSize, int hiddenSize, int layers, int heads,
        int intermediateSize, int maxPositions, int typeVocabSize, double layerNormEps) {

    /** The dropout rate of BERT's hidden states and attention probabilities. */
    public static final float DROPOUT = 0.1f;

    public BertConfig {
        if (vocabSize < 1 || hiddenSize < 1 || layers < 1 || heads < 1 || intermediateSize < 1
                || maxPositions < 1 || typeVocabSize < 1) {
            throw new IllegalArgumentException("every BERT size must be at least 1, got " + this);
        }
        if (hiddenSize % heads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not a multiple"
                    + " of the " + heads + " attention heads");
        }
        if (!(layerNormEps > 0 && layerNormEps < 1)) {
            throw new IllegalArgumentException("layerNormEps must be in (0, 1), got "
                    + layerNormEps);
        }
    }

    /** The same encoder with {@code n} layers (a distilled student's, say). */
    public BertConfig withLayers(int n) {
        return new BertConfig(vocabSize, hiddenSize, n, heads, intermediateSize, maxPositions,
                typeVocabSize, layerNormEps);
    }

    /** Each head's width. */
    public int headSize() {
        return hiddenSize / heads;
    }
}
