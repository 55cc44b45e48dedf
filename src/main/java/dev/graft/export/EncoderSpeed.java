package dev.graft.export;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Batch;
import dev.graft.data.TextData;
import dev.graft.data.TextDataset;
import dev.graft.data.TextTokenizer;
import dev.graft.data.TokenizedText;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.train.Benchmark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A text encoder's inference speed in graft against ONNX Runtime on the ONNX file it was
 * imported from: the same sentences, tokens, batches (shortest texts first, padded per batch)
 * and thread count, timed alternately so both see the same machine load.
 */
public final class EncoderSpeed {

    /**
     * @param ratio graft's sentences/s over ONNX Runtime's, the median of the timed rounds
     */
    public record Result(
            @JsonProperty("model") String model,
            @JsonProperty("sentences") int sentences,
            @JsonProperty("batch_size") int batchSize,
            @JsonProperty("threads") int threads,
            @JsonProperty("rounds") int rounds,
            @JsonProperty("graft_sentences_per_second") double graftPerSecond,
            @JsonProperty("onnxruntime_sentences_per_second") double onnxRuntimePerSecond,
            @JsonProperty("ratio") double ratio,
            @JsonProperty("mean_tokens") double meanTokens) {}

    private EncoderSpeed() {}

    /**
     * @param checkpoint the imported encoder
     * @param onnx the ONNX file it was imported from
     * @param sentences how many of the data's training texts to encode per round
     */
    public static Result run(Path checkpoint, InputStream onnx, String data, int sentences,
            int batchSize, int rounds, Consumer<String> log) {
        int threads = Runtime.getRuntime().availableProcessors();
        try (NDManager manager = NDManager.newBaseManager()) {
            Path file = Files.createTempFile("graft-encoder", ".onnx");
            try {
                Files.copy(onnx, file, StandardCopyOption.REPLACE_EXISTING);
                Checkpoint.Loaded loaded = Checkpoint.load(checkpoint, manager);
                StagedNet net = loaded.net();
                String last = net.stageNames().get(net.stageNames().size() - 1);
                TextDataset texts = TextData.resolve(data, TextData.Fields.DEFAULT, log).train();
                int n = Math.min(sentences, texts.size());
                TokenizedText tokens;
                try (TextTokenizer tok = Checkpoint.tokenizer(checkpoint,
                        loaded.spec())) {
                    tokens = tok.tokenize(texts.select(java.util.stream.IntStream.range(0, n)
                            .toArray()));
                }
                int[] order = tokens.inferenceOrder();
                double meanTokens = Arrays.stream(order).map(tokens::length).average()
                        .orElse(0);
                ParameterStore ps = new ParameterStore(manager, false);
                try (OnnxRuntimeModel ort = OnnxRuntimeModel.load(file, threads)) {
                    boolean types = ort.inputNames().contains("token_type_ids");
                    double[] seconds = new double[2];
                    double ratio = Benchmark.sideBySideRatio(() -> {
                        double s = time(() -> {
                            for (int from = 0; from < n; from += batchSize) {
                                try (NDManager step = manager.newSubManager()) {
                                    Batch b = tokens.batch(Arrays.copyOfRange(order, from,
                                            Math.min(n, from + batchSize)), step);
                                    net.features(ps, b.inputs(), last, Pooling.AVERAGE)
                                            .toFloatArray();
                                }
                            }
                        });
                        seconds[0] = s;
                        return s;
                    }, () -> {
                        double s = time(() -> {
                            for (int from = 0; from < n; from += batchSize) {
                                try (NDManager step = manager.newSubManager()) {
                                    Batch b = tokens.batch(Arrays.copyOfRange(order, from,
                                            Math.min(n, from + batchSize)), step);
                                    long[] ids = b.inputs().get(0).toLongArray();
                                    long[] mask = b.inputs().get(1).toLongArray();
                                    Map<String, long[]> in = types ? Map.of("input_ids", ids,
                                            "attention_mask", mask, "token_type_ids",
                                            new long[ids.length]) : Map.of("input_ids", ids,
                                            "attention_mask", mask);
                                    ort.runInt64(in, b.inputs().get(0).getShape().getShape(),
                                            "last_hidden_state");
                                }
                            }
                        });
                        seconds[1] = s;
                        log.accept(String.format("round: graft %.1f sentences/s, ONNX Runtime"
                                + " %.1f sentences/s", n / seconds[0], n / s));
                        return s;
                    }, rounds);
                    return new Result(checkpoint.toString(), n, batchSize, threads, rounds,
                            n / seconds[0], n / seconds[1], ratio, meanTokens);
                }
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new GraftException("cannot write the ONNX file for ONNX Runtime: "
                    + e.getMessage(), e);
        }
    }

    private static double time(Runnable r) {
        long t = System.nanoTime();
        r.run();
        return (System.nanoTime() - t) / 1e9;
    }
}
