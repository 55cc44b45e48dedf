package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line on the bundled subset: results, run folders, and bad input. */
class CliTest {

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(out);
        }
    }

    static Run graft(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @TempDir
    static Path tmp;

    static Path trained;
    static JsonNode pretrainResult;

    @BeforeAll
    static void pretrainOnce() throws Exception {
        trained = tmp.resolve("mlp");
        Run r = graft("pretrain", "--data", "fashion-mnist-small", "--arch", "mlp", "--epochs",
                "2", "--out", trained.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        pretrainResult = r.json();
    }

    @Test
    void pretrainLearnsAndReportsJson() {
        double acc = pretrainResult.get("test_accuracy").asDouble();
        assertTrue(acc > 0.70, "test accuracy " + acc + " is not well above chance (0.10)");
        assertEquals(2, pretrainResult.get("epochs").asInt());
        assertTrue(pretrainResult.get("train_images_per_second").asDouble() > 0);
        assertEquals(trained.resolve("model").toString(),
                pretrainResult.get("checkpoint").asText());
        assertTrue(Files.exists(trained.resolve("model/weights.safetensors")));
        assertTrue(Files.exists(trained.resolve("model/model.json")));
        assertTrue(Files.exists(trained.resolve("last/optimizer.safetensors")));
        assertTrue(Files.exists(trained.resolve("run.json")));
    }

    @Test
    void metricsHaveOneLinePerEpochThenTheTest() throws Exception {
        var lines = Files.readAllLines(trained.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        assertEquals(1, Json.MAPPER.readTree(lines.get(0)).get("epoch").asInt());
        assertEquals("test", Json.MAPPER.readTree(lines.get(2)).get("event").asText());
    }

    @Test
    void evaluateReproducesTheTestAccuracy() throws Exception {
        Run r = graft("evaluate", "--model", trained.resolve("model").toString(), "--json", "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals(pretrainResult.get("test_accuracy").asDouble(),
                r.json().get("accuracy").asDouble(), 1e-9);
        assertEquals(10, r.json().get("confusion").size());
    }

    @Test
    void resumeOfAFinishedRunSaysSo() {
        Run r = graft("pretrain", "--data", "fashion-mnist-small", "--arch", "mlp", "--epochs",
                "2", "--out", trained.toString(), "--resume", "-q");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("already finished all 2 epochs"), r.err());
    }

    @Test
    void resumeContinuesToMoreEpochs() throws Exception {
        Path dir = tmp.resolve("resume");
        assertEquals(0, graft("pretrain", "--data", "fashion-mnist-small", "--arch", "mlp",
                "--epochs", "1", "--schedule", "constant", "--out", dir.toString(), "-q").code());
        Run r = graft("pretrain", "--data", "fashion-mnist-small", "--arch", "mlp", "--epochs",
                "2", "--schedule", "constant", "--out", dir.toString(), "--resume", "--json",
                "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.json().get("epochs").asInt());
        assertEquals(2, Files.readAllLines(dir.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("\"epoch\":")).count() - 0);
    }

    @Test
    void badInputIsOneLineNonZeroAndLeavesNothingBehind() {
        Path out = tmp.resolve("never");
        String[][] cases = {
            {"--arch", "vgg99"},
            {"--classes", "3,12"},
            {"--shots", "5000"},
            {"--data", tmp.resolve("missing-folder").toString()},
            {"--epochs", "0"},
            {"--augment", "rotate"},
        };
        String[] expected = {"unknown architecture 'vgg99'; known: mlp, convnet, resnet18",
            "class 12, which does not exist", "--shots 5000 is more than class 0",
            "is neither a folder nor a known dataset", "--epochs must be at least 1",
            "--augment rotate"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[cases[i].length + 6];
            args[0] = "pretrain";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            System.arraycopy(new String[] {"--data", "fashion-mnist-small", "--out",
                out.toString(), "-q"}, 0, args, cases[i].length + 1, 5);
            if (cases[i][0].equals("--data")) {
                args = new String[] {"pretrain", "--data", cases[i][1], "--out", out.toString(),
                    "-q"};
            }
            Run r = graft(args);
            assertEquals(2, r.code(), String.join(" ", args));
            assertTrue(r.err().contains(expected[i]), r.err());
            assertTrue(r.err().startsWith("graft pretrain: error: "), r.err());
            assertFalse(Files.exists(out), "left " + out + " behind for " + String.join(" ", args));
        }
    }

    @Test
    void unwritableOutIsReported() {
        Run r = graft("pretrain", "--data", "fashion-mnist-small", "--arch", "mlp", "--out",
                "/proc/graft-cannot-write-here", "-q");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("cannot write to --out /proc/graft-cannot-write-here"),
                r.err());
    }

    @Test
    void evaluateRefusesAMissingCheckpoint() {
        Run r = graft("evaluate", "--model", tmp.resolve("nothing").toString(), "-q");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no checkpoint folder here"), r.err());
    }

    @Test
    void extractThenProbeOnAnotherTask() throws Exception {
        Path codes = tmp.resolve("codes");
        Run e = graft("extract", "--model", trained.resolve("model").toString(), "--stage",
                "layer2", "--classes", "5-9", "--shots", "50", "--out", codes.toString(), "--json",
                "-q");
        assertEquals(0, e.code(), e.err());
        assertEquals(100, e.json().get("dim").asInt());
        Run p = graft("probe", "--codes", codes.toString(), "--classifier", "logreg", "--json",
                "-q");
        assertEquals(0, p.code(), p.err());
        double acc = p.json().get("test_accuracy").asDouble();
        assertTrue(acc > 0.6, "probe accuracy " + acc + " on 5 classes (chance 0.2)");
        Run soft = graft("probe", "--codes", codes.toString(), "--classifier", "softmax",
                "--c", "1", "--max-iter", "200", "--json", "-q");
        assertEquals(0, soft.code(), soft.err());
        assertTrue(soft.json().get("test_accuracy").asDouble() > 0.6, soft.out());
        int iterations = soft.json().get("iterations").asInt();
        assertTrue(iterations > 0 && iterations <= 200, "L-BFGS iterations " + iterations);
        assertTrue(soft.json().get("objective").asDouble() > 0, soft.out());
        Run bad = graft("extract", "--model", trained.resolve("model").toString(), "--stage",
                "stage9", "--out", tmp.resolve("codes-bad").toString(), "-q");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("stages are [layer1, layer2]"), bad.err());
    }

    @Test
    void finetuneWithAFrozenTrunkLeavesTheSourceTaskExactlyAsItWas() throws Exception {
        Run r = graft("finetune", "--model", trained.resolve("model").toString(), "--classes",
                "5-9", "--shots", "30", "--policy", "probe", "--epochs", "3", "--out",
                tmp.resolve("ft-probe").toString(), "--json", "-q");
        assertEquals(0, r.code(), r.err());
        var j = r.json();
        assertEquals(j.get("source_accuracy_before").asDouble(),
                j.get("source_accuracy_after").asDouble(), 0.0);
        assertEquals(100 * 5 + 5, j.get("trainable_parameters").asLong()); // head: 100 -> 5
        assertTrue(Files.exists(tmp.resolve("ft-probe/model/weights.safetensors")));
        assertTrue(Files.readString(tmp.resolve("ft-probe/model/model.json"))
                .contains("\"command\" : \"finetune\""));
    }

    @Test
    void finetuneFullTrainsTheTargetTask() throws Exception {
        Run r = graft("finetune", "--model", trained.resolve("model").toString(), "--classes",
                "5-9", "--shots", "50", "--policy", "full", "--epochs", "5", "--out",
                tmp.resolve("ft-full").toString(), "--json", "-q");
        assertEquals(0, r.code(), r.err());
        double acc = r.json().get("test_accuracy").asDouble();
        assertTrue(acc > 0.6, "target accuracy " + acc + " (chance 0.2)");
        assertTrue(r.json().get("source_accuracy_after").asDouble()
                < r.json().get("source_accuracy_before").asDouble());
    }

    @Test
    void finetuneRefusesAStageTheModelLacks() {
        Run r = graft("finetune", "--model", trained.resolve("model").toString(), "--classes",
                "5-9", "--freeze-to", "stage2", "--out", tmp.resolve("ft-bad").toString(), "-q");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--freeze-to stage2 is not a stage; stages are [layer1,"
                + " layer2]"), r.err());
        assertFalse(Files.exists(tmp.resolve("ft-bad")));
    }

    @Test
    void benchProfilesTheTimedStepsPerOperator() throws Exception {
        Path trace = tmp.resolve("bench-trace.json");
        Run r = graft("bench", "--data", "fashion-mnist-small", "--steps", "3", "--epochs", "2",
                "--batch-size", "32", "--profile", trace.toString(), "--json", "-q");
        assertEquals(0, r.code(), r.err());
        JsonNode p = r.json().get("profile");
        assertTrue(Files.size(trace) > 0, "the Chrome trace is written");
        assertEquals(3, p.get("steps").asInt(), "the warm-up epoch is left out");
        java.util.Map<String, JsonNode> rows = new java.util.HashMap<>();
        p.get("operators").forEach(row -> rows.put(row.get("operator").asText(), row));
        // four convolutions a step, forward and backward, in the three profiled steps
        assertEquals(12, rows.get("aten::convolution_backward").get("calls").asInt(), rows.keySet()
                .toString());
        assertTrue(rows.containsKey("aten::native_batch_norm_backward"));
        double self = 0;
        for (JsonNode row : p.get("operators")) {
            self += row.get("self_ms").asDouble();
            assertTrue(row.get("self_ms").asDouble() <= row.get("total_ms").asDouble() + 1e-6,
                    row.toString());
        }
        assertEquals(p.get("operator_self_ms").asDouble(), self, 1e-6);
        assertTrue(r.json().get("minor_page_faults_per_step").asDouble() >= 0);
        Run again = graft("bench", "--data", "fashion-mnist-small", "--steps", "3", "--profile",
                trace.toString());
        assertEquals(2, again.code(), "an existing trace is not overwritten");
        assertTrue(again.err().contains("exists"), again.err());
        assertFalse(Files.exists(tmp.resolve("bench-trace.json.partial")));
    }

    @Test
    void helpTeachesWithExamples() {
        Run r = graft("pretrain", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Examples:"));
        assertTrue(r.out().contains("--classes"));
        // every command's declared description lines fit the help width, so picocli never
        // breaks one mid-sentence
        picocli.CommandLine cli = new picocli.CommandLine(new Main());
        for (var e : cli.getSubcommands().entrySet()) {
            var usage = e.getValue().getCommandSpec().usageMessage();
            for (String[] block : List.of(usage.description(), usage.footer())) {
                for (String line : block) {
                    assertTrue(line.length() <= Main.HELP_WIDTH, e.getKey() + " --help has a"
                            + " line of " + line.length() + " characters: " + line);
                }
            }
        }
    }

    @Test
    void everyHelpFormatsWithoutWarnings() {
        // a bare % in a description is a format error: picocli then prints the raw text and a
        // warning on stderr
        picocli.CommandLine cli = new picocli.CommandLine(new Main());
        for (String name : cli.getSubcommands().keySet()) {
            Run r = graft(name, "--help");
            assertEquals(0, r.code(), name);
            assertFalse(r.err().contains("WARN"), name + " --help: " + r.err());
            assertFalse(r.out().contains("%n"), name + " --help left format codes in");
        }
    }

    @Test
    void transferAndAdviseRefuseBadTargetsWithOneLine() {
        Path model = trained.resolve("model");
        String[][] cases = {
            {"transfer", "--model", model.toString(), "--data", "fashion-mnist-small",
                "--classes", "0-4", "--disjoint", "--out", tmp.resolve("t1").toString()},
            {"advise", "--model", model.toString(), "--data", "fashion-mnist-small",
                "--classes", "5-9", "--shots", "100000", "--out", tmp.resolve("t2").toString()},
            {"transfer", "--model", model.toString(), "--strategies", "scratch,finetune"},
            {"transfer", "--model", tmp.resolve("nothing").toString()},
        };
        String[] expect = {"are also source classes", "--shots 100000 is more than",
            "unknown strategy 'finetune'", "is not a checkpoint folder"};
        for (int i = 0; i < cases.length; i++) {
            Run r = graft(cases[i]);
            assertEquals(2, r.code(), r.err());
            String[] lines = r.err().strip().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("graft " + cases[i][0] + ": error: ")
                    && last.contains(expect[i]), r.err());
        }
        assertFalse(java.nio.file.Files.exists(tmp.resolve("t1")), "nothing written on refusal");
    }

    @Test
    void distillRefusesBadSettingsWithOneLine() {
        String teacher = trained.resolve("model").toString();
        String[][] cases = {
            {"-T", "0"}, {"--alpha", "2"}, {"--classes", "0-4"},
            {"--kind", "feature", "--hint-teacher", "stage9"}, {"--kind", "magic"},
        };
        String[] expect = {"--temperature must be > 0", "--alpha must be in [0, 1]",
            "has 10 classes", "--hint-teacher stage9 is not a stage of mlp; stages are [layer1,"
                + " layer2]", "--kind magic is not one of"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new java.util.ArrayList<>(List.of("distill", "--teacher", teacher,
                    "--data", "fashion-mnist-small", "--out", tmp.resolve("d" + i).toString()));
            args.addAll(List.of(cases[i]));
            Run r = graft(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            String[] lines = r.err().strip().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("graft distill: error: ") && last.contains(expect[i]),
                    r.err());
            assertFalse(Files.exists(tmp.resolve("d" + i)), "nothing written on refusal");
        }
    }

    @Test
    void pruneReportsJsonAndRefusesBadSettingsWithOneLine() throws Exception {
        String model = trained.resolve("model").toString();
        Run ok = graft("prune", "--model", model, "--data", "fashion-mnist-small", "--sparsity",
                "0.5", "--no-finetune", "--out", tmp.resolve("prune").toString(), "--json");
        assertEquals(0, ok.code(), ok.err());
        assertEquals(0.5, ok.json().get("sparsity").asDouble(), 1e-5);
        assertTrue(ok.json().get("accuracy").asDouble() > 0.5, ok.out());
        assertTrue(Files.exists(tmp.resolve("prune/model/mask.safetensors")));
        assertEquals(ok.json().get("rounds").get(1).get("pruned_accuracy").asDouble(),
                ok.json().get("accuracy").asDouble(), 0, "--no-finetune does not train");
        assertFalse(Files.exists(tmp.resolve("prune/round-1")));
        String[][] cases = {{"--sparsity", "1"}, {"--scope", "random"}, {"--rounds", "0"},
            {"--sparsity", "0.5", "--filters", "0.5"}};
        String[] expect = {"--sparsity must be in [0, 1)", "--scope random is not one of",
            "--rounds must be at least 1", "--sparsity and --filters are two methods"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new java.util.ArrayList<>(List.of("prune", "--model", model,
                    "--data", "fashion-mnist-small", "--out", tmp.resolve("p" + i).toString()));
            args.addAll(List.of(cases[i]));
            Run r = graft(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            String[] lines = r.err().strip().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("graft prune: error: ") && last.contains(expect[i]),
                    r.err());
            assertFalse(Files.exists(tmp.resolve("p" + i)), "nothing written on refusal");
        }
    }

    @Test
    void quantizeAndExportReportJsonAndRefuseBadSettingsWithOneLine() throws Exception {
        String model = trained.resolve("model").toString();
        Run q = graft("quantize", "--model", model, "--data", "fashion-mnist-small",
                "--calibration-images", "128", "--out", tmp.resolve("q").toString(), "--json");
        assertEquals(0, q.code(), q.err());
        JsonNode rows = q.json().get("rows");
        assertEquals(2, rows.size(), "min-max and percentile");
        double fp32 = q.json().get("float32_accuracy").asDouble();
        for (JsonNode row : rows) {
            assertEquals(fp32, row.get("accuracy").asDouble(), 0.02, row.toString());
            assertTrue(row.get("agreement").asDouble() > 0.95, row.toString());
        }
        Run e = graft("export", "--model", model, "--data", "fashion-mnist-small", "--int8",
                "--calibration-images", "128", "--out", tmp.resolve("onnx").toString(),
                "--json");
        assertEquals(0, e.code(), e.err());
        JsonNode files = e.json().get("files");
        assertEquals(2, files.size());
        assertTrue(files.get(0).get("max_abs_diff").asDouble() < 1e-4, files.toString());
        assertTrue(files.get(1).get("agreement").asDouble() > 0.98, files.toString());
        assertTrue(files.get(1).get("bytes").asLong() * 3.5 < files.get(0).get("bytes")
                .asLong(), files.toString());
        assertTrue(Files.exists(tmp.resolve("onnx/model.int8.onnx")));
        assertTrue(Files.exists(tmp.resolve("onnx/export.json")));
        String[][] cases = {{"export", "--format", "tflite"},
            {"export", "--int8", "--calibration-images", "0"},
            {"quantize", "--calibration", "magic"}, {"cluster", "--clusters", "1"},
            {"lowrank", "--layers", "stage3.1"}};
        String[] expect = {"--format tflite is not supported",
            "--calibration-images must be at least 1", "--calibration magic is not one of",
            "--clusters must be in [2, 256]", "--layers stage3.1 is not a factorizable layer"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new java.util.ArrayList<>(List.of(cases[i]));
            args.addAll(List.of("--model", model, "--data", "fashion-mnist-small", "--out",
                    tmp.resolve("x" + i).toString()));
            Run r = graft(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            String[] lines = r.err().strip().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("graft " + cases[i][0] + ": error: ")
                    && last.contains(expect[i]), r.err());
            assertFalse(Files.exists(tmp.resolve("x" + i)), "nothing written on refusal");
        }
    }

    @Test
    void compressChainsStepsIntoALedger() throws Exception {
        String model = trained.resolve("model").toString();
        Run r = graft("compress", "--model", model, "--data", "fashion-mnist-small",
                "--pipeline", "prune:0.5,lowrank:0.5,int8", "--epochs", "1",
                "--calibration-images", "128", "--out", tmp.resolve("ledger").toString(),
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode rows = r.json().get("rows");
        assertEquals(5, rows.size(), "given, prune, lowrank, ONNX float32, ONNX int8");
        assertEquals("given", rows.get(0).get("step").asText());
        assertEquals(rows.get(0).get("parameters").asLong(), rows.get(1).get("parameters")
                .asLong(), "magnitude pruning keeps the shapes");
        assertTrue(rows.get(1).get("non_zero_parameters").asLong()
                < 0.6 * rows.get(0).get("non_zero_parameters").asLong(), rows.toString());
        assertTrue(rows.get(2).get("parameters").asLong() < rows.get(1).get("parameters")
                .asLong(), "factorization shrinks");
        assertEquals("ONNX Runtime int8", rows.get(4).get("engine").asText());
        assertTrue(rows.get(4).get("bytes").asLong() * 3.5 < rows.get(3).get("bytes").asLong());
        for (JsonNode row : rows) {
            assertTrue(row.get("test_accuracy").asDouble() > 0.6, row.toString());
        }
        assertTrue(Files.exists(tmp.resolve("ledger/report.html")));
        Run bad = graft("compress", "--model", model, "--pipeline", "int8,prune:0.5", "--out",
                tmp.resolve("ledger-bad").toString());
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("int8 ends a pipeline"), bad.err());
        assertFalse(Files.exists(tmp.resolve("ledger-bad")));
    }

    @Test
    void lotteryFindsTicketsInAPretrainedNetworkAndRefusesBadSettings() throws Exception {
        String model = trained.resolve("model").toString();
        Run r = graft("lottery", "--from", model, "--data", "fashion-mnist-small", "--classes",
                "0-4", "--rounds", "1", "--epochs", "1", "--no-controls", "--eval-every", "50",
                "--out", tmp.resolve("lottery").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode rows = r.json().get("rows");
        assertEquals(2, rows.size(), "dense, then the round-1 ticket");
        assertEquals("TICKET", rows.get(1).get("arm").asText());
        assertTrue(rows.get(1).get("remaining").asDouble() < 0.85, rows.toString());
        assertTrue(rows.get(0).get("accuracy").asDouble() > 0.6, "fine-tuned from pretrained"
                + " weights on 5 classes: " + rows);
        assertTrue(Files.exists(tmp.resolve("lottery/round-01/mask.safetensors")));
        assertTrue(Files.readString(tmp.resolve("lottery/init/model.json"))
                .contains(trained.resolve("model").toString()),
                "the starting weights' parent is the pretrained checkpoint");
        String[][] cases = {{"--rewind", "100000"}, {"--rate", "1"}, {"--from", model},
            {"--rounds", "40", "--rate", "0.5"}};
        String[] expect = {"--rewind 100000 is beyond training", "--rate must be in (0, 1)",
            "--arch and --from exclude each other", "would prune all"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new java.util.ArrayList<>(List.of("lottery", "--arch", "mlp",
                    "--data", "fashion-mnist-small", "--out", tmp.resolve("l" + i).toString()));
            args.addAll(List.of(cases[i]));
            Run bad = graft(args.toArray(String[]::new));
            assertEquals(2, bad.code(), bad.err());
            String[] lines = bad.err().strip().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("graft lottery: error: ") && last.contains(expect[i]),
                    bad.err());
            assertFalse(Files.exists(tmp.resolve("l" + i)), "nothing written on refusal");
        }
    }

    @Test
    void analyzeAllWritesOneReportAndRefusesBadSettings() throws Exception {
        String model = trained.resolve("model").toString();
        Run r = graft("analyze", "all", "--model", model, "--data", "fashion-mnist-small",
                "--classes", "5-9", "--shots", "40", "--epochs", "2", "--block-sizes", "28,4",
                "--steps", "2", "--cka-images", "100", "--source-epochs", "1", "--out",
                tmp.resolve("analyze").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals(4, j.get("accuracy").size(), "P1, R1, P2, R2");
        assertEquals(2, j.get("shuffle").size());
        assertEquals(3, j.get("landscape_pretrained").get("points").size());
        assertEquals(List.of("layer1", "layer2", "head").size(),
                j.get("criticality_pretrained").get("modules").size());
        assertEquals("layer1.fc", j.get("layer_criticality_scratch").get("modules").get(0)
                .asText());
        assertEquals(3, j.get("similarity").size(), "P1-P2, R1-R2, P1-R1");
        assertEquals(3, j.get("similarity").get(0).get("cka").size(), "two stages and logits");
        assertEquals(2, j.get("checkpoints").size(), "random init, then epoch 1");
        String html = Files.readString(tmp.resolve("analyze/report.html"));
        for (String section : List.of("block-shuffled", "Loss landscape", "Module criticality",
                "linear CKA", "pretraining checkpoint", "Findings")) {
            assertTrue(html.contains(section), section);
        }
        String[][] cases = {{"shuffle", "--block-sizes", "5"}, {"everything"},
            {"landscape", "--steps", "0"}};
        String[] expect = {"block size 5 does not divide the 28x28 images",
            "'everything' is not an analysis", "--steps must be at least 1"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new java.util.ArrayList<>(List.of("analyze"));
            args.addAll(List.of(cases[i]));
            args.addAll(List.of("--model", model, "--data", "fashion-mnist-small", "--out",
                    tmp.resolve("a" + i).toString()));
            Run bad = graft(args.toArray(String[]::new));
            assertEquals(2, bad.code(), bad.err());
            String[] lines = bad.err().strip().split("\n");
            String last = lines[lines.length - 1];
            assertTrue(last.startsWith("graft analyze: error: ") && last.contains(expect[i]),
                    bad.err());
            assertFalse(Files.exists(tmp.resolve("a" + i)), "nothing written on refusal");
        }
    }

    /**
     * Pretrained weights from elsewhere, end to end: an image folder written from the bundled
     * subset, a resnet18 safetensors file imported, its predictions as JSON, evaluation and a
     * probe fine-tuning on the image folder; a file of the wrong architecture is refused with
     * the right one named.
     */
    @Test
    void importPredictAndFinetuneOnAnImageFolder() throws Exception {
        Path images = tmp.resolve("fm-images");
        Run r = graft("data", "images", "--data", "fashion-mnist-small", "--train-per-class",
                "4", "--test-per-class", "2", "--out", images.toString(), "--json", "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals(40, r.json().get("train").asInt());
        assertTrue(Files.isRegularFile(images.resolve("train/T-shirt-top/00000.png")));
        Path weights = tmp.resolve("resnet18.safetensors");
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                java.io.OutputStream out = Files.newOutputStream(weights)) {
            dev.graft.model.Checkpoint.writeWeights(dev.graft.model.Architecture.RESNET18.build(
                    new int[] {3, 32, 32}, 10, new dev.graft.model.ModelOptions(1, false))
                    .initialize(m, 3), out);
        }
        Path ckpt = tmp.resolve("imported");
        r = graft("import", "--arch", "resnet18", "--weights", weights.toString(),
                "--input-size", "32", "--out", ckpt.toString(), "--json", "-q");
        assertEquals(0, r.code(), r.err());
        assertEquals(10, r.json().get("classes").asInt());
        r = graft("predict", "--model", ckpt.toString(), "--top", "3", "--json", "-q",
                images.resolve("test/Bag/00000.png").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(3, r.json().get(0).get("top").size());
        r = graft("evaluate", "--model", ckpt.toString(), "--data", images.toString(), "--json",
                "-q");
        assertEquals(0, r.code(), r.err());
        r = graft("finetune", "--model", ckpt.toString(), "--data", images.toString(),
                "--policy", "probe", "--epochs", "1", "--val-fraction", "0", "--out",
                tmp.resolve("ft-images").toString(), "--json", "-q");
        assertEquals(0, r.code(), r.err());
        r = graft("import", "--arch", "vgg16", "--weights", weights.toString(), "--out",
                tmp.resolve("wrong").toString(), "-q");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("they are resnet18's: import with --arch resnet18"),
                r.err());
        assertFalse(Files.exists(tmp.resolve("wrong")));
        r = graft("finetune", "--model", ckpt.toString(), "--epochs", "1", "-q", "--out",
                tmp.resolve("ft-nodata").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("graft does not have the data it was trained on; pass"
                + " --data"), r.err());
    }
}
