package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.data.Normalization;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A multi-task checkpoint: one folder, every head, and each task loaded as a network alone. */
class CheckpointTasksTest {

    static final int[] SHAPE = {1, 4, 4};

    @TempDir
    Path tmp;

    static ModelSpec spec(StagedNet net, Map<String, StagedNet> heads, List<ModelSpec.Task> t) {
        return new ModelSpec(ModelSpec.FORMAT_VERSION, "mlp", ModelOptions.DEFAULT, SHAPE, 3,
                List.of("a", "b", "c"), new Normalization(new float[] {0.5f},
                        new float[] {0.25f}), net.stageNames(), Checkpoint.parameterShapes(net,
                                heads), null, t);
    }

    static final List<ModelSpec.Task> TASKS = List.of(new ModelSpec.Task("kind",
            List.of("a", "b", "c"), "d:kind"), new ModelSpec.Task("turn",
                    List.of("0", "90", "180", "270"), "d:turn"));

    @Test
    void eachTaskLoadsWithItsOwnHead() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.MLP.build(SHAPE, 3, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            StagedNet turn = Architecture.MLP.build(SHAPE, 4, ModelOptions.DEFAULT)
                    .initialize(m, 2);
            Map<String, StagedNet> heads = Map.of("turn", turn);
            Path dir = tmp.resolve("model");
            Checkpoint.save(dir, net, heads, spec(net, heads, TASKS), null);

            Checkpoint.Loaded first = Checkpoint.load(dir, m);
            assertEquals(3, first.net().numClasses(), "the first task by default");
            Checkpoint.Loaded t = Checkpoint.loadTask(dir, "turn", m);
            assertEquals(4, t.net().numClasses());
            assertEquals(List.of("0", "90", "180", "270"), t.spec().classNames());
            assertNull(t.spec().tasks(), "a task alone is a single-task checkpoint");
            String trunk = net.stageNames().get(0);
            net.parameters(trunk).forEach((n, p) -> assertArrayEquals(p.getArray()
                    .toFloatArray(), t.net().parameters(trunk).get(n).getArray().toFloatArray(),
                    n));
            turn.parameters(StagedNet.HEAD).forEach((n, p) -> assertArrayEquals(p.getArray()
                    .toFloatArray(), t.net().parameters(StagedNet.HEAD).get(n).getArray()
                    .toFloatArray(), n));

            Path view = Checkpoint.taskCheckpoint(dir, "turn");
            assertEquals(tmp.resolve("model-turn"), view);
            assertEquals(4, Checkpoint.load(view, m).net().numClasses());
            assertEquals(dir, Checkpoint.taskCheckpoint(dir, "kind"));
            GraftException e = assertThrows(GraftException.class, () -> Checkpoint
                    .taskCheckpoint(dir, "colour"));
            assertTrue(e.getMessage().contains("[kind, turn]"), e.getMessage());
            GraftException single = assertThrows(GraftException.class, () -> Checkpoint
                    .taskCheckpoint(view, "turn"));
            assertTrue(single.getMessage().contains("single-task"), single.getMessage());
        }
    }

    @Test
    void aTaskListThatCannotBeRightIsRefused() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.MLP.build(SHAPE, 3, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            Path dir = tmp.resolve("twice");
            Checkpoint.save(dir, net, Map.of(), spec(net, Map.of(), List.of(TASKS.get(0),
                    new ModelSpec.Task("kind", List.of("x", "y"), "d:kind"))), null);
            BadFileException e = assertThrows(BadFileException.class, () -> Checkpoint.load(dir,
                    m));
            assertTrue(e.getMessage().contains("'kind' twice"), e.getMessage());
            Path other = tmp.resolve("other");
            Checkpoint.save(other, net, Map.of(), spec(net, Map.of(), List.of(new ModelSpec.Task(
                    "kind", List.of("x", "y", "z"), "d:kind"))), null);
            BadFileException head = assertThrows(BadFileException.class, () -> Checkpoint.load(
                    other, m));
            assertTrue(head.getMessage().contains("own head"), head.getMessage());
            assertTrue(Files.isRegularFile(other.resolve(Checkpoint.WEIGHTS)), "nothing lost");
        }
    }
}
