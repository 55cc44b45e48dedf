package dev.graft.transfer;

import com.fasterxml.jackson.annotation.JsonProperty;
import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import dev.graft.data.TextDataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The no-transfer baseline of text: word 1- and 2-gram TF-IDF features with logistic regression,
 * as scikit-learn's {@code TfidfVectorizer(ngram_range=(1, 2))} then {@code LogisticRegression}.
 *
 * <p>Tokens: lowercased, scikit-learn's pattern {@code (?u)\b\w\w+\b}. Vocabulary: every 1- and
 * 2-gram of the training texts. Weights: {@code tf * idf}, {@code idf = ln((1 + n) / (1 + df)) +
 * 1} (smoothed), each row scaled to unit L2 norm. Classifier: LIBLINEAR's L2-regularized
 * logistic regression (one-vs-rest beyond two classes), C chosen from {@link #GRID} on a
 * stratified 20% of the training texts (the largest of equally accurate values), then refit on
 * all of them.
 */
public final class TfIdf {

    /** The C values tried. */
    static final double[] GRID = {0.1, 1, 10, 100};

    private static final Pattern TOKEN = Pattern.compile("(?U)\\b\\w\\w+\\b");

    /** What the baseline scored. */
    public record Result(
            @JsonProperty("test_accuracy") double testAccuracy,
            @JsonProperty("c") double c,
            @JsonProperty("validation_accuracy_by_c") Map<String, Double> validationByC,
            @JsonProperty("vocabulary") int vocabulary,
            @JsonProperty("train_examples") int trainExamples) {

        /** One weight per gram and a bias, per class beyond two (one-vs-rest). */
        public long parameters(int classes) {
            return (vocabulary + 1L) * (classes == 2 ? 1 : classes);
        }
    }

    private final Map<String, Integer> vocabulary;
    private final double[] idf;

    private TfIdf(Map<String, Integer> vocabulary, double[] idf) {
        this.vocabulary = vocabulary;
        this.idf = idf;
    }

    /** The lowercased word 1- and 2-grams of {@code text}, in order. */
    static List<String> grams(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = TOKEN.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            words.add(m.group());
        }
        List<String> out = new ArrayList<>(words);
        for (int i = 0; i + 1 < words.size(); i++) {
            out.add(words.get(i) + " " + words.get(i + 1));
        }
        return out;
    }

    /** Learns the vocabulary and document frequencies of {@code texts}. */
    static TfIdf fit(List<String> texts) {
        Map<String, Integer> df = new TreeMap<>();
        for (String t : texts) {
            for (String g : new java.util.HashSet<>(grams(t))) {
                df.merge(g, 1, Integer::sum);
            }
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        double[] idf = new double[df.size()];
        int n = texts.size();
        for (Map.Entry<String, Integer> e : df.entrySet()) {
            idf[vocab.size()] = Math.log((1.0 + n) / (1.0 + e.getValue())) + 1;
            vocab.put(e.getKey(), vocab.size());
        }
        return new TfIdf(vocab, idf);
    }

    /** One text's weights by feature index (0-based), unit L2 norm; unknown grams dropped. */
    Map<Integer, Double> transform(String text) {
        Map<Integer, Double> tf = new TreeMap<>();
        for (String g : grams(text)) {
            Integer i = vocabulary.get(g);
            if (i != null) {
                tf.merge(i, 1.0, Double::sum);
            }
        }
        double norm = 0;
        for (Map.Entry<Integer, Double> e : tf.entrySet()) {
            e.setValue(e.getValue() * idf[e.getKey()]);
            norm += e.getValue() * e.getValue();
        }
        double scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
        tf.replaceAll((k, v) -> v * scale);
        return tf;
    }

    /** Fits on {@code train} and scores {@code test}. */
    public static Result run(TextDataset train, TextDataset test, long seed) {
        Map<String, Double> byC = new LinkedHashMap<>();
        double bestC = 1;
        int[] counts = train.classCounts();
        if (java.util.Arrays.stream(counts).min().orElse(0) >= 5) {
            TextDataset.Split s = train.holdOut(0.2, seed);
            TfIdf v = fit(s.train().texts());
            double best = -1;
            for (double c : GRID) {
                double acc = accuracy(v, train(v, s.train(), c), s.validation());
                byC.put(Double.toString(c), acc);
                if (acc >= best) {
                    best = acc;
                    bestC = c;
                }
            }
        }
        TfIdf v = fit(train.texts());
        return new Result(accuracy(v, train(v, train, bestC), test), bestC, byC,
                v.vocabulary.size(), train.size());
    }

    private static Model train(TfIdf v, TextDataset data, double c) {
        Linear.disableDebugOutput();
        Problem p = new Problem();
        p.l = data.size();
        p.n = v.vocabulary.size() + 1;
        p.bias = 1;
        p.x = new Feature[data.size()][];
        p.y = new double[data.size()];
        for (int i = 0; i < data.size(); i++) {
            p.x[i] = features(v, data.text(i));
            p.y[i] = data.label(i);
        }
        return Linear.train(p, new Parameter(SolverType.L2R_LR, c, 0.01));
    }

    private static Feature[] features(TfIdf v, String text) {
        Map<Integer, Double> w = v.transform(text);
        Feature[] f = new Feature[w.size() + 1];
        int k = 0;
        for (Map.Entry<Integer, Double> e : w.entrySet()) {
            f[k++] = new FeatureNode(e.getKey() + 1, e.getValue());
        }
        f[k] = new FeatureNode(v.vocabulary.size() + 1, 1.0);
        return f;
    }

    private static double accuracy(TfIdf v, Model m, TextDataset data) {
        int correct = 0;
        for (int i = 0; i < data.size(); i++) {
            correct += (int) Linear.predict(m, features(v, data.text(i))) == data.label(i) ? 1 : 0;
        }
        return data.size() == 0 ? Double.NaN : (double) correct / data.size();
    }
}
