package dev.graft.distill;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import dev.graft.train.EpochMetrics;
import dev.graft.train.Spread;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The distillation table, as text for the terminal and as the run's HTML report. */
public final class DistillReport {

    private static final List<String> HEADER = List.of("kind", "test accuracy (%)",
            "vs alone, paired (points)", "gap recovered", "epoch cost vs alone",
            "teacher outputs");

    private DistillReport() {}

    /** The summary a person reads first: teacher, student, one row per kind. */
    public static String text(Distillation.Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(models(r)).append('\n').append("teacher outputs: ").append(r.teacherCache())
                .append('\n');
        sb.append(TextTable.render(HEADER, cells(r)));
        sb.append("(n) seeds averaged; paired: distilled minus alone on the same seed (same"
                + " initial weights and batches); ! = beyond one std of the difference\n"
                + "epoch cost: time per training image relative to the student alone, the two"
                + " timed in alternation\n");
        return sb.toString();
    }

    private static String models(Distillation.Result r) {
        Distillation.Model t = r.teacher();
        Distillation.Model s = r.student();
        return String.format(Locale.ROOT, "teacher %s: %,d parameters, test accuracy %.2f%%,"
                + " %,.0f examples/s%nstudent %s: %,d parameters (%.1fx fewer), %,.0f examples/s"
                + " (%.2fx faster, median of 4 rounds alternating with the teacher)", t.architecture(), t.parameters(), 100 * t.testAccuracy(),
                t.inferenceImagesPerSecond(), s.architecture(), s.parameters(),
                (double) t.parameters() / s.parameters(), s.inferenceImagesPerSecond(),
                r.studentSpeedup());
    }

    private static List<List<String>> cells(Distillation.Result r) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("teacher", String.format(Locale.ROOT, "%.2f",
                100 * r.teacher().testAccuracy()), "", "", "", ""));
        for (Distillation.Row row : r.rows()) {
            Spread a = row.accuracy();
            Spread d = row.vsAlone();
            String diverged = row.diverged() == 0 ? "" : String.format(" %d diverged",
                    row.diverged());
            rows.add(List.of(row.kind().id(),
                    a == null ? diverged.strip() : String.format(Locale.ROOT, "%.2f ± %.2f (%d)%s",
                            100 * a.mean(), 100 * a.std(), a.seeds(), diverged),
                    d == null ? "" : String.format(Locale.ROOT, "%+.2f ± %.2f%s", 100 * d.mean(),
                            100 * d.std(), d.beyondSpread() ? " !" : ""),
                    row.gapRecovered() == null ? "" : String.format(Locale.ROOT, "%.0f%%",
                            100 * row.gapRecovered()),
                    row.epochCostVsAlone() == null ? "" : String.format(Locale.ROOT, "%.2fx",
                            row.epochCostVsAlone()),
                    row.teacherOutputs() == null ? "" : row.teacherOutputs()));
        }
        return rows;
    }

    /** Writes the run's {@code report.html}. */
    static void write(Path file, Distillation.Config c, Distillation.Result r) {
        Report page = new Report("graft distill");
        page.heading("Teacher and student").preformatted(models(r));
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put(c.teachers().size() == 1 ? "teacher checkpoint" : "teacher checkpoints"
                + " (ensemble: mean logits)", String.join(", ", c.teachers().stream()
                        .map(java.nio.file.Path::toString).toList()));
        facts.put("training images", String.format("%,d%s", r.trainExamples(),
                c.unlabeled() ? " (labels unused by distillation)" : ""));
        facts.put("data", r.dataSource());
        facts.put("teacher outputs", r.teacherCache());
        facts.put("temperature / alpha", c.terms().temperature() + " / " + c.terms().alpha());
        if (r.plan().hintStudent() != null) {
            facts.put("hint", "student " + r.plan().hintStudent() + " -> teacher "
                    + r.plan().hintTeacher());
        }
        if (r.plan().relationStudent() != null) {
            facts.put("relations", "student " + r.plan().relationStudent() + " vs teacher "
                    + r.plan().relationTeacher());
        }
        page.facts(facts);
        page.heading("Comparison");
        page.table(HEADER, cells(r), null);
        List<String> names = new ArrayList<>();
        List<Double> means = new ArrayList<>();
        names.add("teacher");
        means.add(100 * r.teacher().testAccuracy());
        for (Distillation.Row row : r.rows()) {
            if (row.accuracy() != null) {
                names.add(row.kind().id());
                means.add(100 * row.accuracy().mean());
            }
        }
        page.chart(Chart.bars("Test accuracy", "", "accuracy (%)", names,
                means.stream().mapToDouble(Double::doubleValue).toArray()));
        List<Chart.Series> curves = new ArrayList<>();
        for (Distillation.StudentRun run : r.runs()) {
            if (run.seedIndex() != 1 || !run.finished() || run.history().stream()
                    .anyMatch(m -> m.valAccuracy() == null)) {
                continue;
            }
            double[] x = run.history().stream().mapToDouble(EpochMetrics::epoch).toArray();
            double[] y = run.history().stream().mapToDouble(m -> 100 * m.valAccuracy())
                    .toArray();
            curves.add(new Chart.Series(run.kind().id(), x, y, null));
        }
        if (!curves.isEmpty()) {
            page.chart(Chart.lines("Validation accuracy (seed 1)", "epoch", "accuracy (%)",
                    curves, false));
        }
        page.write(file);
    }
}
