package dev.graft.transfer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.graft.data.Batch;
import dev.graft.data.Examples;
import dev.graft.data.TokenizedText;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.train.LrSchedule;
import dev.graft.train.Objective;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.ParamGroup;
import dev.graft.train.Progress;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * SetFit's first stage (Tunstall et al. 2022, {@code huggingface/setfit} v1): the sentence
 * encoder fine-tuned contrastively on pairs of labelled sentences, a pair of the same class
 * pulled to cosine similarity 1 and a pair of two classes to 0 (sentence-transformers'
 * {@code CosineSimilarityLoss}: the mean squared error of the cosine of the two mean-pooled
 * embeddings). The second stage, a logistic regression on the tuned embeddings, is the probe's.
 *
 * <p>Pairs follow SetFit's {@code "oversampling"} strategy: every unordered pair of the
 * labelled sentences (a sentence with itself included), shuffled by the seed, split into
 * positive and negative pairs, the shorter list cycled to the length of the longer, and the two
 * interleaved; at most {@code maxSteps * batch} pairs (SetFit's {@code max_steps}). Training:
 * one epoch, batch 16, AdamW at 2e-5 with decay 0.01, linear warm-up over 10% of the steps then
 * linear decay, the head untouched, as SetFit's defaults are.
 */
public final class SetFit {

    /** SetFit's defaults: body learning rate, batch, warm-up proportion. */
    public static final double LEARNING_RATE = 2e-5;
    public static final int BATCH = 16;
    public static final double WARMUP = 0.1;

    private SetFit() {}

    /** Two sentences (indices into the labelled set) and whether they share a class. */
    record Pair(int a, int b, boolean positive) {}

    /**
     * SetFit's oversampled pairs of {@code labels}; when {@code maxPairs > 0}, collection stops
     * once each half holds {@code maxPairs / 2} (as {@code ContrastiveDataset}'s
     * {@code max_pairs} does).
     */
    static List<Pair> pairs(int[] labels, long seed, int maxPairs) {
        int n = labels.length;
        int[][] all = new int[n * (n + 1) / 2][];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                all[k++] = new int[] {i, j};
            }
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = all.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int[] t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int cap = maxPairs > 0 ? maxPairs / 2 : Integer.MAX_VALUE;
        List<Pair> pos = new ArrayList<>();
        List<Pair> neg = new ArrayList<>();
        for (int[] p : all) {
            boolean positive = labels[p[0]] == labels[p[1]];
            List<Pair> to = positive ? pos : neg;
            if (to.size() < cap) {
                to.add(new Pair(p[0], p[1], positive));
            }
            if (pos.size() >= cap && neg.size() >= cap) {
                break;
            }
        }
        int each = Math.max(pos.size(), neg.size());
        List<Pair> out = new ArrayList<>(2 * each);
        for (int i = 0; i < each; i++) {
            if (!pos.isEmpty()) {
                out.add(pos.get(i % pos.size()));
            }
            if (!neg.isEmpty()) {
                out.add(neg.get(i % neg.size()));
            }
        }
        return out;
    }

    /**
     * Tunes {@code net}'s trunk on pairs of {@code text}'s sentences for at most
     * {@code maxSteps} steps.
     *
     * @return the optimizer steps taken
     */
    public static long tune(StagedNet net, TokenizedText text, int maxSteps, long seed,
            Progress progress, NDManager manager) {
        int[] labels = new int[text.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = text.label(i);
        }
        List<Pair> pairs = pairs(labels, seed, maxSteps * BATCH);
        if (pairs.isEmpty()) {
            return 0;
        }
        long steps = (pairs.size() + BATCH - 1) / BATCH;
        List<ParamGroup> groups = new ArrayList<>();
        for (String stage : net.stageNames()) {
            groups.add(ParamGroup.trainable(stage));
        }
        groups.add(new ParamGroup(StagedNet.HEAD, 1, null, true, false));
        TrainConfig tc = new TrainConfig(1, BATCH, OptimizerConfig.adamW(LEARNING_RATE),
                new LrSchedule.Warmup(Math.max(1, Math.round(WARMUP * steps)),
                        new LrSchedule.Linear()), dev.graft.data.Augmentation.NONE, seed, 0,
                groups);
        String top = net.stageNames().get(net.stageNames().size() - 1);
        try (TrainingLoop loop = new TrainingLoop(net, tc, manager);
                PairedText data = new PairedText(text, pairs)) {
            loop.objective(new CosineSimilarity(top)).progress(progress);
            return loop.fit(data, null, 1, Double.NEGATIVE_INFINITY, (m, improved) -> { })
                    .steps();
        }
    }

    /**
     * Sentence pairs as examples: a batch of {@code b} pairs runs the {@code 2b} sentences in
     * one forward pass (first sentences, then second ones, padded together), its labels the
     * pairs' target similarities (1 or 0). Batches follow the pairs' order, as SetFit's do.
     */
    static final class PairedText implements Examples {
        private final TokenizedText text;
        private final List<Pair> pairs;

        PairedText(TokenizedText text, List<Pair> pairs) {
            this.text = text;
            this.pairs = pairs;
        }

        @Override
        public int size() {
            return pairs.size();
        }

        @Override
        public int numClasses() {
            return 2;
        }

        @Override
        public int label(int i) {
            return pairs.get(i).positive() ? 1 : 0;
        }

        @Override
        public Batch batch(int[] indices, NDManager target) {
            int[] sentences = new int[2 * indices.length];
            float[] y = new float[indices.length];
            for (int r = 0; r < indices.length; r++) {
                Pair p = pairs.get(indices[r]);
                sentences[r] = p.a();
                sentences[indices.length + r] = p.b();
                y[r] = p.positive() ? 1 : 0;
            }
            return new Batch(text.batch(sentences, target).inputs(), target.create(y));
        }

        @Override
        public PairedText head(int n, NDManager parent) {
            return new PairedText(text, pairs.subList(0, n));
        }

        @Override
        public Batch range(int from, int to, NDManager target) {
            return batch(java.util.stream.IntStream.range(from, to).toArray(), target);
        }

        @Override
        public List<int[]> trainingBatches(int batchSize, SplittableRandom rng) {
            List<int[]> out = new ArrayList<>();
            for (int from = 0; from < pairs.size(); from += batchSize) {
                out.add(java.util.stream.IntStream.range(from, Math.min(pairs.size(),
                        from + batchSize)).toArray());
            }
            return out;
        }

        @Override
        public void close() {
            // host data only
        }
    }

    /**
     * sentence-transformers' {@code CosineSimilarityLoss}: {@code mean((cos(u, v) - y)^2)} over
     * a batch's pairs, {@code u} and {@code v} the two sentences' mean-pooled embeddings at the
     * top stage.
     */
    record CosineSimilarity(String stage) implements Objective {
        @Override
        public List<String> stages() {
            return List.of(stage);
        }

        @Override
        public boolean classifies() {
            return false;
        }

        @Override
        public NDArray compute(Step s) {
            NDArray pooled = Pooling.maskedMean(s.stageOutputs().get(stage), s.inputs().get(1));
            long b = s.labels().getShape().get(0);
            NDArray cos = cosine(pooled.get("0:" + b), pooled.get(b + ":"));
            return cos.sub(s.labels()).square().mean();
        }

        /** Row-wise cosine similarity, PyTorch's {@code cosine_similarity} (eps 1e-8). */
        static NDArray cosine(NDArray u, NDArray v) {
            NDArray dot = u.mul(v).sum(new int[] {1});
            NDArray norms = u.norm(new int[] {1}).mul(v.norm(new int[] {1})).maximum(1e-8f);
            return dot.div(norms);
        }
    }
}
