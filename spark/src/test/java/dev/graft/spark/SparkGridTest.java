package dev.graft.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.data.Augmentation;
import dev.graft.io.GraftException;
import dev.graft.model.ModelOptions;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.TrainConfig;
import dev.graft.transfer.Comparison;
import dev.graft.transfer.Strategy;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A transfer grid's cells as Spark tasks: the same cells and table as graft transfer's. */
class SparkGridTest {

    @TempDir
    static Path tmp;

    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkMain.session("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static TrainConfig train(int epochs) {
        return new TrainConfig(epochs, 32, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 7, 0, List.of());
    }

    @Test
    void theGridOnSparkGivesTheSingleMachineTable() {
        Pretrain.Result src = new Pretrain(s -> { }).run(new Pretrain.Config(
                "fashion-mnist-small", "0-4", null, 0.1, "mlp", ModelOptions.DEFAULT, train(1)),
                tmp.resolve("src"), false);
        Comparison.Config c = new Comparison.Config(Path.of(src.checkpoint()),
                "fashion-mnist-small", "5-9", List.of(Strategy.SCRATCH, Strategy.FULL),
                List.of(4, 8), 2, 3, true, train(2));
        Comparison.Result single = new Comparison(s -> { }).run(c, tmp.resolve("single"));

        Path grid = tmp.resolve("grid");
        assertEquals(8, Comparison.unfinished(c, grid).size(), "planned: every cell to run");
        Comparison.Result onSpark = SparkGrid.run(spark, grid, s -> { });
        assertEquals(8, onSpark.resumedCells(), "every cell came from a Spark task");
        for (Comparison.Cell want : single.cells()) {
            Comparison.Cell got = onSpark.cells().stream().filter(x -> x.id().equals(want.id()))
                    .findFirst().orElseThrow();
            assertEquals(want.testAccuracy(), got.testAccuracy(), 0.0, want.id());
            assertEquals(want.trainLoss(), got.trainLoss(), want.id() + ": the same training");
        }
        for (int i = 0; i < single.table().size(); i++) {
            assertEquals(single.table().get(i).meanAccuracy(), onSpark.table().get(i)
                    .meanAccuracy(), 0.0);
        }
        assertEquals(0, Comparison.unfinished(c, grid).size());
        GraftException none = assertThrows(GraftException.class, () -> SparkGrid.run(spark,
                tmp.resolve("nothing"), s -> { }));
        assertTrue(none.getMessage().contains("--plan"), none.getMessage());
    }
}
