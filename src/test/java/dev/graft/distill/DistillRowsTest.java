package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.data.Augmentation;
import dev.graft.model.ModelOptions;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison table from student runs: pairing, the gap, diverged seeds. */
class DistillRowsTest {

    private static final Distillation.Kind ALONE = Distillation.Kind.ALONE;
    private static final Distillation.Kind RESPONSE = Distillation.Kind.RESPONSE;
    private static final Distillation.Kind COMBINED = Distillation.Kind.COMBINED;

    private static Distillation.Config config() {
        return new Distillation.Config(List.of(Path.of("teacher")), null, null, null, null, false, 0.1,
                "mlp",
                ModelOptions.DEFAULT, List.of(ALONE, RESPONSE, COMBINED), 2,
                Distillation.Terms.defaults(), 0, new TrainConfig(1, 64, OptimizerConfig.adam(
                        1e-3), LrSchedule.OneCycle.defaults(), Augmentation.NONE, 1, 0,
                        List.of()));
    }

    private static Distillation.StudentRun run(Distillation.Kind k, int seed, double acc) {
        return new Distillation.StudentRun(k, seed, acc, 1, 1000.0, "cached", "ckpt", List.of(),
                null);
    }

    private static Distillation.StudentRun diverged(Distillation.Kind k, int seed) {
        return new Distillation.StudentRun(k, seed, null, 0, null, "cached", null, List.of(),
                "loss became NaN");
    }

    @Test
    void divergedSeedsAreCountedNotAveraged() {
        List<Distillation.StudentRun> runs = List.of(run(ALONE, 1, 0.80), run(RESPONSE, 1, 0.83),
                run(COMBINED, 1, 0.81), run(ALONE, 2, 0.82), run(RESPONSE, 2, 0.84),
                diverged(COMBINED, 2));
        List<Distillation.Row> rows = Distillation.rows(config(), runs,
                Map.of(RESPONSE, 1.1, COMBINED, 5.0), 0.91);
        Distillation.Row alone = rows.get(0);
        assertEquals(0.81, alone.accuracy().mean(), 1e-12);
        assertNull(alone.vsAlone());
        assertNull(alone.epochCostVsAlone());
        Distillation.Row response = rows.get(1);
        // paired differences 0.03 and 0.02; the gap 0.91 - 0.81 = 0.10, 0.025 of it recovered
        assertEquals(0.025, response.vsAlone().mean(), 1e-12);
        assertEquals(0.25, response.gapRecovered(), 1e-12);
        assertEquals(1.1, response.epochCostVsAlone());
        assertEquals(0, response.diverged());
        Distillation.Row combined = rows.get(2);
        assertEquals(1, combined.accuracy().seeds());
        assertEquals(1, combined.vsAlone().seeds(), "paired on the seed that finished");
        assertEquals(0.01, combined.vsAlone().mean(), 1e-12);
        assertEquals(1, combined.diverged());
    }

    @Test
    void aKindWhoseEverySeedDivergedHasNoAccuracyAndTheTableSaysSo() {
        List<Distillation.StudentRun> runs = List.of(run(ALONE, 1, 0.80), diverged(COMBINED, 1));
        Distillation.Config c = config();
        List<Distillation.Row> rows = Distillation.rows(c, runs, Map.of(), 0.9);
        Distillation.Row combined = rows.get(2);
        assertNull(combined.accuracy());
        assertEquals(1, combined.diverged());
        Distillation.Result r = new Distillation.Result(new Distillation.Model("convnet", 1000,
                10, 0.9), new Distillation.Model("mlp", 100, 100, null), 10,
                new Distillation.Plan(null, null, null, null, null), rows, runs, "cached", 10,
                "subset", "run");
        String text = DistillReport.text(r);
        assertTrue(text.contains("1 diverged"), text);
    }
}
