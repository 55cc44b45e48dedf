package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.data.TextDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TF-IDF weights by scikit-learn's formulas, worked by hand, and a baseline that learns. */
class TfIdfTest {

    @Test
    void gramsAreLowercasedWordsOfTwoOrMoreLettersAndTheirPairs() {
        assertEquals(List.of("good", "movie", "good movie"), TfIdf.grams("A GOOD movie!"));
    }

    @Test
    void weightsFollowSmoothedIdfAndUnitRows() {
        TfIdf v = TfIdf.fit(List.of("good movie", "bad movie"));
        // vocabulary sorted: bad, bad movie, good, good movie, movie
        // idf(df 1) = ln(3 / 2) + 1 = 1.405465; idf(movie, df 2) = ln(3 / 3) + 1 = 1
        // row "good movie": (1.405465, 1, 1.405465) / sqrt(2 * 1.405465^2 + 1) = / 2.225010
        Map<Integer, Double> w = v.transform("good movie");
        assertEquals(0.631667, w.get(2), 1e-6);
        assertEquals(0.631667, w.get(3), 1e-6);
        assertEquals(0.449436, w.get(4), 1e-6);
        assertEquals(3, w.size());
        // a gram never seen in training is dropped
        assertEquals(Map.of(4, 1.0), v.transform("movie night"));
    }

    @Test
    void theBaselineLearnsWordsThatCarryTheLabel() {
        List<String> texts = new ArrayList<>();
        int[] labels = new int[40];
        for (int i = 0; i < 40; i++) {
            texts.add((i % 2 == 0 ? "great fine lovely" : "awful poor dreadful") + " item " + i);
            labels[i] = i % 2;
        }
        TextDataset train = new TextDataset("toy", texts, labels, List.of("pos", "neg"));
        TextDataset test = new TextDataset("toy", List.of("lovely great", "dreadful awful"),
                new int[] {0, 1}, List.of("pos", "neg"));
        TfIdf.Result r = TfIdf.run(train, test, 1);
        assertEquals(1.0, r.testAccuracy());
        assertEquals(TfIdf.GRID.length, r.validationByC().size());
    }
}
