package dev.graft.cli;

import static dev.graft.cli.CliTest.graft;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that writes, against output folders it must not touch, and every command that
 * reads a checkpoint, against damaged ones: each refusal is exit 2, one error line naming the
 * path, no stack trace, and nothing on disk changed or left behind. The table of outcomes is
 * written to {@code target/abuse.md} (the README's reliability section quotes it).
 */
class AbuseTest {

    @TempDir
    static Path tmp;

    static Path model;
    static Path codes;
    static Path image;
    static final List<String> rows = new ArrayList<>();

    @BeforeAll
    static void artifacts() throws IOException {
        Path run = tmp.resolve("src");
        CliTest.Run r = graft("pretrain", "--data", "fashion-mnist-small", "--arch", "mlp",
                "--epochs", "1", "--shots", "20", "--out", run.toString(), "-q");
        assertEquals(0, r.code(), r.err());
        model = run.resolve("model");
        codes = tmp.resolve("codes");
        r = graft("extract", "--model", model.toString(), "--shots", "5", "--out",
                codes.toString(), "-q");
        assertEquals(0, r.code(), r.err());
        Path images = tmp.resolve("images");
        r = graft("data", "images", "--data", "fashion-mnist-small", "--train-per-class", "1",
                "--test-per-class", "1", "--out", images.toString(), "-q");
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> s = Files.walk(images)) {
            image = s.filter(p -> p.toString().endsWith(".png")).findFirst().orElseThrow();
        }
    }

    @AfterAll
    static void table() throws IOException {
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "abuse.md"), Stream.concat(Stream.of(
                "| command | abuse | outcome |", "|---|---|---|"), rows.stream()).toList());
    }

    /** Commands that write a folder, with what they need besides --out. */
    static final Map<String, String[]> WRITERS = new java.util.LinkedHashMap<>();

    static {
        WRITERS.put("pretrain", new String[] {"pretrain", "--data", "fashion-mnist-small",
            "--arch", "mlp", "--epochs", "1", "--shots", "5"});
        WRITERS.put("evaluate", new String[] {"evaluate", "--model", "{M}"});
        WRITERS.put("extract", new String[] {"extract", "--model", "{M}", "--shots", "5"});
        WRITERS.put("probe", new String[] {"probe", "--codes", "{C}"});
        WRITERS.put("finetune", new String[] {"finetune", "--model", "{M}", "--epochs", "1",
            "--shots", "5"});
        WRITERS.put("advise", new String[] {"advise", "--model", "{M}", "--classes", "5-9",
            "--shots", "5"});
        WRITERS.put("transfer", new String[] {"transfer", "--model", "{M}", "--classes", "5-9",
            "--shots", "5", "--seeds", "1", "--epochs", "1"});
        WRITERS.put("adapt", new String[] {"adapt", "--model", "{M}", "--target",
            "fashion-mnist-small:invert", "--methods", "source-only,adabn", "--epochs", "1"});
        WRITERS.put("multitask", new String[] {"multitask", "--data", "multi-fashion-small",
            "--arch", "mlp", "--epochs", "1", "--seeds", "1", "--weighting", "equal",
            "--no-baselines"});
        WRITERS.put("explore", new String[] {"explore", "--codes", "{C}", "--k", "3",
            "--projection-sample", "20"});
        WRITERS.put("distill", new String[] {"distill", "--teacher", "{M}", "--student-arch",
            "mlp", "--epochs", "1", "--shots", "5"});
        WRITERS.put("prune", new String[] {"prune", "--model", "{M}", "--sparsity", "0.5",
            "--epochs", "1"});
        WRITERS.put("lowrank", new String[] {"lowrank", "--model", "{M}", "--layers",
            "layer1.fc", "--weights", "0.5", "--epochs", "1"});
        WRITERS.put("cluster", new String[] {"cluster", "--model", "{M}", "--clusters", "4",
            "--epochs", "1"});
        WRITERS.put("quantize", new String[] {"quantize", "--model", "{M}"});
        WRITERS.put("export", new String[] {"export", "--model", "{M}"});
        WRITERS.put("compress", new String[] {"compress", "--model", "{M}", "--pipeline",
            "int8"});
        WRITERS.put("lottery", new String[] {"lottery", "--from", "{M}", "--rounds", "1",
            "--epochs", "1"});
        WRITERS.put("analyze", new String[] {"analyze", "similarity", "--model", "{M}",
            "--classes", "5-9", "--shots", "5", "--epochs", "1"});
        WRITERS.put("predict", new String[] {"predict", "--model", "{M}", "{I}"});
        WRITERS.put("data images", new String[] {"data", "images", "--data",
            "fashion-mnist-small", "--train-per-class", "1", "--test-per-class", "1"});
        WRITERS.put("data subset", new String[] {"data", "subset", "--data",
            "fashion-mnist-small", "--train-per-class", "1", "--test-per-class", "1"});
    }

    static String[] args(String[] template, Path modelPath, String... more) {
        return Stream.concat(Stream.of(template).map(a -> switch (a) {
            case "{M}" -> modelPath.toString();
            case "{C}" -> codes.toString();
            case "{I}" -> image.toString();
            default -> a;
        }), Stream.of(more)).toArray(String[]::new);
    }

    /** Exit 2, one error line that names {@code path}, no stack trace. */
    static void assertCleanRefusal(CliTest.Run r, Path path, String what) {
        String err = r.err().strip();
        assertEquals(2, r.code(), what + ": " + err);
        assertTrue(err.contains(path.toString()), what + " does not name " + path + ": " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"),
                what + " shows internals: " + err);
        String first = err.lines().filter(l -> l.contains("error")).findFirst().orElse("");
        rows.add("| " + what.replace(" / ", " | ") + " | exit 2: `" + first.replace(
                tmp.toString(), "…").replace("|", "\\|") + "` |");
    }

    @TestFactory
    Stream<DynamicTest> outputFoldersThatMustNotBeTouched() {
        List<DynamicTest> tests = new ArrayList<>();
        WRITERS.forEach((name, template) -> {
            tests.add(DynamicTest.dynamicTest(name + " / --out holds a file of yours", () -> {
                Path out = tmp.resolve("occupied-" + name.replace(' ', '-'));
                Files.createDirectories(out);
                Files.writeString(out.resolve("precious.txt"), "keep me");
                assertCleanRefusal(graft(args(template, model, "--out", out.toString(), "-q")),
                        out, name + " / --out holds a file of yours");
                try (Stream<Path> s = Files.list(out)) {
                    assertEquals(List.of(out.resolve("precious.txt")), s.toList());
                }
                assertEquals("keep me", Files.readString(out.resolve("precious.txt")));
            }));
            tests.add(DynamicTest.dynamicTest(name + " / --out is a file", () -> {
                Path out = tmp.resolve("file-" + name.replace(' ', '-'));
                Files.writeString(out, "a file, not a folder");
                assertCleanRefusal(graft(args(template, model, "--out", out.toString(), "-q")),
                        out, name + " / --out is a file");
                assertEquals("a file, not a folder", Files.readString(out));
            }));
            tests.add(DynamicTest.dynamicTest(name + " / --out cannot be created", () -> {
                Path out = Path.of("/proc/graft-abuse/" + name.replace(' ', '-'));
                assertCleanRefusal(graft(args(template, model, "--out", out.toString(), "-q")),
                        out, name + " / --out cannot be created");
            }));
        });
        return tests.stream();
    }

    /** Damaged checkpoints, each made from the good one. */
    static final Map<String, Damage> DAMAGES = new java.util.LinkedHashMap<>();

    @FunctionalInterface
    interface Damage {
        /** Damages the copy at {@code dir}; returns the path the error must name. */
        Path apply(Path dir) throws IOException;
    }

    static {
        DAMAGES.put("--model does not exist", dir -> {
            dev.graft.io.AtomicFiles.deleteTree(dir);
            return dir;
        });
        DAMAGES.put("--model has no model.json", dir -> {
            Files.delete(dir.resolve("model.json"));
            return dir;
        });
        DAMAGES.put("model.json is not JSON", dir -> {
            Files.writeString(dir.resolve("model.json"), "{\"architecture\": \"mlp\",");
            return dir.resolve("model.json");
        });
        DAMAGES.put("weights cut in half", dir -> {
            Path w = dir.resolve("weights.safetensors");
            byte[] b = Files.readAllBytes(w);
            Files.write(w, java.util.Arrays.copyOf(b, b.length / 2));
            return w;
        });
        DAMAGES.put("weights are empty", dir -> {
            Files.write(dir.resolve("weights.safetensors"), new byte[0]);
            return dir.resolve("weights.safetensors");
        });
    }

    @TestFactory
    Stream<DynamicTest> damagedCheckpoints() {
        List<DynamicTest> tests = new ArrayList<>();
        WRITERS.forEach((name, template) -> {
            if (!List.of(template).contains("{M}")) {
                return;
            }
            DAMAGES.forEach((what, damage) -> tests.add(DynamicTest.dynamicTest(name + " / "
                    + what, () -> {
                        Path copy = tmp.resolve("damaged-" + name.replace(' ', '-') + "-"
                                + what.replaceAll("[^a-z]", ""));
                        copyTree(model, copy);
                        Path named = damage.apply(copy);
                        Path out = tmp.resolve("never-" + copy.getFileName());
                        String[] more = name.equals("predict") ? new String[] {"-q"} // no files
                                : new String[] {"--out", out.toString(), "-q"};
                        assertCleanRefusal(graft(args(template, copy, more)), named, name
                                + " / " + what);
                        assertFalse(Files.exists(out), "left " + out + " behind");
                    })));
        });
        return tests.stream();
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }
}
