package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Values worked by hand from each schedule's formula (and PyTorch's OneCycleLR). */
class LrScheduleTest {

    @Test
    void oneCycleMatchesPyTorch() {
        LrSchedule s = LrSchedule.OneCycle.defaults();
        // total 100: warm-up ends at step 0.3 * 100 - 1 = 29
        assertEquals(1 / 25.0, s.factor(0, 100), 1e-12);
        assertEquals(1.0, s.factor(29, 100), 1e-12);
        // total 59: warm-up ends at step 0.3 * 59 - 1 = 16.7; not an integer, so check the
        // exact midpoint of a schedule whose warm-up ends at step 4 (total 50 * 0.1)
        LrSchedule mid = new LrSchedule.OneCycle(0.1, 25, 1e4);
        // step 2 is pct 0.5 of the rise: 1/25 + (1 - 1/25) / 2 (cos(pi/2) = 0)
        assertEquals(1 / 25.0 + (1 - 1 / 25.0) / 2, mid.factor(2, 50), 1e-12);
        assertEquals(1 / 25.0 / 1e4, s.factor(99, 100), 1e-12);
    }

    @Test
    void oneCycleHalfwayDownIsTheMidpoint() {
        LrSchedule s = new LrSchedule.OneCycle(0.5, 10, 1);
        // total 11: up to step 4.5 then down to step 10; at t = 10 the minimum 0.1
        assertEquals(0.1, s.factor(10, 11), 1e-12);
        assertEquals(0.1, s.factor(0, 11), 1e-12);
    }

    @Test
    void slantedTriangularFollowsTheUlmfitFormula() {
        LrSchedule s = LrSchedule.SlantedTriangular.defaults();
        // T = 100, cut = 10, ratio 32
        assertEquals(1 / 32.0, s.factor(0, 100), 1e-12);
        assertEquals((1 + 0.5 * 31) / 32, s.factor(5, 100), 1e-12);
        assertEquals(1.0, s.factor(10, 100), 1e-12);
        // p = 1 - (55 - 10) / (10 * 9) = 0.5
        assertEquals((1 + 0.5 * 31) / 32, s.factor(55, 100), 1e-12);
        assertEquals(1 / 32.0, s.factor(100, 100), 1e-12);
    }

    @Test
    void cosineAndWarmup() {
        assertEquals(1.0, new LrSchedule.Cosine().factor(0, 10), 1e-12);
        assertEquals(0.5, new LrSchedule.Cosine().factor(5, 10), 1e-12);
        assertEquals(0.0, new LrSchedule.Cosine().factor(10, 10), 1e-12);
        LrSchedule w = new LrSchedule.Warmup(4, new LrSchedule.Constant());
        assertEquals(0.25, w.factor(0, 10), 1e-12);
        assertEquals(1.0, w.factor(3, 10), 1e-12);
        assertEquals(1.0, w.factor(9, 10), 1e-12);
        LrSchedule wc = new LrSchedule.Warmup(2, new LrSchedule.Cosine());
        assertEquals(1.0, wc.factor(2, 10), 1e-12);
        assertEquals(0.5, wc.factor(6, 10), 1e-12);
    }

    @Test
    void parseAndValidate() {
        assertEquals(new LrSchedule.Cosine(), LrSchedule.parse("cosine", 0));
        assertEquals(new LrSchedule.Warmup(5, new LrSchedule.Constant()),
                LrSchedule.parse("constant", 5));
        assertEquals(new LrSchedule.Linear(), LrSchedule.parse("linear", 0));
        assertEquals(0.75, new LrSchedule.Linear().factor(1, 4), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("exponential", 0));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.SlantedTriangular(0, 32));
    }

    @Test
    void schedulesRecordTheirTypeInJson() throws Exception {
        LrSchedule s = new LrSchedule.Warmup(10, LrSchedule.OneCycle.defaults());
        String json = dev.graft.io.Json.line(s);
        org.junit.jupiter.api.Assertions.assertTrue(json.contains("\"type\":\"warmup\""), json);
        org.junit.jupiter.api.Assertions.assertTrue(json.contains("\"type\":\"one-cycle\""), json);
        assertEquals(s, dev.graft.io.Json.COMPACT.readValue(json, LrSchedule.class));
    }
}
