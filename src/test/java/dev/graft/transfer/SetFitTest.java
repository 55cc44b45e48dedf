package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.data.Batch;
import dev.graft.data.TokenizedText;
import dev.graft.io.GraftException;
import dev.graft.train.Objective;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SetFitTest {

    /**
     * Four sentences, two per class: the ten unordered pairs with replacement hold six positive
     * pairs ((0,0) (0,1) (1,1) (2,2) (2,3) (3,3)) and four negative ones; oversampling cycles
     * the negatives to six, and the two lists interleave.
     */
    @Test
    void oversampledPairsAsSetFitMakesThem() {
        List<SetFit.Pair> pairs = SetFit.pairs(new int[] {0, 0, 1, 1}, 7, 0);
        assertEquals(12, pairs.size());
        Set<List<Integer>> positives = new HashSet<>();
        Set<List<Integer>> negatives = new HashSet<>();
        for (int i = 0; i < pairs.size(); i++) {
            SetFit.Pair p = pairs.get(i);
            assertEquals(i % 2 == 0, p.positive(), "pairs alternate positive, negative");
            (p.positive() ? positives : negatives).add(List.of(p.a(), p.b()));
        }
        assertEquals(Set.of(List.of(0, 0), List.of(0, 1), List.of(1, 1), List.of(2, 2),
                List.of(2, 3), List.of(3, 3)), positives);
        assertEquals(4, negatives.size());
        // the first two negatives come round again
        assertEquals(pairs.get(1), pairs.get(9));
        assertEquals(pairs.get(3), pairs.get(11));
    }

    @Test
    void maxPairsStopsCollectingAtHalfEach() {
        List<SetFit.Pair> pairs = SetFit.pairs(new int[] {0, 0, 1, 1, 0, 1}, 3, 4);
        assertEquals(4, pairs.size());
        assertEquals(2, pairs.stream().filter(SetFit.Pair::positive).count());
        // seeded: the same pairs again
        assertEquals(pairs, SetFit.pairs(new int[] {0, 0, 1, 1, 0, 1}, 3, 4));
    }

    /** A batch of pairs runs first sentences, then second ones, padded together. */
    @Test
    void pairBatchesStackBothSentences() {
        TokenizedText text = new TokenizedText(new long[][] {{101, 7, 102}, {101, 102},
            {101, 8, 9, 102}}, new int[] {0, 1, 0}, 2, 0);
        SetFit.PairedText pairs = new SetFit.PairedText(text, List.of(
                new SetFit.Pair(0, 2, true), new SetFit.Pair(1, 0, false)));
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = pairs.batch(new int[] {0, 1}, m);
            assertEquals(new Shape(4, 4), b.inputs().head().getShape());
            assertArrayEquals(new long[] {101, 7, 102, 0, 101, 102, 0, 0, 101, 8, 9, 102,
                101, 7, 102, 0}, b.inputs().head().toLongArray());
            assertArrayEquals(new float[] {1, 0}, b.y().toFloatArray());
        }
    }

    /**
     * One pair: the first sentence's only real token is (1, 0) (its padding, (9, 9), masked
     * out), the second's two tokens are (1, 1): cosine 1/sqrt(2) = 0.70711, target 1, loss
     * (0.70711 - 1)^2 = 0.085786.
     */
    @Test
    void cosineSimilarityLossByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hidden = m.create(new float[] {1, 0, 9, 9, 1, 1, 1, 1}, new Shape(2, 2, 2));
            NDArray mask = m.create(new long[] {1, 0, 1, 1}, new Shape(2, 2));
            SetFit.CosineSimilarity loss = new SetFit.CosineSimilarity("top");
            NDArray value = loss.compute(new Objective.Step(null, m.create(new float[] {1}),
                    new NDList(m.zeros(new Shape(2, 2)), mask), new int[] {0}, false,
                    Map.of("top", hidden), m));
            assertEquals(0.085786, value.getFloat(), 1e-5);
            assertEquals(-1, SetFit.CosineSimilarity.cosine(m.create(new float[] {3, 4},
                    new Shape(1, 2)), m.create(new float[] {-3, -4}, new Shape(1, 2)))
                    .getFloat(), 1e-6);
        }
    }

    @Test
    void strategiesRefuseTheOtherModality() {
        assertTrue(assertThrows(GraftException.class, () -> Strategy.SCRATCH.checkApplies(true))
                .getMessage().contains("tfidf"));
        assertTrue(assertThrows(GraftException.class, () -> Strategy.SETFIT.checkApplies(false))
                .getMessage().contains("text encoders"));
        Strategy.SETFIT.checkApplies(true);
        Strategy.SCRATCH.checkApplies(false);
        assertEquals(List.of("tfidf", "probe", "last-stage", "full", "ulmfit", "lp-ft", "setfit"),
                Strategy.defaults(true).stream().map(Strategy::id).toList());
    }
}
