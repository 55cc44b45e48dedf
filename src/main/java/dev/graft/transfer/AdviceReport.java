package dev.graft.transfer;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import java.util.ArrayList;
import java.util.List;

/** The advisor's evidence as text and as report sections. */
public final class AdviceReport {

    private AdviceReport() {}

    /** The transferability curve and the recommendation, for a terminal. */
    public static String text(Advisor.Advice a, String command) {
        StringBuilder sb = new StringBuilder(String.format("%-10s %6s  %18s  %10s%n", "stage",
                "dim", "probe (CV accuracy)", "A-distance"));
        for (Advisor.StageEvidence e : a.curve()) {
            sb.append(String.format("%-10s %6d  %17s%s  %10s%n", e.stage(), e.dim(),
                    e.probeAccuracy() == null ? "n/a" : String.format("%.1f%%",
                            100 * e.probeAccuracy()), e.stage().equals(a.bestStage()) ? "*" : " ",
                    e.domainDistance() == null ? "n/a" : String.format("%.2f",
                            e.domainDistance())));
        }
        sb.append(String.format("%nquadrant: %s (%d labels per class)%n", a.quadrant(),
                a.labelsPerClass()));
        sb.append("recommendation: ").append(describe(a)).append('\n');
        if (command != null) {
            sb.append("  ").append(command).append('\n');
        }
        sb.append("why:\n");
        a.reasons().forEach(r -> sb.append("  - ").append(r).append('\n'));
        return sb.toString();
    }

    /** {@code full (every stage trains)} and the like. */
    public static String describe(Advisor.Advice a) {
        return switch (a.strategy()) {
            case PROBE -> "probe: a logistic regression on the frozen " + a.cutStage() + " codes";
            case LAST_STAGE -> "last-stage: freeze up to " + a.cutStage()
                    + ", fine-tune the top stage and a new head";
            case FULL -> "full: fine-tune every stage from the pretrained weights";
            case ULMFIT -> "ulmfit: gradual unfreezing with discriminative rates";
            case LP_FT -> "lp-ft: the probe's head first, then fine-tune every stage";
            case SCRATCH -> "scratch: the pretrained weights do not help; train from scratch";
            case SETFIT -> "setfit: tune the encoder on sentence pairs, then a logistic"
                    + " regression on its embeddings";
            case TFIDF -> "tfidf: the pretrained encoder does not help; TF-IDF and a logistic"
                    + " regression";
            case JOINT -> "joint: train the source and target tasks together on one trunk";
        };
    }

    /** Adds the advice's sections to {@code page}. */
    public static Report addTo(Report page, Advisor.Advice a, String title) {
        page.heading(title);
        page.paragraph("Recommendation: " + describe(a) + ". Quadrant: " + a.quadrant() + ".");
        List<String> stages = a.curve().stream().map(Advisor.StageEvidence::stage).toList();
        if (a.curve().stream().allMatch(e -> e.probeAccuracy() != null)) {
            page.chart(Chart.bars("Transferability curve: probe accuracy per stage ("
                    + a.labelsPerClass() + " labels per class, cross-validated)", "stage",
                    "probe accuracy (%)", stages, a.curve().stream().mapToDouble(
                            e -> 100 * e.probeAccuracy()).toArray()));
        }
        if (a.curve().stream().allMatch(e -> e.domainDistance() != null)) {
            page.chart(Chart.bars("Distance between source and target codes per stage"
                    + " (proxy A-distance: 0 same, 2 separable)", "stage", "A-distance", stages,
                    a.curve().stream().mapToDouble(Advisor.StageEvidence::domainDistance)
                            .toArray()));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Advisor.Pilot p : a.pilots()) {
            rows.add(List.of(p.strategy().id(), String.format("%.2f%%", 100 * p.accuracy()),
                    String.format("%,d", p.trainableParameters()),
                    String.format("%.1f", p.seconds())));
        }
        if (!rows.isEmpty()) {
            boolean[] chosen = new boolean[rows.size()];
            for (int i = 0; i < chosen.length; i++) {
                chosen[i] = a.pilots().get(i).strategy() == a.strategy();
            }
            page.table(List.of("pilot candidate", "held-out accuracy", "trainable parameters",
                    "seconds"), rows, chosen);
        }
        page.preformatted(String.join("\n", a.reasons()));
        return page;
    }
}
