package dev.graft.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.io.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a training step's time goes, per engine operator: libtorch's own profiler records every
 * operator graft calls (forward, backward, optimizer, checks) as a Chrome trace, and
 * {@link #summarize} turns it into self time per operator name (an operator's time minus the
 * operators it called), the measure PyTorch's {@code key_averages()} sorts by, so the two
 * tables compare line by line ({@code bench/profile_step.sh}).
 */
public final class StepProfile {

    /** One operator name's share. */
    public record Row(@JsonProperty("operator") String operator,
            @JsonProperty("calls") long calls,
            @JsonProperty("self_ms") double selfMs,
            @JsonProperty("total_ms") double totalMs) {}

    /**
     * The summary.
     *
     * @param wallMs the profiled span's wall time
     * @param selfMs the operators' self time, summed over every thread
     */
    public record Summary(@JsonProperty("trace") String trace,
            @JsonProperty("steps") long steps,
            @JsonProperty("wall_ms") double wallMs,
            @JsonProperty("operator_self_ms") double selfMs,
            @JsonProperty("operators") List<Row> rows) {}

    private StepProfile() {}

    /** Starts libtorch's profiler (operator times, no shapes, no memory). */
    static void start() {
        Autograd.startProfiler();
    }

    /**
     * Stops it and writes the Chrome trace to {@code trace} (open it in chrome://tracing): to a
     * temporary file beside it first, moved into place once complete.
     */
    static void stop(Path trace) {
        Path target = trace.toAbsolutePath();
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Autograd.stopProfiler(partial);
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new GraftException("cannot write the profile " + target + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Self and total time per operator name from a Chrome trace of complete events
     * ({@code "ph": "X"} with {@code ts} and {@code dur} in microseconds), nested per thread by
     * their time spans; rows by self time, largest first.
     */
    public static Summary summarize(Path trace, long steps, double wallMs) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(trace.toFile());
        } catch (IOException e) {
            throw new GraftException("cannot read the profile " + trace + ": " + e.getMessage(),
                    e);
        }
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        Map<String, List<double[]>> byThread = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText()) || !e.has("dur")) {
                continue;
            }
            names.add(e.path("name").asText());
            byThread.computeIfAbsent(e.path("tid").asText(), k -> new ArrayList<>()).add(
                    new double[] {e.path("ts").asDouble(), e.path("dur").asDouble(),
                        names.size() - 1});
        }
        Map<String, double[]> agg = new HashMap<>();
        for (List<double[]> spans : byThread.values()) {
            // parents first: earlier start, and of equal starts the longer
            spans.sort(Comparator.<double[]>comparingDouble(s -> s[0])
                    .thenComparing(s -> -s[1]));
            Deque<double[]> open = new ArrayDeque<>();
            double[] self = new double[spans.size()];
            for (int i = 0; i < spans.size(); i++) {
                double[] s = spans.get(i);
                while (!open.isEmpty() && open.peek()[0] + open.peek()[1] <= s[0]) {
                    open.pop();
                }
                self[i] = s[1];
                if (!open.isEmpty()) {
                    self[(int) open.peek()[3]] -= s[1];
                }
                open.push(new double[] {s[0], s[1], s[2], i});
            }
            for (int i = 0; i < spans.size(); i++) {
                double[] a = agg.computeIfAbsent(names.get((int) spans.get(i)[2]),
                        k -> new double[3]);
                a[0]++;
                a[1] += self[i];
                a[2] += spans.get(i)[1];
            }
        }
        List<Row> rows = new ArrayList<>();
        double total = 0;
        for (Map.Entry<String, double[]> e : agg.entrySet()) {
            double[] a = e.getValue();
            rows.add(new Row(e.getKey(), (long) a[0], a[1] / 1e3, a[2] / 1e3));
            total += a[1] / 1e3;
        }
        rows.sort(Comparator.comparingDouble(Row::selfMs).reversed());
        return new Summary(trace.toString(), steps, wallMs, total, rows);
    }
}
