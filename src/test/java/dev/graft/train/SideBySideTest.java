package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class SideBySideTest {

    private static Iterator<Double> seconds(double... s) {
        List<Double> l = new ArrayList<>();
        for (double v : s) {
            l.add(v);
        }
        return l.iterator();
    }

    @Test
    void theWarmUpRoundIsDroppedAndTheMedianRatioKept() {
        // rounds 2-5 ratios: 1.2, 1.2, 1.5, 1.1 -> median of an even count: (1.2 + 1.2) / 2
        Iterator<Double> base = seconds(9, 1, 2, 1, 1);
        Iterator<Double> other = seconds(100, 1.2, 2.4, 1.5, 1.1);
        List<String> calls = new ArrayList<>();
        double r = Benchmark.sideBySideRatio(() -> {
            calls.add("base");
            return base.next();
        }, () -> {
            calls.add("other");
            return other.next();
        }, 5);
        assertEquals(1.2, r, 1e-12);
        assertEquals(List.of("base", "other", "base", "other", "base", "other", "base", "other",
                "base", "other"), calls, "the two alternate");
    }

    @Test
    void anOddNumberOfMeasuredRoundsTakesTheMiddleOne() {
        // a round slowed by a neighbour (ratio 3) does not move the answer
        Iterator<Double> base = seconds(1, 1, 1, 1);
        Iterator<Double> other = seconds(1, 2, 3, 1.25);
        assertEquals(2, Benchmark.sideBySideRatio(base::next, other::next, 4), 1e-12);
    }

    @Test
    void aWarmUpAloneMeasuresNothing() {
        assertThrows(IllegalArgumentException.class,
                () -> Benchmark.sideBySideRatio(() -> 1, () -> 1, 1));
    }
}
