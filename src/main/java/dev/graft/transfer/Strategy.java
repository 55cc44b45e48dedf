package dev.graft.transfer;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** A way to get a network for the target task, as compared by {@code graft transfer}. */
public enum Strategy {
    /** The source architecture, freshly initialized and trained on the target data alone. */
    SCRATCH("scratch"),
    /** The pretrained trunk frozen; only a new head trains. */
    PROBE("probe"),
    /** The top stage and a new head train; everything below stays frozen. */
    LAST_STAGE("last-stage"),
    /** Every stage trains, starting from the pretrained weights. */
    FULL("full"),
    /** Gradual unfreezing, discriminative rates and the slanted triangular schedule. */
    ULMFIT("ulmfit"),
    /**
     * The probe's logistic regression as the head, then every stage fine-tunes (LP-FT, Kumar
     * et al. 2022).
     */
    LP_FT("lp-ft"),
    /**
     * Text: the encoder fine-tuned contrastively on pairs of labelled sentences, then a
     * logistic regression on its embeddings (SetFit, Tunstall et al. 2022).
     */
    SETFIT("setfit"),
    /**
     * Text without transfer: word 1-2-gram TF-IDF and logistic regression, the {@code scratch}
     * of text.
     */
    TFIDF("tfidf"),
    /**
     * Multi-task learning instead of pretraining: the source architecture, freshly initialized,
     * trained on the target's labels and the source task's together (a head each on one
     * trunk, a source batch beside every target batch).
     */
    JOINT("joint");

    private final String id;

    Strategy(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    /**
     * The fine-tuning policy of this strategy for a trunk with these stages; null for those
     * that start from no pretrained weights (scratch, TF-IDF, joint).
     */
    public FineTunePolicy policy(List<String> stages) {
        return switch (this) {
            case SCRATCH, TFIDF, JOINT -> null;
            case SETFIT -> FineTunePolicy.preset("full", stages);
            default -> FineTunePolicy.preset(id, stages);
        };
    }

    /** True for the baselines a strategy is compared against (no pretrained weights). */
    public boolean isBaseline() {
        return this == SCRATCH || this == TFIDF;
    }

    /** The strategies {@code graft transfer} compares by default, for images or texts. */
    public static List<Strategy> defaults(boolean text) {
        return text ? List.of(TFIDF, PROBE, LAST_STAGE, FULL, ULMFIT, LP_FT, SETFIT)
                : List.of(SCRATCH, PROBE, LAST_STAGE, FULL, ULMFIT);
    }

    /** Refuses a strategy that does not apply to the task's modality. */
    public void checkApplies(boolean text) {
        if (text && this == SCRATCH) {
            throw new dev.graft.io.GraftException("scratch trains the image architecture"
                    + " afresh; the no-transfer baseline of text is tfidf (--strategies"
                    + " tfidf,probe,...)");
        }
        if (text && this == JOINT) {
            throw new dev.graft.io.GraftException("joint trains the source task beside the"
                    + " target's, and a text encoder carries no labelled source task; joint is"
                    + " for image checkpoints trained by graft");
        }
        if (!text && (this == SETFIT || this == TFIDF)) {
            throw new dev.graft.io.GraftException(id + " is a strategy for text encoders, and"
                    + " the model reads images; image strategies are scratch, probe,"
                    + " last-stage, full, ulmfit, lp-ft, joint");
        }
    }

    @JsonCreator
    public static Strategy byId(String id) {
        for (Strategy s : values()) {
            if (s.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown strategy '" + id + "'; strategies are "
                + ids());
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(Strategy::id).toList();
    }
}
