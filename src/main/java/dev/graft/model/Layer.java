package dev.graft.model;

import java.util.List;

/**
 * What a network computes at inference, layer by layer, for exporters and for simulating other
 * arithmetic (int8): every layer named by the PyTorch path of its parameters ({@code path +
 * ".weight"}). {@link StagedNet#layers()} lists a network's layers in execution order, the head
 * last. Inputs and outputs are {@code [batch, channels, height, width]} until a
 * {@link Flatten} or {@link GlobalAveragePool}, {@code [batch, features]} after. A text encoder
 * reads int64 token ids {@code [batch, tokens]} with an attention mask beside them (1 for a real
 * token, 0 for padding), which every layer may consult and none changes: {@link Embeddings}
 * turns the ids into {@code [batch, tokens, hidden]}, {@link Linear} and {@link LayerNorm} act
 * on the last axis, {@link MaskedMeanPool} gives {@code [batch, hidden]}.
 */
public sealed interface Layer {

    /** PyTorch's {@code nn.BatchNorm2d} epsilon, which graft uses unless a module says otherwise. */
    float BATCH_NORM_EPSILON = 1e-5f;

    /**
     * What attention adds to the score of a padding token: float32's lowest value, as Hugging
     * Face's BERT does ({@code torch.finfo(torch.float32).min}).
     */
    float MASKED_SCORE = -Float.MAX_VALUE;

    /**
     * {@code nn.Conv2d}: kernel from the weight {@code [out, in / groups, kh, kw]}, stride and
     * padding per axis (height, width), {@code groups} groups (the input channel count for a
     * depthwise convolution).
     */
    record Conv(String path, int strideH, int strideW, int paddingH, int paddingW, boolean bias,
            int groups) implements Layer {
        /** Square stride and padding, one group. */
        public Conv(String path, int stride, int padding, boolean bias) {
            this(path, stride, stride, padding, padding, bias, 1);
        }
    }

    /** {@code nn.BatchNorm2d} in inference mode: running statistics, then scale and shift. */
    record BatchNorm(String path, float epsilon) implements Layer {
        /** PyTorch's default epsilon. */
        public BatchNorm(String path) {
            this(path, BATCH_NORM_EPSILON);
        }
    }

    /** {@code nn.Linear}: {@code y = x W^T + b}. */
    record Linear(String path, boolean bias) implements Layer {}

    /** {@code max(x, 0)}. */
    record Relu() implements Layer {}

    /** {@code x sigmoid(x)} ({@code nn.SiLU}, swish). */
    record Silu() implements Layer {}

    /** {@code 1 / (1 + exp(-x))}. */
    record Sigmoid() implements Layer {}

    /** {@code nn.MaxPool2d(kernel, stride, padding)}. */
    record MaxPool(int kernel, int stride, int padding) implements Layer {}

    /** {@code [b, c, h, w] -> [b, c * h * w]}, row-major. */
    record Flatten() implements Layer {}

    /** Mean over height and width, flattened: {@code [b, c, h, w] -> [b, c]}. */
    record GlobalAveragePool() implements Layer {}

    /** {@code F.avg_pool2d(kernel, stride, padding)}, the padding counted in the average. */
    record AvgPool(int kernel, int stride, int padding) implements Layer {}

    /**
     * {@code nn.AdaptiveAvgPool2d((height, width))}: output cell {@code i} averages input rows
     * {@code floor(i H / height)} to {@code ceil((i + 1) H / height)} (and likewise columns);
     * stays {@code [b, c, height, width]}.
     */
    record AdaptiveAvgPool(int height, int width) implements Layer {}

    /** The identity at inference (dropout, stochastic depth). */
    record Dropout() implements Layer {}

    /** {@code x * gate(x)}, the gate's {@code [b, c, 1, 1]} broadcast (squeeze-and-excitation). */
    record Scale(List<Layer> gate) implements Layer {
        public Scale {
            gate = List.copyOf(gate);
        }

        @Override
        public List<List<Layer>> nested() {
            return List.of(gate);
        }
    }

    /** {@code body(x) + shortcut(x)}; an empty shortcut is the identity. */
    record Residual(List<Layer> body, List<Layer> shortcut) implements Layer {
        public Residual {
            body = List.copyOf(body);
            shortcut = List.copyOf(shortcut);
        }

        @Override
        public List<List<Layer>> nested() {
            return List.of(body, shortcut);
        }
    }

    /** {@code torch.cat([branch(x) for branch in branches], 1)}. */
    record Concat(List<List<Layer>> branches) implements Layer {
        public Concat {
            branches = branches.stream().map(List::copyOf).toList();
        }

        @Override
        public List<List<Layer>> nested() {
            return branches;
        }
    }

    /**
     * BERT's embeddings: the rows of {@code path.word_embeddings.weight} at the ids, plus the
     * rows {@code 0 .. tokens - 1} of {@code path.position_embeddings.weight}, plus row 0 of
     * {@code path.token_type_embeddings.weight}, then {@code nn.LayerNorm} with
     * {@code path.LayerNorm.weight / .bias}: {@code [b, t]} ids to {@code [b, t, hidden]}.
     */
    record Embeddings(String path, float epsilon) implements Layer {}

    /** {@code nn.LayerNorm} over the last axis: {@code path.weight}, {@code path.bias}. */
    record LayerNorm(String path, float epsilon) implements Layer {}

    /**
     * Multi-head self-attention over {@code [b, t, d]}: per head,
     * {@code softmax(q k^T / sqrt(d / heads) + (1 - mask) * lowest float) v}, the heads side by
     * side again; {@code query}, {@code key} and {@code value} are the projections (the output
     * projection follows as a {@link Linear} of its own).
     */
    record SelfAttention(Linear query, Linear key, Linear value, int heads) implements Layer {
        @Override
        public List<List<Layer>> nested() {
            return List.of(List.of(query), List.of(key), List.of(value));
        }
    }

    /** {@code x (1 + erf(x / sqrt 2)) / 2} ({@code nn.GELU}, the exact form). */
    record Gelu() implements Layer {}

    /**
     * The mean over the real tokens: {@code sum_t h m / max(sum_t m, 1e-9)},
     * {@code [b, t, d] -> [b, d]} (sentence-transformers' mean pooling).
     */
    record MaskedMeanPool() implements Layer {}

    /** The layer lists inside this one (a residual's body and shortcut, a gate), or none. */
    default List<List<Layer>> nested() {
        return List.of();
    }
}
