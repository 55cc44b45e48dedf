package dev.graft.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.graft.data.TokenizedText;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.BertConfig;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hugging Face BERT folder, written here as transformers writes one, imported by graft. */
class HuggingFaceBertTest {

    /** MiniLM's vocabulary (its tokenizer is the one on the class path), small otherwise. */
    static final BertConfig SMALL = new BertConfig(30522, 16, 2, 2, 32, 64, 2, 1e-12);

    /** A tensor for the test's safetensors writer: F32 or I64 values and a shape. */
    record T(String dtype, long[] shape, ByteBuffer bytes) {
        static T f32(long[] shape, float[] v) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            return new T("F32", shape, b);
        }

        static T i64(long[] shape, long[] v) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(v);
            return new T("I64", shape, b);
        }
    }

    /** The safetensors layout: 8-byte little-endian header length, JSON header, data. */
    static void writeSafeTensors(Path file, Map<String, T> tensors) throws Exception {
        StringBuilder h = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, T> e : tensors.entrySet()) {
            long n = e.getValue().bytes().capacity();
            h.append(h.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":{")
                    .append("\"dtype\":\"").append(e.getValue().dtype()).append("\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',')
                    .append(offset + n).append("]}");
            offset += n;
        }
        byte[] header = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
        try (var out = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            len.putLong(header.length);
            out.write(len.array());
            out.write(header);
            for (T t : tensors.values()) {
                out.write(t.bytes().array());
            }
        }
    }

    static String config(BertConfig c, String type) {
        return "{\"model_type\":\"" + type + "\",\"architectures\":[\"BertModel\"],"
                + "\"vocab_size\":" + c.vocabSize() + ",\"hidden_size\":" + c.hiddenSize()
                + ",\"num_hidden_layers\":" + c.layers() + ",\"num_attention_heads\":"
                + c.heads() + ",\"intermediate_size\":" + c.intermediateSize()
                + ",\"max_position_embeddings\":" + c.maxPositions() + ",\"type_vocab_size\":"
                + c.typeVocabSize() + ",\"layer_norm_eps\":1e-12,\"hidden_act\":\"gelu\"}";
    }

    /**
     * {@code net}'s encoder as a {@code BertForSequenceClassification} folder: names under
     * {@code bert.}, the embeddings' LayerNorm in the old gamma/beta names, a position_ids
     * buffer, a pooler and a three-class classifier on it.
     */
    static Path folder(Path dir, StagedNet net, BertConfig c) throws Exception {
        Files.createDirectories(dir);
        Map<String, T> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            if (e.getKey().startsWith("classifier.")) {
                continue;
            }
            String name = "bert." + e.getKey().replace("embeddings.LayerNorm.weight",
                    "embeddings.LayerNorm.gamma").replace("embeddings.LayerNorm.bias",
                    "embeddings.LayerNorm.beta");
            tensors.put(name, T.f32(e.getValue().getArray().getShape().getShape(),
                    e.getValue().getArray().toFloatArray()));
        }
        long[] positions = java.util.stream.LongStream.range(0, c.maxPositions()).toArray();
        tensors.put("bert.embeddings.position_ids", T.i64(new long[] {1, c.maxPositions()},
                positions));
        int d = c.hiddenSize();
        tensors.put("bert.pooler.dense.weight", T.f32(new long[] {d, d}, new float[d * d]));
        tensors.put("bert.pooler.dense.bias", T.f32(new long[] {d}, new float[d]));
        tensors.put("classifier.weight", T.f32(new long[] {3, d}, new float[3 * d]));
        tensors.put("classifier.bias", T.f32(new long[] {3}, new float[3]));
        writeSafeTensors(dir.resolve(HuggingFaceBert.WEIGHTS), tensors);
        Files.writeString(dir.resolve(HuggingFaceBert.CONFIG), config(c, "bert"));
        try (InputStream tok = TextEncoders.Known.MINILM.openTokenizer()) {
            Files.write(dir.resolve(HuggingFaceBert.TOKENIZER), tok.readAllBytes());
        }
        Files.writeString(dir.resolve(HuggingFaceBert.SENTENCE_CONFIG),
                "{\"max_seq_length\": 40}");
        return dir;
    }

    /** The imported checkpoint computes the original's features, layer for layer. */
    @Test
    void aFolderImportsAsTheSameEncoder(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet original = Architecture.BERT.build(new int[] {40}, 2,
                    ModelOptions.ofText(SMALL)).initialize(m, 7);
            Path dir = folder(tmp.resolve("hf"), original, SMALL);
            HuggingFaceBert.Result r = HuggingFaceBert.importFolder(dir, tmp.resolve("ckpt"),
                    s -> { });
            assertEquals(SMALL, r.config());
            assertEquals(40, r.tokens(), "sentence-transformers' max_seq_length");
            assertEquals(Map.of("F32", 37 + 2 + 2, "I64", 1), r.dtypes(), "encoder, pooler, head");
            assertEquals(java.util.List.of("1 buffers (I64)", "2 classifier.* (a head on the"
                    + " pooler, not on the tokens' mean)", "2 pooler.*"), r.dropped());
            Checkpoint.Loaded loaded = Checkpoint.load(tmp.resolve("ckpt"), m);
            long[][] ids = {{101, 7592, 2088, 102}, {101, 2023, 3185, 2003, 2307, 102}};
            NDList batch = new TokenizedText(ids, new int[2], 2, 0).range(0, 2, m).inputs();
            ParameterStore ps = new ParameterStore(m, false);
            for (String stage : original.stageNames()) {
                assertArrayEquals(original.features(ps, batch, stage, Pooling.AVERAGE)
                        .toFloatArray(), loaded.net().features(ps, batch, stage,
                                Pooling.AVERAGE).toFloatArray(), 0f, stage);
            }
            try (var tok = Checkpoint.tokenizer(tmp.resolve("ckpt"), loaded.spec())) {
                assertEquals(40, tok.maxTokens());
            }
        }
    }

    /** Each bad folder names its file and field, and writes nothing. */
    @Test
    void badFoldersAreRefusedByName(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet original = Architecture.BERT.build(new int[] {40}, 2,
                    ModelOptions.ofText(SMALL)).initialize(m, 7);
            Path dir = folder(tmp.resolve("hf"), original, SMALL);
            Path out = tmp.resolve("out");
            Path config = dir.resolve(HuggingFaceBert.CONFIG);

            Files.writeString(config, config(SMALL, "bert").replace("\"hidden_size\":16,", ""));
            BadFileException missing = assertThrows(BadFileException.class,
                    () -> HuggingFaceBert.importFolder(dir, out, s -> { }));
            assertTrue(missing.getMessage().contains("config.json")
                    && missing.getMessage().contains("'hidden_size' (it is missing)"),
                    missing.getMessage());

            Files.writeString(config, config(SMALL, "roberta"));
            BadFileException roberta = assertThrows(BadFileException.class,
                    () -> HuggingFaceBert.importFolder(dir, out, s -> { }));
            assertTrue(roberta.getMessage().contains("model_type is 'roberta'"),
                    roberta.getMessage());

            BertConfig wider = new BertConfig(30522, 16, 2, 2, 64, 64, 2, 1e-12);
            Files.writeString(config, config(wider, "bert"));
            BadFileException shapes = assertThrows(BadFileException.class,
                    () -> HuggingFaceBert.importFolder(dir, out, s -> { }));
            assertTrue(shapes.getMessage().contains("model.safetensors") && shapes.getMessage()
                    .contains("encoder.layer.0.intermediate.dense.weight is [32, 16], the"
                            + " encoder needs [64, 16]"), shapes.getMessage());

            BertConfig fewerWords = new BertConfig(1000, 16, 2, 2, 32, 64, 2, 1e-12);
            Files.writeString(config, config(fewerWords, "bert"));
            BadFileException vocab = assertThrows(BadFileException.class,
                    () -> HuggingFaceBert.importFolder(dir, out, s -> { }));
            assertTrue(vocab.getMessage().contains("tokenizer.json") && vocab.getMessage()
                    .contains("1000 rows"), vocab.getMessage());

            Files.writeString(config, config(SMALL, "bert"));
            Files.delete(dir.resolve(HuggingFaceBert.TOKENIZER));
            GraftException noTokenizer = assertThrows(GraftException.class,
                    () -> HuggingFaceBert.importFolder(dir, out, s -> { }));
            assertTrue(noTokenizer.getMessage().contains("needs tokenizer.json"),
                    noTokenizer.getMessage());
            assertFalse(Files.exists(out), "nothing written");
        }
    }
}
