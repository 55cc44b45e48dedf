package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.graft.model.StagedNet.Stage;
import java.util.ArrayList;
import java.util.List;

/**
 * A BERT-family encoder (BERT, MiniLM, bge, e5) as stages, with Hugging Face's parameter names:
 * {@code embeddings}, then {@code layer0} ... one stage per transformer layer
 * ({@code encoder.layer.N.attention.self.query.weight}, ...), then a head that averages the
 * tokens over the attention mask (sentence-transformers' mean pooling) and applies
 * {@code classifier}.
 *
 * <p>Input: {@code NDList(ids [batch, tokens] int64, mask [batch, tokens])}. Every stage hands on
 * {@code NDList(hidden [batch, tokens, hiddenSize] float32, mask [batch, tokens] float32)}, so a
 * stage's output can be pooled over the real tokens wherever the network is cut.
 */
final class Bert {

    static final float MASKED = dev.graft.model.Layer.MASKED_SCORE;

    private Bert() {}

    static List<Stage> stages(BertConfig c) {
        List<Stage> out = new ArrayList<>();
        out.add(new Stage("embeddings", "embeddings", new Embeddings(c)));
        for (int i = 0; i < c.layers(); i++) {
            out.add(new Stage("layer" + i, "encoder.layer." + i, new Layer(c)));
        }
        return out;
    }

    static Stage head(int classes) {
        return new Stage(StagedNet.HEAD, "", new MeanPoolHead(classes));
    }

    /** {@code [batch, tokens]} for the ids and for the mask. */
    static Shape[] inputShapes(int tokens, long batch) {
        return new Shape[] {new Shape(batch, tokens), new Shape(batch, tokens)};
    }

    private abstract static class TextModule extends TorchModule {
        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType,
                Shape... inputShapes) {
            // embeddings and LayerNorms have fixed shapes; a linear layer needs its input width
            for (Block b : modules().values()) {
                b.initialize(manager, dataType, b instanceof Linear l ? new Shape(1,
                        inputWidth(l)) : inputShapes[0]);
            }
        }

        /** The width a child linear layer reads. */
        abstract long inputWidth(Linear linear);

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1),
                    outputWidth()), new Shape(inputShapes[0].get(0), inputShapes[0].get(1))};
        }

        abstract long outputWidth();
    }

    /** Word + position + token-type (type 0) embeddings, then LayerNorm and dropout. */
    static final class Embeddings extends TextModule {
        private final BertConfig c;
        private final TextLayers.Embedding words;
        private final TextLayers.Embedding positions;
        private final TextLayers.Embedding types;
        private final TextLayers.LayerNorm norm;

        Embeddings(BertConfig c) {
            this.c = c;
            words = register("word_embeddings", new TextLayers.Embedding(c.vocabSize(),
                    c.hiddenSize()));
            positions = register("position_embeddings", new TextLayers.Embedding(
                    c.maxPositions(), c.hiddenSize()));
            types = register("token_type_embeddings", new TextLayers.Embedding(
                    c.typeVocabSize(), c.hiddenSize()));
            norm = register("LayerNorm", new TextLayers.LayerNorm(c.hiddenSize(),
                    c.layerNormEps()));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray ids = inputs.get(0);
            NDArray mask = inputs.get(1).toType(DataType.FLOAT32, false);
            long tokens = ids.getShape().get(1);
            if (tokens > c.maxPositions()) {
                throw new IllegalArgumentException(tokens + " tokens, but the encoder's"
                        + " positions end at " + c.maxPositions());
            }
            NDManager m = ids.getManager();
            NDArray x = words.lookup(ps, ids, training)
                    .add(positions.lookup(ps, m.arange(tokens).toType(DataType.INT64, false),
                            training))
                    .add(types.lookup(ps, m.zeros(new Shape(1), DataType.INT64), training));
            x = Dropout.dropout(norm.apply(ps, x, training), BertConfig.DROPOUT, training)
                    .singletonOrThrow();
            return new NDList(x, mask);
        }

        @Override
        List<dev.graft.model.Layer> layers(String path) {
            return List.of(new dev.graft.model.Layer.Embeddings(path, norm.epsilon()));
        }

        @Override
        long inputWidth(Linear linear) {
            throw new IllegalStateException("no linear layer in the embeddings");
        }

        @Override
        long outputWidth() {
            return c.hiddenSize();
        }

        @Override
        long multiplyAdds(Shape input) {
            return 0;
        }
    }

    /**
     * One transformer layer, post-norm as BERT: self-attention with the mask added to the
     * scores, dense + residual + LayerNorm, GELU feed-forward, dense + residual + LayerNorm.
     */
    static final class Layer extends TextModule {
        private final BertConfig c;
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final Linear attentionOut;
        private final TextLayers.LayerNorm attentionNorm;
        private final Linear intermediate;
        private final Linear output;
        private final TextLayers.LayerNorm outputNorm;

        Layer(BertConfig c) {
            this.c = c;
            query = register("attention.self.query", linear(c.hiddenSize()));
            key = register("attention.self.key", linear(c.hiddenSize()));
            value = register("attention.self.value", linear(c.hiddenSize()));
            attentionOut = register("attention.output.dense", linear(c.hiddenSize()));
            attentionNorm = register("attention.output.LayerNorm", new TextLayers.LayerNorm(
                    c.hiddenSize(), c.layerNormEps()));
            intermediate = register("intermediate.dense", linear(c.intermediateSize()));
            output = register("output.dense", linear(c.hiddenSize()));
            outputNorm = register("output.LayerNorm", new TextLayers.LayerNorm(c.hiddenSize(),
                    c.layerNormEps()));
        }

        private static Linear linear(int units) {
            return Linear.builder().setUnits(units).build();
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.get(0);
            NDArray mask = inputs.get(1);
            long b = x.getShape().get(0);
            long t = x.getShape().get(1);
            int h = c.heads();
            int dh = c.headSize();
            NDArray q = apply(query, ps, x, training).reshape(b, t, h, dh).transpose(0, 2, 1, 3);
            NDArray k = apply(key, ps, x, training).reshape(b, t, h, dh).transpose(0, 2, 3, 1);
            NDArray v = apply(value, ps, x, training).reshape(b, t, h, dh).transpose(0, 2, 1, 3);
            // scores [b, h, t, t]; masked keys get float32's lowest value, as in HF
            NDArray bias = mask.neg().add(1f).mul(MASKED).reshape(b, 1, 1, t);
            NDArray scores = q.matMul(k).div((float) Math.sqrt(dh)).add(bias);
            NDArray probs = Dropout.dropout(scores.softmax(-1), BertConfig.DROPOUT, training)
                    .singletonOrThrow();
            NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, c.hiddenSize());
            NDArray attended = attentionNorm.apply(ps, dropout(apply(attentionOut, ps, context,
                    training), training).add(x), training);
            NDArray inner = Activation.gelu(apply(intermediate, ps, attended, training));
            NDArray out = outputNorm.apply(ps, dropout(apply(output, ps, inner, training),
                    training).add(attended), training);
            return new NDList(out, mask);
        }

        private static NDArray apply(Linear l, ParameterStore ps, NDArray x, boolean training) {
            return l.forward(ps, new NDList(x), training).head();
        }

        private static NDArray dropout(NDArray x, boolean training) {
            return Dropout.dropout(x, BertConfig.DROPOUT, training).singletonOrThrow();
        }

        @Override
        List<dev.graft.model.Layer> layers(String path) {
            var attention = new dev.graft.model.Layer.SelfAttention(linear(path,
                    "attention.self.query"), linear(path, "attention.self.key"), linear(path,
                    "attention.self.value"), c.heads());
            return List.of(
                    new dev.graft.model.Layer.Residual(List.of(attention, linear(path,
                            "attention.output.dense")), List.of()),
                    new dev.graft.model.Layer.LayerNorm(join(path,
                            "attention.output.LayerNorm"), attentionNorm.epsilon()),
                    new dev.graft.model.Layer.Residual(List.of(linear(path,
                            "intermediate.dense"), new dev.graft.model.Layer.Gelu(),
                            linear(path, "output.dense")), List.of()),
                    new dev.graft.model.Layer.LayerNorm(join(path, "output.LayerNorm"),
                            outputNorm.epsilon()));
        }

        private static dev.graft.model.Layer.Linear linear(String path, String name) {
            return new dev.graft.model.Layer.Linear(join(path, name), true);
        }

        @Override
        long inputWidth(Linear linear) {
            return linear == output ? c.intermediateSize() : c.hiddenSize();
        }

        @Override
        long outputWidth() {
            return c.hiddenSize();
        }

        @Override
        long multiplyAdds(Shape input) {
            long t = input.get(1);
            long d = c.hiddenSize();
            // Q, K, V and the attention output: 4 t d^2; scores and context: 2 t^2 d; FFN 2 t d i
            return 4 * t * d * d + 2 * t * t * d + 2 * t * d * c.intermediateSize();
        }
    }

    /** Mean over the real tokens, then {@code classifier}: logits {@code [batch, classes]}. */
    static final class MeanPoolHead extends TorchModule {
        private final Linear classifier;

        MeanPoolHead(int classes) {
            classifier = register("classifier", Linear.builder().setUnits(classes).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            return classifier.forward(ps, new NDList(Pooling.maskedMean(inputs.get(0), inputs.get(1))),
                    training);
        }

        @Override
        List<dev.graft.model.Layer> layers(String path) {
            return List.of(new dev.graft.model.Layer.MaskedMeanPool(),
                    new dev.graft.model.Layer.Linear(join(path, "classifier"), true));
        }

        @Override
        long multiplyAdds(Shape input) {
            return input.get(input.dimension() - 1) * classifier.getOutputShapes(
                    new Shape[] {new Shape(1, input.get(input.dimension() - 1))})[0].get(1);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType,
                Shape... inputShapes) {
            classifier.initialize(manager, dataType, new Shape(1, inputShapes[0].get(2)));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return classifier.getOutputShapes(new Shape[] {new Shape(inputShapes[0].get(0),
                    inputShapes[0].get(2))});
        }
    }
}
