package dev.graft.cli;

import static dev.graft.cli.CliTest.graft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.data.IdxWriter;
import dev.graft.data.ImageDataset;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cases of issue 24 where graft lost data, accepted what it should refuse or left a run
 * stuck: each fails on the code before its fix. Every refusal is one line, exit 2, and changes
 * nothing on disk.
 */
class ReliabilityTest {

    @TempDir
    static Path tmp;

    /** A finished one-epoch mlp run on a few shots: fast to make and to copy. */
    static Path finished;

    static final String[] PRETRAIN = {"pretrain", "--data", "fashion-mnist-small", "--arch",
        "mlp", "--shots", "20", "--schedule", "constant", "-q"};

    static String[] pretrain(String... more) {
        return Stream.concat(Stream.of(PRETRAIN), Stream.of(more)).toArray(String[]::new);
    }

    @BeforeAll
    static void finishedRun() {
        finished = tmp.resolve("finished");
        CliTest.Run r = graft(pretrain("--epochs", "1", "--out", finished.toString()));
        assertEquals(0, r.code(), r.err());
    }

    /** Every file under {@code dir} with its bytes. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    out.put(dir.relativize(p).toString(), java.util.HexFormat.of().formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(
                                    Files.readAllBytes(p))));
                }
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static Path copy(Path from, String name) throws IOException {
        Path to = tmp.resolve(name);
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
        return to;
    }

    static void assertRefused(CliTest.Run r, String expected) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.contains("error")).count(),
                r.err());
        assertFalse(r.err().contains("\tat "), "a stack trace reached the user: " + r.err());
    }

    // 1. data images replaced a folder that held files
    @Test
    void dataCommandsRefuseAFolderThatHoldsFiles() throws IOException {
        for (String what : List.of("images", "subset")) {
            Path out = tmp.resolve("occupied-" + what);
            Files.createDirectories(out);
            Files.writeString(out.resolve("thesis.txt"), "years of work");
            CliTest.Run r = graft("data", what, "--data", "fashion-mnist-small",
                    "--train-per-class", "2", "--test-per-class", "1", "--out", out.toString(),
                    "-q");
            assertRefused(r, "is not empty");
            assertEquals("years of work", Files.readString(out.resolve("thesis.txt")));
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(1, s.count(), "nothing was added to " + out);
            }
        }
    }

    // 2. a refused --resume rewrote run.json (status, result and config)
    @Test
    void aRefusedResumeChangesNothing() throws IOException {
        Path run = copy(finished, "refused-resume");
        Map<String, String> before = snapshot(run);
        String[][] refusals = {
            {"--arch", "mlp", "--epochs", "1"},
            {"--arch", "convnet", "--epochs", "2"},
            {"--arch", "mlp", "--epochs", "2", "--classes", "0-4"},
        };
        String[] expected = {"already finished all 1 epochs", "architecture: \"mlp\" ->"
                + " \"convnet\"", "classes: null -> \"0-4\""};
        for (int i = 0; i < refusals.length; i++) {
            String[] args = Stream.concat(Stream.of("pretrain", "--data", "fashion-mnist-small",
                    "--shots", "20", "--schedule", "constant", "-q", "--out", run.toString(),
                    "--resume"), Stream.of(refusals[i])).toArray(String[]::new);
            assertRefused(graft(args), expected[i]);
            assertEquals(before, snapshot(run), String.join(" ", refusals[i]));
        }
    }

    // 3. class names '.', '..', duplicates and hidden names in classes.txt
    @Test
    void classListsThatCannotBeFoldersAreRefusedWhereRead() throws IOException {
        Path idx = tmp.resolve("idx-names");
        assertEquals(0, graft("data", "subset", "--data", "fashion-mnist-small",
                "--train-per-class", "2", "--test-per-class", "1", "--out", idx.toString(),
                "-q").code());
        List<String> good = Files.readAllLines(idx.resolve("classes.txt"));
        String[][] edits = {{"0", "."}, {"1", ".."}, {"2", good.get(3)}, {"4", ".hidden"},
            {"5", "Sandal/x"}};
        String[] expected = {"'.' starts with a dot", "'..' starts with a dot", "appears twice",
            "'.hidden' starts with a dot", null};
        for (int i = 0; i < edits.length; i++) {
            List<String> names = new java.util.ArrayList<>(good);
            names.set(Integer.parseInt(edits[i][0]), edits[i][1]);
            Files.write(idx.resolve("classes.txt"), names);
            CliTest.Run r = graft("data", "info", "--data", idx.toString(), "-q");
            if (expected[i] == null) {
                assertEquals(0, r.code(), r.err()); // a slash is a legal name ("T-shirt/top")
            } else {
                assertRefused(r, expected[i]);
                assertTrue(r.err().contains("classes.txt"), r.err());
            }
        }
        Files.write(idx.resolve("classes.txt"), good);
        // names that meet only as folders: 'a/b' and 'a-b' would share a folder
        Path out = tmp.resolve("names-collide");
        List<String> collide = new java.util.ArrayList<>(good);
        collide.set(0, "a/b");
        collide.set(1, "a-b");
        Files.write(idx.resolve("classes.txt"), collide);
        assertRefused(graft("data", "images", "--data", idx.toString(), "--out",
                out.toString(), "-q"), "are the same folder name 'a-b'");
        assertFalse(Files.exists(out));
        Files.write(idx.resolve("classes.txt"), good);
    }

    // 4. codes and optimizer state went through DJL's unchecked decoder
    @Test
    void damagedOptimizerStateIsNamedOnResume() throws IOException {
        Path run = copy(finished, "bad-optimizer");
        Path opt = run.resolve("last/optimizer.safetensors");
        byte[] good = Files.readAllBytes(opt);
        for (long headerLength : new long[] {Integer.MAX_VALUE, 1L << 62}) {
            byte[] bad = good.clone();
            java.nio.ByteBuffer.wrap(bad).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putLong(0, headerLength);
            Files.write(opt, bad);
            assertRefused(graft(pretrain("--epochs", "2", "--out", run.toString(), "--resume")),
                    opt + ": header length");
        }
        Files.write(opt, java.util.Arrays.copyOf(good, good.length / 2));
        assertRefused(graft(pretrain("--epochs", "2", "--out", run.toString(), "--resume")),
                opt.toString());
        Files.write(opt, new byte[0]);
        assertRefused(graft(pretrain("--epochs", "2", "--out", run.toString(), "--resume")),
                opt + ": is 0 bytes");
    }

    // 5. model.json fields reached the engine unchecked
    @Test
    void modelJsonIsCheckedBeforeAnythingIsBuilt() throws IOException {
        Path model = copy(finished.resolve("model"), "bad-spec");
        Path spec = model.resolve("model.json");
        String good = Files.readString(spec);
        Map<String, String> edits = new java.util.LinkedHashMap<>();
        edits.put("normalization", "normalization is missing");
        edits.put("numClasses", "numClasses 2147483647 but classNames lists 10");
        edits.put("inputShape", "inputShape [1, 100000, 100000]");
        for (var e : edits.entrySet()) {
            ObjectNode node = (ObjectNode) Json.MAPPER.readTree(good);
            switch (e.getKey()) {
                case "normalization" -> node.remove("normalization");
                case "numClasses" -> node.put("numClasses", Integer.MAX_VALUE);
                default -> node.set("inputShape", Json.MAPPER.readTree("[1,100000,100000]"));
            }
            Files.writeString(spec, Json.MAPPER.writeValueAsString(node));
            CliTest.Run r = graft("evaluate", "--model", model.toString(), "-q");
            assertRefused(r, e.getValue());
            assertTrue(r.err().contains(spec.toString()), r.err());
        }
    }

    // 6. test images of another size than the training images trained a whole epoch first
    @Test
    void splitsWithImagesOfTwoSizesAreRefusedWhenOpened() {
        Path dir = tmp.resolve("idx-two-sizes");
        List<String> names = List.of("a", "b");
        IdxWriter.writeDataset(new ImageDataset("t", new byte[4 * 28 * 28], new int[] {0, 1, 0,
            1}, 1, 28, 28, names), dir.resolve("train-images-idx3-ubyte.gz"),
                dir.resolve("train-labels-idx1-ubyte.gz"));
        IdxWriter.writeDataset(new ImageDataset("t", new byte[2 * 20 * 20], new int[] {0, 1}, 1,
                20, 20, names), dir.resolve("t10k-images-idx3-ubyte.gz"),
                dir.resolve("t10k-labels-idx1-ubyte.gz"));
        Path out = tmp.resolve("never-two-sizes");
        assertRefused(graft("pretrain", "--data", dir.toString(), "--out", out.toString(), "-q"),
                "both splits need images of one size");
        assertFalse(Files.exists(out));
    }

    // 7. a run killed before its first checkpoint could be neither resumed nor restarted
    @Test
    void aRunKilledBeforeItsFirstCheckpointCanBeResumedOrRestarted() throws IOException {
        for (boolean resume : new boolean[] {true, false}) {
            Path run = tmp.resolve("killed-early-" + resume);
            Files.createDirectories(run);
            ObjectNode runJson = (ObjectNode) Json.MAPPER.readTree(finished.resolve("run.json")
                    .toFile());
            runJson.put("status", "running");
            runJson.remove("result");
            Files.writeString(run.resolve("run.json"), Json.MAPPER.writeValueAsString(runJson));
            CliTest.Run r = graft(resume ? pretrain("--epochs", "1", "--out", run.toString(),
                    "--resume") : pretrain("--epochs", "1", "--out", run.toString()));
            assertEquals(0, r.code(), r.err());
            JsonNode done = Json.MAPPER.readTree(run.resolve("run.json").toFile());
            assertEquals("finished", done.get("status").asText());
            assertTrue(Files.isDirectory(run.resolve("model")));
        }
    }

    // 8. after a killed run was resumed, metrics.jsonl held some epochs twice
    @Test
    void resumingDropsTheEpochsAfterTheCheckpoint() throws Exception {
        Path run = tmp.resolve("killed-late");
        assertEquals(0, graft(pretrain("--epochs", "2", "--out", run.toString())).code());
        Path afterTwo = copy(run.resolve("last"), "last-after-two");
        assertEquals(0, graft(pretrain("--epochs", "3", "--out", run.toString(), "--resume"))
                .code());
        // killed after epoch 3's metrics line, before its checkpoint: last/ is epoch 2's
        AtomicFiles.deleteTree(run.resolve("last"));
        Files.move(afterTwo, run.resolve("last"));
        ObjectNode runJson = (ObjectNode) Json.MAPPER.readTree(run.resolve("run.json").toFile());
        runJson.put("status", "running");
        Files.writeString(run.resolve("run.json"), Json.MAPPER.writeValueAsString(runJson));
        CliTest.Run r = graft(pretrain("--epochs", "3", "--out", run.toString(), "--resume",
                "--json"));
        assertEquals(0, r.code(), r.err());
        List<Integer> epochs = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .map(l -> Json.COMPACT.valueToTree(parse(l)).path("epoch"))
                .filter(JsonNode::isInt).map(JsonNode::asInt).toList();
        assertEquals(List.of(1, 2, 3), epochs);
        List<Integer> history = new java.util.ArrayList<>();
        r.json().get("history").forEach(h -> history.add(h.get("epoch").asInt()));
        assertEquals(List.of(1, 2, 3), history, "the result's history spans the resume");
    }

    private static JsonNode parse(String line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // 9. temporary files of a kill during start-up were never cleaned
    @Test
    void leftoversOfAKilledWriteAreClearedAndNeverBlock() throws IOException {
        Path run = tmp.resolve("leftovers");
        Files.createDirectories(run);
        Files.writeString(run.resolve(".run.json.8812345.tmp"), "{\"half");
        Files.writeString(run.resolve(".write-test99.tmp"), "");
        assertEquals(0, graft(pretrain("--epochs", "1", "--out", run.toString())).code());
        try (Stream<Path> s = Files.list(run)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".tmp")).toList());
        }
    }

    // 10. a finite but exploded loss ended "finished" with a chance-level model
    @Test
    void anExplodingLossEndsAsDivergence() throws IOException {
        Path run = tmp.resolve("exploded");
        CliTest.Run r = graft(pretrain("--epochs", "1", "--lr", "1e6", "--optimizer", "adam",
                "--out", run.toString()));
        assertRefused(r, "exploded");
        assertEquals("diverged", Json.MAPPER.readTree(run.resolve("run.json").toFile())
                .get("status").asText());
        assertFalse(Files.exists(run.resolve("model")), "no model is saved from a diverged run");
    }

    /** Values that make no sense are refused by name, and nothing is left behind. */
    @Test
    void optionsThatMakeNoSenseAreRefused() {
        Path out = tmp.resolve("never-nonsense");
        String[][] cases = {
            {"--warmup", "-5"},
            {"--patience", "2", "--val-fraction", "0"},
            {"--width", "2"},
        };
        String[] expected = {"--warmup must be 0 or more steps", "there is no validation split",
            "mlp takes no --width"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = Stream.concat(Stream.of(pretrain("--epochs", "1", "--out",
                    out.toString())), Stream.of(cases[i])).toArray(String[]::new);
            assertRefused(graft(args), expected[i]);
            assertFalse(Files.exists(out), "left " + out + " behind: " + String.join(" ", args));
        }
        assertRefused(graft("transfer", "--model", finished.resolve("model").toString(),
                "--classes", "5-9", "--strategies", "full,full", "--out", out.toString(), "-q"),
                "names a strategy twice");
        assertRefused(graft("probe", "--codes", tmp.toString(), "--out", out.toString(), "-q"),
                "probe writes no files, so --out");
        assertFalse(Files.exists(out));
    }

    @Test
    void anUnknownCommandIsNamedEvenWithHelp() {
        for (String[] args : new String[][] {{"nosuchcommand"}, {"nosuchcommand", "--help"}}) {
            CliTest.Run r = graft(args);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("graft: error: unknown command 'nosuchcommand'"),
                    r.err());
            assertFalse(r.err().contains("graft graft"), r.err());
        }
    }

    @Test
    void optionErrorsNameTheCommandOnce() {
        CliTest.Run r = graft("pretrain", "--no-such-option");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("graft pretrain: error: "), r.err());
        assertTrue(r.err().contains("Run 'graft pretrain --help'"), r.err());
    }

    /** A safetensors file: the 8-byte little-endian header length, the header, the data. */
    static byte[] safetensors(long headerLength, String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(8 + h.length + dataBytes).order(
                java.nio.ByteOrder.LITTLE_ENDIAN).putLong(headerLength).put(h).array();
    }

    // 4. the codes graft probe reads
    @Test
    void damagedCodesAreNamedNeverDecodedBlindly() throws IOException {
        Path file = tmp.resolve("codes-train.safetensors");
        String ok = "{\"codes\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"labels\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}}";
        String huge = ok.replace("[2,2]", "[4611686018427387904,4]");
        Map<byte[], String> cases = new java.util.LinkedHashMap<>();
        cases.put(safetensors(Integer.MAX_VALUE, ok, 32), "header length 2147483647");
        cases.put(safetensors(1L << 62, ok, 32), "header length 4611686018427387904");
        cases.put(safetensors(utf8(huge).length, huge, 32), "too many elements");
        cases.put(java.util.Arrays.copyOf(safetensors(utf8(ok).length, ok, 32), 30),
                "truncated");
        cases.put(new byte[0], "is 0 bytes");
        for (var c : cases.entrySet()) {
            Files.write(file, c.getKey());
            dev.graft.io.BadFileException e = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.graft.io.BadFileException.class, () -> dev.graft.transfer.FeatureCodes
                            .load(file, List.of("a", "b")));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(c.getValue()), e.getMessage());
        }
        Files.write(file, safetensors(utf8(ok).length, ok, 32)); // zeros: codes 0, labels 0
        assertEquals(2, dev.graft.transfer.FeatureCodes.load(file, List.of("a", "b")).count());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
