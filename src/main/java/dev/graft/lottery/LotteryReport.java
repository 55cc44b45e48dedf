package dev.graft.lottery;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The lottery table, as text for the terminal and as the run's HTML report. */
public final class LotteryReport {

    private LotteryReport() {}

    private static List<String> header(boolean controls) {
        List<String> h = new ArrayList<>(List.of("round", "weights left", "ticket (%)",
                "at early stop (%)", "early-stop iteration"));
        if (controls) {
            h.addAll(List.of("reinit (%)", "reinit early stop", "random mask (%)",
                    "random early stop"));
        }
        return h;
    }

    private static boolean controls(Lottery.Result r) {
        return !r.arm(Lottery.Arm.REINIT).isEmpty();
    }

    private static List<List<String>> cells(Lottery.Result r) {
        boolean controls = controls(r);
        List<List<String>> rows = new ArrayList<>();
        Map<Integer, Map<Lottery.Arm, Lottery.Row>> byRound = byRound(r);
        byRound.forEach((round, arms) -> {
            Lottery.Row t = arms.containsKey(Lottery.Arm.DENSE) ? arms.get(Lottery.Arm.DENSE)
                    : arms.get(Lottery.Arm.TICKET);
            List<String> row = new ArrayList<>(List.of(round == 0 ? "0 (dense)"
                    : Integer.toString(round), percent(t.remaining()), points(t.accuracy()),
                    points(t.earlyStopAccuracy()), String.format("%,d", t.earlyStopIteration())));
            if (controls) {
                for (Lottery.Arm a : List.of(Lottery.Arm.REINIT, Lottery.Arm.RANDOM)) {
                    Lottery.Row c = arms.get(a);
                    row.add(c == null ? "" : points(c.accuracy()));
                    row.add(c == null ? "" : String.format("%,d", c.earlyStopIteration()));
                }
            }
            rows.add(row);
        });
        return rows;
    }

    private static Map<Integer, Map<Lottery.Arm, Lottery.Row>> byRound(Lottery.Result r) {
        Map<Integer, Map<Lottery.Arm, Lottery.Row>> out = new LinkedHashMap<>();
        for (Lottery.Row row : r.rows()) {
            out.computeIfAbsent(row.round(), k -> new LinkedHashMap<>()).put(row.arm(), row);
        }
        return out;
    }

    /** The table, then what the sparsest ticket shows. */
    public static String text(Lottery.Result r) {
        return TextTable.render(header(controls(r)), cells(r)) + summary(r) + "\n"
                + "checkpoint (last ticket, weights and mask): " + r.checkpoint() + "\n";
    }

    /** The sparsest round against the dense network, and its controls. */
    static String summary(Lottery.Result r) {
        Lottery.Row dense = r.dense();
        List<Lottery.Row> tickets = r.arm(Lottery.Arm.TICKET);
        if (tickets.isEmpty()) {
            return String.format(Locale.ROOT, "dense: %.2f%%", 100 * dense.accuracy());
        }
        Lottery.Row last = tickets.get(tickets.size() - 1);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "at %s of the weights"
                + " the ticket reaches %.2f%% (dense %.2f%%, %+.2f points), early stop at"
                + " iteration %,d (dense %,d)", percent(last.remaining()), 100 * last.accuracy(),
                100 * dense.accuracy(), 100 * (last.accuracy() - dense.accuracy()),
                last.earlyStopIteration(), dense.earlyStopIteration()));
        for (Lottery.Row c : r.rows()) {
            if (c.round() == last.round() && (c.arm() == Lottery.Arm.REINIT
                    || c.arm() == Lottery.Arm.RANDOM)) {
                sb.append(String.format(Locale.ROOT, "; %s %.2f%% (%+.2f)", c.arm() ==
                        Lottery.Arm.REINIT ? "random reinit" : "random mask",
                        100 * c.accuracy(), 100 * (c.accuracy() - dense.accuracy())));
            }
        }
        return sb.toString();
    }

    /** Writes the run's {@code report.html}. */
    static void write(Path file, Lottery.Config c, Lottery.Result r) {
        Report page = new Report("graft lottery");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("network", c.from() != null ? "pretrained " + c.from() : c.architecture()
                + String.format(Locale.ROOT, " (%,d parameters, %,d prunable)", r.parameters(),
                        r.prunable()));
        facts.put("data", r.dataSource() + (c.classes() == null ? "" : ", classes "
                + c.classes()));
        facts.put("pruning", String.format(Locale.ROOT, "%s, %d round(s), %.0f%% of the"
                + " remaining weights per round%s", c.oneShot() ? "one-shot" : "iterative",
                c.rounds(), 100 * c.rate(), c.scope() == dev.graft.compress.Pruning.Scope.GLOBAL
                        ? ", ranked globally" : String.format(Locale.ROOT,
                                " per layer, output layer %.0f%%", 100 * c.outputRate())));
        facts.put("rewinding to", c.rewind() == 0 ? (c.from() == null ? "initialization"
                : "the pretrained weights") : "iteration " + c.rewind());
        facts.put("training per run", String.format(Locale.ROOT, "%d epoch(s), %,d iterations,"
                + " batch %d, %s lr %.3g; traced every %d iterations", c.train().epochs(),
                r.iterations(), c.train().batchSize(), c.train().optimizer().kind().name()
                        .toLowerCase(Locale.ROOT), c.train().optimizer().learningRate(),
                c.evalEvery()));
        facts.put("result", summary(r));
        page.facts(facts);
        page.heading("Rounds");
        page.table(header(controls(r)), cells(r), null);
        page.chart(Chart.lines("Test accuracy at the end of training", "weights remaining (%)",
                "accuracy (%)", series(r, row -> 100 * row.accuracy(), true), true));
        page.chart(Chart.lines("Test accuracy at early stopping (least validation loss)",
                "weights remaining (%)", "accuracy (%)", series(r,
                        row -> 100 * row.earlyStopAccuracy(), true), true));
        page.chart(Chart.lines("Early-stopping iteration", "weights remaining (%)",
                "iteration", series(r, row -> row.earlyStopIteration(), false), true));
        page.heading("Training traces of the tickets");
        List<Chart.Series> traces = new ArrayList<>();
        List<Lottery.Row> tickets = new ArrayList<>(List.of(r.dense()));
        tickets.addAll(r.arm(Lottery.Arm.TICKET));
        for (int i = 0; i < tickets.size(); i += Math.max(1, tickets.size() / 4)) {
            traces.add(trace(tickets.get(i)));
        }
        if (tickets.size() > 1 && !traces.get(traces.size() - 1).name().equals(
                trace(tickets.get(tickets.size() - 1)).name())) {
            traces.add(trace(tickets.get(tickets.size() - 1)));
        }
        page.chart(Chart.lines("Validation accuracy during training", "iteration", "accuracy (%)",
                traces, false));
        page.write(file);
    }

    private static Chart.Series trace(Lottery.Row row) {
        return new Chart.Series(percent(row.remaining()) + " left", row.trace().stream()
                .mapToDouble(Lottery.TracePoint::iteration).toArray(), row.trace().stream()
                        .mapToDouble(p -> 100 * p.valAccuracy()).toArray(), null);
    }

    /** One series per arm (the dense row heads each), x = weights remaining in percent. */
    private static List<Chart.Series> series(Lottery.Result r, ToDoubleFunction<Lottery.Row> y,
            boolean denseLine) {
        List<Chart.Series> out = new ArrayList<>();
        for (Lottery.Arm arm : List.of(Lottery.Arm.TICKET, Lottery.Arm.REINIT,
                Lottery.Arm.RANDOM)) {
            List<Lottery.Row> rows = new ArrayList<>();
            rows.add(r.dense());
            rows.addAll(r.arm(arm));
            if (rows.size() == 1) {
                continue;
            }
            out.add(new Chart.Series(arm == Lottery.Arm.TICKET ? "winning ticket"
                    : arm == Lottery.Arm.REINIT ? "random reinit" : "random mask",
                    rows.stream().mapToDouble(row -> 100 * row.remaining()).toArray(),
                    rows.stream().mapToDouble(y).toArray(), null));
        }
        if (denseLine && !out.isEmpty()) {
            double[] x = out.get(0).x();
            double[] d = new double[x.length];
            java.util.Arrays.fill(d, y.applyAsDouble(r.dense()));
            out.add(new Chart.Series("dense", x, d, null));
        }
        return out;
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, share < 0.1 ? "%.2f%%" : "%.1f%%", 100 * share);
    }

    private static String points(double accuracy) {
        return String.format(Locale.ROOT, "%.2f", 100 * accuracy);
    }
}
