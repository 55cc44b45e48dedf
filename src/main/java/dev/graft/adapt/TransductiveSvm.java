package dev.graft.adapt;

import dev.graft.transfer.FeatureCodes;
import dev.graft.transfer.LinearProbe;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;

/**
 * A transductive SVM (Joachims 1999) by self-labelling rounds on LIBLINEAR: a linear SVM on
 * the labelled source codes (C chosen on a split of them, as {@code graft probe} does) labels
 * the target codes; each round retrains on the source plus a growing share of the target codes
 * (1/5, 2/5, ... all of them) with their current labels, and relabels. Two of Joachims's rules
 * carry over: the unlabelled codes enter gradually (his C* grows from nearly 0 to C; LIBLINEAR
 * has no per-example costs, so the share grows instead), and the labels given to the target
 * keep the source's class proportions (his {@code num+}): class {@code k} receives the
 * {@code share x n x prior(k)} target codes it scores highest, the most confident first.
 * After the last round, relabelling and retraining repeat until no label changes (at most 5
 * times). The final SVM is the head.
 */
final class TransductiveSvm {

    /** Rounds over which the target's share grows to all of it. */
    static final int ROUNDS = 5;
    /** Relabel-and-retrain passes at full share, at most. */
    static final int SETTLE = 5;

    private TransductiveSvm() {}

    static LinearHead fit(FeatureCodes source, Codes target, long seed) {
        LinearProbe.Config cfg = LinearProbe.Config.defaults(LinearProbe.Classifier.SVM, seed);
        LinearProbe.LinearMap map = LinearProbe.fitLinear(source, cfg);
        LinearProbe.Config fixed = cfg.withGrid(new double[] {map.c()});
        double[] prior = prior(source);
        int[] labels = null;
        int passes = 0;
        int changed = -1;
        for (int round = 1; round <= ROUNDS + SETTLE; round++) {
            double share = Math.min(1, (double) round / ROUNDS);
            int[] next = assign(scores(map, target), prior, share);
            changed = labels == null ? -1 : differences(labels, next);
            if (round > ROUNDS && changed == 0) {
                break;
            }
            labels = next;
            map = LinearProbe.fitLinear(union(source, target, labels), fixed);
            passes++;
        }
        return new LinearHead(map.weight(), map.bias(), String.format(Locale.ROOT,
                "%d fits of a linear SVM (C = %s), last relabelling changed %d label(s)",
                passes + 1, map.c(), Math.max(changed, 0)));
    }

    /** Each class's share of the source. */
    static double[] prior(FeatureCodes source) {
        double[] p = new double[source.numClasses()];
        for (int y : source.labels()) {
            p[y] += 1.0 / source.count();
        }
        return p;
    }

    private static double[][] scores(LinearProbe.LinearMap map, Codes codes) {
        LinearHead head = new LinearHead(map.weight(), map.bias(), "");
        double[][] s = new double[codes.count()][];
        for (int i = 0; i < s.length; i++) {
            s[i] = head.logits(codes.values(), i, codes.dim());
        }
        return s;
    }

    /**
     * Labels for {@code share} of the rows of {@code scores}, class {@code k} receiving
     * {@code round(share n prior(k))} of them: all (row, class) pairs, highest score first, each
     * taken while its row is free and its class has room; {@code -1} for rows left out.
     */
    static int[] assign(double[][] scores, double[] prior, double share) {
        int n = scores.length;
        int classes = prior.length;
        int[] room = new int[classes];
        for (int k = 0; k < classes; k++) {
            room[k] = (int) Math.round(share * n * prior[k]);
        }
        Integer[] pairs = new Integer[n * classes];
        for (int i = 0; i < pairs.length; i++) {
            pairs[i] = i;
        }
        Arrays.sort(pairs, Comparator.comparingDouble(
                (Integer p) -> -scores[p / classes][p % classes]).thenComparingInt(p -> p));
        int[] out = new int[n];
        Arrays.fill(out, -1);
        for (int p : pairs) {
            int i = p / classes;
            int k = p % classes;
            if (out[i] < 0 && room[k] > 0) {
                out[i] = k;
                room[k]--;
            }
        }
        return out;
    }

    private static int differences(int[] a, int[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] != b[i] ? 1 : 0;
        }
        return d;
    }

    /** The source codes followed by the target codes that have a label. */
    static FeatureCodes union(FeatureCodes source, Codes target, int[] labels) {
        int d = source.dim();
        int taken = (int) Arrays.stream(labels).filter(y -> y >= 0).count();
        int n = source.count() + taken;
        float[] v = Arrays.copyOf(source.values(), n * d);
        int[] y = Arrays.copyOf(source.labels(), n);
        int at = source.count();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= 0) {
                System.arraycopy(target.values(), i * d, v, at * d, d);
                y[at++] = labels[i];
            }
        }
        return new FeatureCodes(v, n, d, y, source.classNames());
    }
}
