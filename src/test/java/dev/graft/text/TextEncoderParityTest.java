package dev.graft.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.Batch;
import dev.graft.data.TextData;
import dev.graft.data.TextDataset;
import dev.graft.data.TextTokenizer;
import dev.graft.data.TokenizedText;
import dev.graft.export.OnnxRuntimeModel;
import dev.graft.model.Checkpoint;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.zoo.TextEncoders;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * graft's rebuilt MiniLM against ONNX Runtime running the very file it was imported from: on
 * 1,000 real sentences, every real token's hidden state agrees within 1e-4.
 */
class TextEncoderParityTest {

    @TempDir
    static Path home;

    static Path checkpoint;

    @BeforeAll
    static void materialize() {
        checkpoint = TextEncoders.resolve(Path.of("minilm"), home, s -> { });
    }

    @Test
    void hiddenStatesMatchOnnxRuntimeOnAThousandSentences() throws Exception {
        TextDataset all = TextData.resolve("uci-sentiment:amazon,imdb", TextData.Fields.DEFAULT,
                s -> { }).train();
        TextDataset sentences = all.select(java.util.stream.IntStream.range(0, 1000).toArray());
        Path onnx = Files.createTempFile(home, "minilm", ".onnx");
        try (InputStream in = TextEncoders.Known.MINILM.openOnnx()) {
            Files.copy(in, onnx, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        double worst = 0;
        try (NDManager m = NDManager.newBaseManager();
                OnnxRuntimeModel ort = OnnxRuntimeModel.load(onnx, 0)) {
            Checkpoint.Loaded loaded = Checkpoint.load(checkpoint, m);
            StagedNet net = loaded.net();
            assertEquals(List.of("embeddings", "layer0", "layer1", "layer2", "layer3", "layer4",
                    "layer5"), net.stageNames());
            int hidden = loaded.spec().options().text().hiddenSize();
            try (TextTokenizer tok = TextTokenizer.open(checkpoint.resolve(Checkpoint.TOKENIZER),
                    net.inputShape()[0], loaded.spec().options().text().vocabSize())) {
                TokenizedText text = tok.tokenize(sentences);
                ParameterStore ps = new ParameterStore(m, false);
                int batch = 50;
                for (int from = 0; from < text.size(); from += batch) {
                    try (NDManager step = m.newSubManager()) {
                        Batch b = text.range(from, Math.min(text.size(), from + batch), step);
                        NDArray h = net.features(ps, b.inputs(), "layer5", Pooling.NONE);
                        long[] shape = b.inputs().get(0).getShape().getShape();
                        long[] ids = b.inputs().get(0).toLongArray();
                        long[] mask = b.inputs().get(1).toLongArray();
                        float[] want = ort.runInt64(Map.of("input_ids", ids, "attention_mask",
                                mask, "token_type_ids", new long[ids.length]), shape,
                                "last_hidden_state");
                        float[] got = h.toFloatArray();
                        assertEquals(want.length, got.length);
                        for (int t = 0; t < mask.length; t++) {
                            if (mask[t] == 1) {
                                for (int d = 0; d < hidden; d++) {
                                    worst = Math.max(worst, Math.abs(want[t * hidden + d]
                                            - got[t * hidden + d]));
                                }
                            }
                        }
                    }
                }
            }
        }
        System.out.printf("MiniLM vs ONNX Runtime, 1,000 sentences: largest difference %.3g%n",
                worst);
        assertTrue(worst <= 1e-4, "largest difference " + worst);
    }

    @Test
    void tokenIdsAreBertWordPieces() {
        try (TextTokenizer tok = TextTokenizer.open(checkpoint.resolve(Checkpoint.TOKENIZER), 256,
                30522)) {
            // bert-base-uncased's vocabulary: [CLS] 101, [SEP] 102, "hello" 7592, "world" 2088
            assertArrayEquals(new long[] {101, 7592, 1010, 2088, 999, 102},
                    tok.ids("Hello, world!"));
        }
    }
}
