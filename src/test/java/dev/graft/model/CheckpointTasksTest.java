package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
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

    static ModelSpec spec(StagedNet net, Map<String, Map<String, Parameter>> heads,
            List<ModelSpec.Task> t) {
        return new ModelSpec(ModelSpec.FORMAT_VERSION, "mlp", ModelOptions.DEFAULT, SHAPE, 3,
                List.of("a", "b", "c"), new Normalization(new float[] {0.5f},
                        new float[] {0.25f}), net.stageNames(), Checkpoint.parameterShapes(net,
                                heads), null, t);
    }

    static final List<ModelSpec.Task> TASKS = List.of(new ModelSpec.Task("kind",
            List.of("a", "b", "c"), "d:kind", "layer2"), new ModelSpec.Task("turn",
                    List.of("0", "90", "180", "270"), "d:turn", null));

    @Test
    void eachTaskLoadsWithItsOwnHead() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.MLP.build(SHAPE, 3, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            StagedNet turn = Architecture.MLP.build(SHAPE, 4, ModelOptions.DEFAULT)
                    .initialize(m, 2);
            Map<String, Map<String, Parameter>> heads = Map.of("turn", turn.parametersAbove(
                    "layer2"));
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
                    new ModelSpec.Task("kind", List.of("x", "y"), "d:kind", null))), null);
            BadFileException e = assertThrows(BadFileException.class, () -> Checkpoint.load(dir,
                    m));
            assertTrue(e.getMessage().contains("'kind' twice"), e.getMessage());
            Path other = tmp.resolve("other");
            Checkpoint.save(other, net, Map.of(), spec(net, Map.of(), List.of(new ModelSpec.Task(
                    "kind", List.of("x", "y", "z"), "d:kind", null))), null);
            BadFileException head = assertThrows(BadFileException.class, () -> Checkpoint.load(
                    other, m));
            assertTrue(head.getMessage().contains("own head"), head.getMessage());
            assertTrue(Files.isRegularFile(other.resolve(Checkpoint.WEIGHTS)), "nothing lost");
            Path nowhere = tmp.resolve("nowhere");
            Checkpoint.save(nowhere, net, Map.of(), spec(net, Map.of(), List.of(TASKS.get(0),
                    new ModelSpec.Task("turn", List.of("0", "90"), "d:turn", "layer9"))), null);
            BadFileException stage = assertThrows(BadFileException.class, () -> Checkpoint.load(
                    nowhere, m));
            assertTrue(stage.getMessage().contains("tasks[1] (turn) has its head on stage"
                    + " 'layer9', which is not one of stages [layer1, layer2]"),
                    stage.getMessage());
            Path low = tmp.resolve("low");
            Checkpoint.save(low, net, Map.of(), spec(net, Map.of(), List.of(new ModelSpec.Task(
                    "kind", List.of("a", "b", "c"), "d:kind", "layer1"))), null);
            BadFileException own = assertThrows(BadFileException.class, () -> Checkpoint.load(
                    low, m));
            assertTrue(own.getMessage().contains("on the top stage layer2, not layer1"),
                    own.getMessage());
        }
    }

    /**
     * A task whose head sits on a lower stage owns the stages above it: its network alone is
     * the shared stages below, its own stages above, its head.
     */
    @Test
    void aTaskOnALowerStageLoadsItsOwnUpperStages() {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.MLP.build(SHAPE, 3, ModelOptions.DEFAULT)
                    .initialize(m, 1);
            StagedNet turn = Architecture.MLP.build(SHAPE, 4, ModelOptions.DEFAULT)
                    .initialize(m, 2);
            Map<String, Map<String, Parameter>> heads = Map.of("turn", turn.parametersAbove(
                    "layer1"));
            assertEquals(List.of("layer2.fc.weight", "layer2.fc.bias", "head.weight",
                    "head.bias"), List.copyOf(heads.get("turn").keySet()));
            List<ModelSpec.Task> tasks = List.of(TASKS.get(0), new ModelSpec.Task("turn",
                    TASKS.get(1).classNames(), "d:turn", "layer1"));
            Path dir = tmp.resolve("model");
            Checkpoint.save(dir, net, heads, spec(net, heads, tasks), null);
            assertTrue(Checkpoint.readSpec(dir, "--model").parameters().containsKey(
                    "tasks.turn.layer2.fc.weight"));

            StagedNet t = Checkpoint.loadTask(dir, "turn", m).net();
            net.parameters("layer1").forEach((n, p) -> assertArrayEquals(p.getArray()
                    .toFloatArray(), t.parameters("layer1").get(n).getArray().toFloatArray(),
                    n + " is the shared stage's"));
            for (String own : List.of("layer2", StagedNet.HEAD)) {
                turn.parameters(own).forEach((n, p) -> assertArrayEquals(p.getArray()
                        .toFloatArray(), t.parameters(own).get(n).getArray().toFloatArray(),
                        n + " is the task's own"));
            }
            // and the same network as the shared stages joined to the task's own
            try (NDManager step = m.newSubManager()) {
                ai.djl.ndarray.NDArray x = step.randomUniform(0, 1, new ai.djl.ndarray.types
                        .Shape(2, 1, 4, 4));
                ai.djl.training.ParameterStore ps = new ai.djl.training.ParameterStore(step,
                        false);
                assertArrayEquals(net.withBranchOf("layer1", turn).forward(ps,
                        new ai.djl.ndarray.NDList(x), false).head().toFloatArray(), t.forward(ps,
                                new ai.djl.ndarray.NDList(x), false).head().toFloatArray(), 0f);
            }
        }
    }
}
