package dev.graft.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.data.Augmentation;
import dev.graft.model.ModelOptions;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weight sharing: hand-worked k-means, and the run holding the sharing through training. */
class ClusteringTest {

    @TempDir
    Path tmp;

    @Test
    void kmeansFindsTheTwoGroupsOfAHandWorkedLayer() {
        // linear initialization at -1 and 2; the groups' means are -0.9 and 1.5
        Clustering.Codebook b = Clustering.kmeans(new float[] {-1, -0.8f, 1, 2, 1.5f}, 2);
        assertArrayEquals(new int[] {0, 0, 1, 1, 1}, b.assignment());
        assertArrayEquals(new float[] {-0.9f, 1.5f}, b.centroids(), 1e-6f);
        assertArrayEquals(new float[] {-0.9f, -0.9f, 1.5f, 1.5f, 1.5f},
                Clustering.share(new float[] {-1, -0.8f, 1, 2, 1.5f}, b.assignment(), 2),
                1e-6f);
        // an empty cluster keeps its place; every weight still finds its nearest centroid
        Clustering.Codebook three = Clustering.kmeans(new float[] {0, 0, 0, 10}, 3);
        assertEquals(three.assignment()[0], three.assignment()[1]);
        assertTrue(three.assignment()[3] != three.assignment()[0]);
    }

    @Test
    void theRunKeepsKValuesPerLayerThroughFineTuning() {
        TrainConfig train = new TrainConfig(2, 64, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), Augmentation.NONE, 3, 0, List.of());
        Path mlp = Path.of(new Pretrain(s -> { }).run(new Pretrain.Config("fashion-mnist-small",
                "0-4", null, 0.1, "mlp", ModelOptions.DEFAULT, train), tmp.resolve("mlp"), false)
                .checkpoint());
        TrainConfig tune = new TrainConfig(1, 64, OptimizerConfig.adam(3e-4),
                new LrSchedule.Constant(), Augmentation.NONE, 3, 0, List.of());
        Clustering.Result r = new Clustering(s -> { }).run(new Clustering.Config(mlp, null, 8,
                0.1, tune, 5), tmp.resolve("c8"));
        assertEquals(3, r.distinctValues().size());
        r.distinctValues().forEach((k, v) -> assertTrue(v <= 8, k + " has " + v + " values"));
        assertTrue(r.accuracy() > r.givenAccuracy() - 0.03, r.toString());
        // 3-bit indices: about a tenth of float32 for LeNet's 266,200 weights
        assertTrue(r.sharedBytes() * 9 < r.denseBytes(), r.toString());
        assertThrows(IllegalArgumentException.class, () -> new Clustering.Config(mlp, null, 1,
                0.1, null, 1));
    }
}
