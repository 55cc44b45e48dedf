package dev.graft.transfer;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.train.Spread;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The report pages of a comparison: accuracy by label budget, the table, curves, confusion. */
public final class ComparisonReport {

    private ComparisonReport() {}

    /** The comparison as a text table, best strategy per budget marked. */
    public static String text(Comparison.Result r) {
        String baseline = r.table().stream().anyMatch(row -> row.strategy() == Strategy.TFIDF)
                ? "tfidf" : "scratch";
        StringBuilder sb = new StringBuilder(String.format("%6s  %-10s  %-20s  %-17s  %7s"
                + "  %11s%n", "shots", "strategy", "test accuracy", "vs " + baseline, "wall s",
                "trainable"));
        Integer last = -1;
        for (Comparison.Row row : r.table()) {
            if (!java.util.Objects.equals(row.shots(), last) && last != null && last != -1) {
                sb.append('\n');
            }
            last = row.shots();
            boolean best = r.best(row.shots()) == row;
            sb.append(String.format("%6s  %-10s  %6.2f%% ± %5.2f (n=%d)%s %-17s  %7.1f  %,11d%n",
                    Comparison.shotsLabel(row.shots()), row.strategy().id(),
                    100 * row.meanAccuracy(), 100 * row.stdAccuracy(), row.runs(),
                    best ? "*" : " ", paired(row.vsScratch()), row.meanWallSeconds(),
                    row.trainableParameters()));
        }
        sb.append("* best mean at the budget; ± is the sample standard deviation over seeds\n");
        if (r.table().stream().anyMatch(row -> row.vsScratch() != null)) {
            sb.append("vs " + baseline + ": accuracy minus " + baseline + "'s on the same"
                    + " examples, in points, mean ± std over seeds;\n  ! where the mean is beyond"
                    + " one std of zero\n");
        }
        return sb.toString();
    }


    /** Adds the comparison's sections to {@code page}. */
    public static Report addTo(Report page, Comparison.Config c, TargetTask task,
            Comparison.Result r) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("source model", c.model() + " (" + task.spec().architecture() + ", classes "
                + task.spec().classNames() + ")");
        facts.put("target", task.dataName() + " classes " + task.pool().classNames() + " from "
                + task.dataSource());
        facts.put("label budgets per class", String.join(", ", c.shots().stream()
                .map(Comparison::shotsLabel).toList()));
        facts.put("seeds", Integer.toString(c.seeds()));
        facts.put("training", c.train().epochs() + " epochs of at least " + c.minStepsPerEpoch()
                + " steps, batch up to " + c.train().batchSize() + ", " + c.train().optimizer()
                .kind().name().toLowerCase(java.util.Locale.ROOT) + " at "
                + c.train().optimizer().learningRate());
        page.heading("Transfer comparison").facts(facts);
        page.chart(accuracyByBudget(c, task, r));
        String baseline = task.isText() ? "tfidf" : "scratch";
        page.table(List.of("labels per class", "strategy", "mean accuracy", "std", "min", "max",
                "vs " + baseline + " (points)", "runs", "wall s", "trainable parameters"), rows(r),
                best(r));
        page.paragraph("Bold: the best mean at each budget. Every strategy sees the same labelled"
                + " examples within a seed; std is the sample standard deviation over seeds. "
                + "'vs " + baseline + "' is the paired difference to " + baseline + " on the same"
                + " examples (mean ± std over seeds), marked ! where its mean is more than one"
                + " std from zero.");
        Integer smallest = c.shots().get(0);
        List<Chart.Series> losses = new ArrayList<>();
        for (Comparison.Cell cell : r.cells()) {
            if (cell.seedIndex() == 1 && Objects.equals(cell.shots(), smallest)
                    && !cell.trainLoss().isEmpty()) {
                double[] x = new double[cell.trainLoss().size()];
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i + 1;
                    y[i] = cell.trainLoss().get(i);
                }
                losses.add(new Chart.Series(cell.strategy().id(), x, y, null));
            }
        }
        if (!losses.isEmpty()) {
            page.chart(Chart.lines("Training loss at " + Comparison.shotsLabel(smallest)
                    + " labels per class (seed 1)", "epoch", "training loss", losses, false));
        }
        for (Integer shots : c.shots()) {
            Comparison.Row best = r.best(shots);
            r.cells().stream().filter(x -> x.strategy() == best.strategy() && x.seedIndex() == 1
                    && Objects.equals(x.shots(), shots) && x.test() != null).findFirst()
                    .ifPresent(cell -> page
                            .confusion("Confusion on the target test set: " + best.strategy().id()
                                    + " at " + Comparison.shotsLabel(shots)
                                    + " labels per class (seed 1)", cell.test().classNames(),
                                    cell.test().confusion()));
        }
        return page;
    }

    private static Chart accuracyByBudget(Comparison.Config c, TargetTask task,
            Comparison.Result r) {
        int pool = java.util.Arrays.stream(task.pool().classCounts()).min().orElse(1);
        List<Chart.Series> series = new ArrayList<>();
        for (Strategy s : c.strategies()) {
            List<Comparison.Row> rows = r.table().stream().filter(x -> x.strategy() == s)
                    .sorted(java.util.Comparator.comparingInt(x -> x.shots() == null ? pool
                            : x.shots())).toList();
            double[] x = rows.stream().mapToDouble(row -> row.shots() == null ? pool
                    : row.shots()).toArray();
            double[] y = rows.stream().mapToDouble(row -> 100 * row.meanAccuracy()).toArray();
            double[] e = rows.stream().mapToDouble(row -> 100 * row.stdAccuracy()).toArray();
            series.add(new Chart.Series(s.id(), x, y, c.seeds() > 1 ? e : null));
        }
        return Chart.lines("Target test accuracy by label budget (mean and std over seeds)",
                "labelled examples per class", "test accuracy (%)", series,
                c.shots().size() > 1);
    }

    private static List<List<String>> rows(Comparison.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Comparison.Row row : r.table()) {
            rows.add(List.of(Comparison.shotsLabel(row.shots()), row.strategy().id(),
                    pct(row.meanAccuracy()), pct(row.stdAccuracy()), pct(row.minAccuracy()),
                    pct(row.maxAccuracy()), paired(row.vsScratch()),
                    Integer.toString(row.runs()),
                    String.format("%.1f", row.meanWallSeconds()),
                    String.format("%,d", row.trainableParameters())));
        }
        return rows;
    }

    private static boolean[] best(Comparison.Result r) {
        boolean[] b = new boolean[r.table().size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = r.best(r.table().get(i).shots()) == r.table().get(i);
        }
        return b;
    }

    /** {@code +2.20 ± 1.06 !}, or {@code -} without a scratch run to compare with. */
    static String paired(Spread d) {
        if (d == null) {
            return "-";
        }
        return String.format("%+.2f ± %.2f%s", 100 * d.mean(), 100 * d.std(),
                d.beyondSpread() ? " !" : "");
    }

    static String pct(double v) {
        return String.format("%.2f%%", 100 * v);
    }
}
