package dev.graft.analysis;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.TensorDataset;
import dev.graft.model.StagedNet;
import dev.graft.model.Weights;
import dev.graft.train.Evaluation;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss landscape on the straight line between two models of one architecture (Frankle et
 * al. 2020; Neyshabur et al. 2020): test loss and accuracy at evenly spaced points
 * {@code (1 - t) a + t b}, BatchNorm statistics re-estimated at every point (including the
 * ends, so the ends are judged like the points between). The barrier is the largest rise above
 * the straight line joining the two ends' values: 0 when the path is no worse than its ends.
 *
 * @param points from {@code t = 0} (model a) to {@code t = 1} (model b)
 * @param lossBarrier {@code max_t L(t) - ((1 - t) L(0) + t L(1))}
 * @param errorBarrier the same for the error rate, in [0, 1]
 */
public record Interpolation(
        @JsonProperty("points") List<Point> points,
        @JsonProperty("loss_barrier") double lossBarrier,
        @JsonProperty("error_barrier") double errorBarrier) {

    /** One point on the line. */
    public record Point(
            @JsonProperty("t") double t,
            @JsonProperty("loss") double loss,
            @JsonProperty("accuracy") double accuracy) {}

    /**
     * Batches of 128 training images that re-estimate BatchNorm statistics at each point: the
     * reset values keep a weight of 0.9^50 = 0.5%.
     */
    public static final int BN_BATCHES = 50;

    /**
     * @param steps intervals on the line ({@code steps + 1} points)
     * @param eval where loss and accuracy are measured (the test set)
     * @param bnData where BatchNorm statistics are re-estimated (training images)
     * @param bnBatches batches of 128 of {@code bnData} for that ({@link #BN_BATCHES})
     * @throws IllegalArgumentException for models of different architectures or shapes
     */
    public static Interpolation between(StagedNet a, StagedNet b, int steps, TensorDataset eval,
            TensorDataset bnData, int bnBatches, NDManager manager) {
        Blend.requireSameShape(a, b, "interpolation");
        if (steps < 1) {
            throw new IllegalArgumentException("interpolation needs at least 1 step, got "
                    + steps);
        }
        try (NDManager m = manager.newSubManager()) {
            StagedNet work = a.newLike(m);
            List<Point> points = new ArrayList<>();
            try (Weights wa = Weights.of(a, m); Weights wb = Weights.of(b, m)) {
                for (int i = 0; i <= steps; i++) {
                    double t = (double) i / steps;
                    Blend.into(work, wa, wb, t, wa.tensors().keySet(), m);
                    Blend.reestimateBatchNorm(work, bnData, bnBatches, 128, m);
                    Evaluation ev = Evaluation.of(work, eval, null, m);
                    points.add(new Point(t, ev.loss(), ev.accuracy()));
                }
            }
            return of(points);
        }
    }

    /** The barriers of measured points (first and last being the two models). */
    static Interpolation of(List<Point> points) {
        Point first = points.get(0);
        Point last = points.get(points.size() - 1);
        double loss = 0;
        double error = 0;
        for (Point p : points) {
            double lineLoss = (1 - p.t()) * first.loss() + p.t() * last.loss();
            double lineError = (1 - p.t()) * (1 - first.accuracy()) + p.t()
                    * (1 - last.accuracy());
            loss = Math.max(loss, p.loss() - lineLoss);
            error = Math.max(error, (1 - p.accuracy()) - lineError);
        }
        return new Interpolation(List.copyOf(points), loss, error);
    }
}
