package dev.graft.adapt;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The registry of adaptation methods, with their references and defaults. */
public enum Method {
    SOURCE_ONLY("source-only", false, "the source model as it is: the lower bound"),
    ORACLE("oracle", true, "fine-tuned on the target's labels: an upper bound for evaluation"
            + " only, NOT adaptation"),
    ADABN("adabn", false, "BatchNorm statistics re-estimated on the target, nothing trained"
            + " (Li et al. 2016); combines: adabn+METHOD"),
    SELF_TRAINING("self-training", true, "+ cross-entropy on the target examples the model"
            + " predicts with confidence >= 0.95, labels refreshed every step (Lee 2013;"
            + " FixMatch's threshold)"),
    FIXMATCH("fixmatch", true, "self-training on two views (FixMatch, Sohn et al. 2020):"
            + " pseudo-labels (confidence >= 0.95) from a shifted view, cross-entropy on a"
            + " RandAugment + Cutout view of the same target images"),
    CORAL("coral", true, "+ distance between source and target feature means and covariances"
            + " (Deep CORAL, Sun & Saenko 2016)"),
    MMD("mmd", true, "+ multi-kernel MMD between source and target features (DAN, Long et al."
            + " 2015; 5 Gaussian kernels)"),
    DANN("dann", true, "+ a domain classifier behind gradient reversal, lambda(p) = 2 / (1 +"
            + " exp(-10 p)) - 1 (Ganin et al. 2016)"),
    MCC("mcc", true, "+ minimum class confusion on target predictions, T = 2.5 (Jin et al."
            + " 2020)"),
    SHOT("shot", true, "source-free: trains the features on the target alone, head frozen,"
            + " information maximization + 0.3 x clustering pseudo-labels (Liang et al. 2020)"),
    LABEL_PROPAGATION("label-propagation", false, "on the codes: labels spread over a kNN graph of"
            + " source and target codes (Zhou et al. 2004, with Iscen et al. 2019's k = 50, alpha"
            + " = 0.99), then a logistic-regression head fitted to the target's"),
    TSVM("tsvm", false, "on the codes: a transductive linear SVM, self-labelling rounds on"
            + " LIBLINEAR that keep the source's class proportions (Joachims 1999)"),
    EM("em", false, "on the codes: one Gaussian per class, shared covariance, refitted by"
            + " expectation-maximization to the target's posteriors (Nigam et al. 2000)");

    private final String id;
    private final boolean trains;
    private final String description;

    Method(String id, boolean trains, String description) {
        this.id = id;
        this.trains = trains;
        this.description = description;
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** Whether the method trains the network (else it only evaluates or re-estimates). */
    public boolean trains() {
        return trains;
    }

    public String description() {
        return description;
    }

    /** Whether it fits a new head on the network's codes of both domains (trains nothing). */
    public boolean onCodes() {
        return this == LABEL_PROPAGATION || this == TSVM || this == EM;
    }

    /** Whether it trains on a source batch and a target batch at every step. */
    public boolean joint() {
        return this == SELF_TRAINING || this == FIXMATCH || this == CORAL || this == MMD
                || this == DANN || this == MCC;
    }

    @JsonCreator
    public static Method parse(String s) {
        for (Method m : values()) {
            if (m.id.equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown adaptation method '" + s + "'; methods are "
                + String.join(", ", Arrays.stream(values()).map(Method::id).toList()));
    }

    /** Each method and its description, wrapped to 100 columns, for {@code --help}. */
    public static List<String> help() {
        List<String> out = new ArrayList<>();
        for (Method m : values()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-14s", m.id));
            for (String word : m.description.split(" ")) {
                if (line.length() + 1 + word.length() > 100) {
                    out.add(line.toString());
                    line = new StringBuilder(" ".repeat(16));
                }
                line.append(' ').append(word);
            }
            out.add(line.toString());
        }
        return out;
    }
}
