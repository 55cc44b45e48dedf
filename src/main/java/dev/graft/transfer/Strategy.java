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
    ULMFIT("ulmfit");

    private final String id;

    Strategy(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** The fine-tuning policy of this strategy for a trunk with these stages; null for scratch. */
    public FineTunePolicy policy(List<String> stages) {
        return this == SCRATCH ? null : FineTunePolicy.preset(id, stages);
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
