package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** graft multitask on the bundled MultiFashion pairs, and a task's network used alone. */
class MultitaskCliTest {

    @TempDir
    Path tmp;

    @Test
    void twoTasksOneTrunkAgainstSingleTaskNetworks() throws Exception {
        Path out = tmp.resolve("mt");
        CliTest.Run r = CliTest.graft("multitask", "--data", "multi-fashion-small", "--arch",
                "mlp", "--epochs", "1", "--seeds", "1", "--weighting", "equal,uw", "--out",
                out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("left", j.get("tasks").get(0).asText());
        assertEquals("right", j.get("tasks").get(1).asText());
        for (JsonNode row : j.get("rows")) {
            // ten classes: chance is 10%; one epoch of an mlp on the pairs is far above it
            assertTrue(row.get("single_task").get("mean").asDouble() > 0.4, row.toString());
            for (String w : new String[] {"equal", "uw"}) {
                assertTrue(row.get("by_weighting").get(w).get("mean").asDouble() > 0.4,
                        row.toString());
            }
        }
        assertTrue(j.get("delta_m").has("uw"));
        assertEquals(1.0, j.get("epoch_cost_vs_equal").get("equal").asDouble());
        JsonNode uw = null;
        for (JsonNode run : j.get("runs")) {
            if ("uw".equals(run.path("weighting").asText())) {
                uw = run;
            }
        }
        assertTrue(uw != null && uw.get("weights").size() == 2, "weights at epochs 1 and 2");
        assertTrue(Files.isRegularFile(out.resolve("report.html")));
        // the second task's network is an ordinary checkpoint: evaluate scores it on its task
        String right = uw.get("checkpoints").get("right").asText();
        CliTest.Run ev = CliTest.graft("evaluate", "--model", right, "--json");
        assertEquals(0, ev.code(), ev.err());
        assertEquals(uw.get("accuracy").get("right").asDouble(), ev.json().get("accuracy")
                .asDouble(), 1e-9, "the same network, the same test pairs");
        // one checkpoint lists the tasks and holds both heads; --task picks one for any command
        Path model = Path.of(uw.get("checkpoints").get("left").asText());
        JsonNode spec = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                model.resolve("model.json").toFile());
        assertEquals("right", spec.get("tasks").get(1).get("name").asText());
        java.util.List<String> stored = new java.util.ArrayList<>();
        spec.get("parameters").fieldNames().forEachRemaining(stored::add);
        assertTrue(stored.stream().anyMatch(n -> n.startsWith("tasks.right.")), "" + stored);
        assertEquals(model.resolveSibling("model-right").toString(), right);
        Files.delete(Path.of(right, "weights.safetensors"));
        CliTest.Run byTask = CliTest.graft("evaluate", "--model", model.toString(), "--task",
                "right", "--json");
        assertEquals(0, byTask.code(), byTask.err());
        assertEquals(uw.get("accuracy").get("right").asDouble(), byTask.json().get("accuracy")
                .asDouble(), 1e-9, "the view is written again from the multi-task weights");
        CliTest.Run first = CliTest.graft("evaluate", "--model", model.toString(), "--task",
                "left", "--json");
        assertEquals(uw.get("accuracy").get("left").asDouble(), first.json().get("accuracy")
                .asDouble(), 1e-9);
        CliTest.Run unknown = CliTest.graft("evaluate", "--model", model.toString(), "--task",
                "top");
        assertTrue(unknown.code() != 0 && unknown.err().contains("[left, right]"),
                unknown.err());
        CliTest.Run single = CliTest.graft("evaluate", "--model", right, "--task", "right");
        assertTrue(single.code() != 0 && single.err().contains("single-task"), single.err());
        CliTest.Run bad = CliTest.graft("multitask", "--data", "fashion-mnist", "--out",
                tmp.resolve("bad").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("not a multi-task dataset"), bad.err());
    }

    /**
     * Heads on a lower stage: each task trains its own copy of the stages above it, the
     * checkpoint holds them, and the task's network alone scores what training scored.
     */
    @Test
    void headsOnALowerStageOwnTheStagesAbove() throws Exception {
        Path out = tmp.resolve("low");
        CliTest.Run r = CliTest.graft("multitask", "--data", "multi-fashion-small", "--arch",
                "mlp", "--head-stage", "layer1", "--epochs", "1", "--seeds", "1", "--weighting",
                "equal,mgda-ub", "--no-baselines", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("layer1", r.json().get("head_stage").asText());
        for (JsonNode run : r.json().get("runs")) {
            Path model = Path.of(run.get("checkpoints").get("left").asText());
            JsonNode spec = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    model.resolve("model.json").toFile());
            assertEquals("layer1", spec.get("tasks").get(1).get("stage").asText());
            assertEquals("layer2", spec.get("tasks").get(0).get("stage").asText());
            assertTrue(spec.get("parameters").has("tasks.right.layer2.fc.weight"), "" + spec);
            for (String task : new String[] {"left", "right"}) {
                double trained = run.get("accuracy").get(task).asDouble();
                assertTrue(trained > 0.4, run.toString());
                CliTest.Run ev = CliTest.graft("evaluate", "--model", model.toString(),
                        "--task", task, "--json");
                assertEquals(0, ev.code(), ev.err());
                assertEquals(trained, ev.json().get("accuracy").asDouble(), 1e-9, task + " of "
                        + run.get("weighting").asText());
            }
        }
        CliTest.Run bad = CliTest.graft("multitask", "--data", "multi-fashion-small", "--arch",
                "mlp", "--head-stage", "stage2", "--out", tmp.resolve("bad").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--head-stage stage2: mlp has stages [layer1, layer2]"),
                bad.err());
    }

    /**
     * Tasks on images of their own (a garment dataset and a digit dataset): each step trains
     * on a batch of each, and each task's network alone scores its own test set as training did.
     */
    @Test
    void tasksOnImagesOfTheirOwn() throws Exception {
        Path out = tmp.resolve("own");
        CliTest.Run r = CliTest.graft("multitask", "--data",
                "fashion-mnist-small,digit=mnist-small",
                "--arch", "mlp", "--epochs", "1", "--seeds", "1", "--weighting", "equal,pcgrad",
                "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("fashion-mnist-small", j.get("tasks").get(0).asText());
        assertEquals("digit", j.get("tasks").get(1).asText());
        for (JsonNode row : j.get("rows")) {
            assertTrue(row.get("single_task").get("mean").asDouble() > 0.5, row.toString());
            assertTrue(row.get("by_weighting").get("pcgrad").get("mean").asDouble() > 0.5,
                    row.toString());
        }
        for (JsonNode run : j.get("runs")) {
            if (run.path("weighting").isMissingNode() || run.get("weighting").isNull()) {
                continue;
            }
            String model = run.get("checkpoints").get("fashion-mnist-small").asText();
            CliTest.Run ev = CliTest.graft("evaluate", "--model", model, "--task", "digit",
                    "--json");
            assertEquals(0, ev.code(), ev.err());
            assertEquals(run.get("accuracy").get("digit").asDouble(), ev.json().get("accuracy")
                    .asDouble(), 1e-9, "the digit task on the MNIST test images");
        }
    }
}
