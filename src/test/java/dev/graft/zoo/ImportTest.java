package dev.graft.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.data.ImageDataset;
import dev.graft.data.ImageFolder;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code graft import} and {@code graft predict} on weights graft writes itself. */
class ImportTest {

    /** A resnet18 with torchvision's stem, 5 classes, saved as a bare safetensors file. */
    static Path resnet18Weights(Path dir, NDManager m) throws Exception {
        StagedNet net = Architecture.RESNET18.build(new int[] {3, 64, 64}, 5,
                new ModelOptions(1, false)).initialize(m, 5);
        Path file = dir.resolve("resnet18.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            Checkpoint.writeWeights(net, out);
        }
        return file;
    }

    @Test
    void importsCheckedWeightsWithClassCountNamesAndNormalization(@TempDir Path dir)
            throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path weights = resnet18Weights(dir, m);
            Path names = dir.resolve("names.txt");
            Files.writeString(names, "ant\nbee\n\ncat\ndog\neel\n");
            Import.Result r = new Import(s -> { }).run(new Import.Config(Architecture.RESNET18,
                    weights, 64, names, null, false), dir.resolve("ckpt"));
            assertEquals(5, r.classes());
            assertArrayEquals(new int[] {3, 64, 64}, r.inputShape());
            // 20 convolutions, 20 BatchNorms x 4 tensors, fc weight and bias; one
            // num_batches_tracked per BatchNorm
            assertEquals(Map.of("F32", 102, "I64", 20), r.dtypes());
            Checkpoint.Loaded back = Checkpoint.load(dir.resolve("ckpt"), m);
            assertEquals(List.of("ant", "bee", "cat", "dog", "eel"), back.spec().classNames());
            assertEquals(Import.IMAGENET, back.spec().normalization());
            assertEquals("import", back.spec().provenance().command());
            GraftException noData = assertThrows(GraftException.class,
                    () -> back.spec().sourceDataset());
            assertTrue(noData.getMessage().contains("pass --data"), noData.getMessage());
            // the weights are the file's, bit for bit
            StagedNet original = Architecture.RESNET18.build(new int[] {3, 64, 64}, 5,
                    new ModelOptions(1, false)).initialize(m, 5);
            for (var e : original.namedParameters().entrySet()) {
                assertArrayEquals(e.getValue().getArray().toFloatArray(), back.net()
                        .namedParameters().get(e.getKey()).getArray().toFloatArray(), 0f);
            }
        }
    }

    @Test
    void wrongArchitectureNamesTheRightOne(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path weights = resnet18Weights(dir, m);
            BadFileException e = assertThrows(BadFileException.class, () -> new Import(s -> { })
                    .run(new Import.Config(Architecture.RESNET34, weights, 64, null, null, false),
                            dir.resolve("ckpt")));
            assertTrue(e.getMessage().contains("not resnet34's"), e.getMessage());
            assertTrue(e.getMessage().contains("missing (layer1.2."), e.getMessage());
            assertTrue(e.getMessage().contains("they are resnet18's: import with --arch"
                    + " resnet18"), e.getMessage());
            Path names = dir.resolve("names.txt");
            Files.writeString(names, "a\nb\n");
            e = assertThrows(BadFileException.class, () -> new Import(s -> { }).run(
                    new Import.Config(Architecture.RESNET18, weights, 64, names, null, false),
                    dir.resolve("ckpt")));
            assertTrue(e.getMessage().contains("has 2 class names but the weights' head has 5"),
                    e.getMessage());
            assertTrue(!Files.exists(dir.resolve("ckpt")), "nothing written on bad input");
            Files.createDirectories(dir.resolve("busy"));
            Files.writeString(dir.resolve("busy/notes.txt"), "mine");
            assertThrows(GraftException.class, () -> new Import(s -> { }).run(
                    new Import.Config(Architecture.RESNET18, weights, 64, null, null, false),
                    dir.resolve("busy")));
            assertTrue(Files.exists(dir.resolve("busy/notes.txt")));
        }
    }

    /**
     * torchvision's Inception-v3 files carry the auxiliary classifier: kept (the checkpoint's
     * options say so), or left out on request.
     */
    @Test
    void inceptionsAuxiliaryClassifierIsKeptOrLeftOut(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.INCEPTION_V3.build(new int[] {3, 299, 299}, 4,
                    ModelOptions.DEFAULT.withAuxLogits(true)).initialize(m, 1);
            Path file = dir.resolve("inception.safetensors");
            try (OutputStream out = Files.newOutputStream(file)) {
                Checkpoint.writeWeights(net, out);
            }
            Import.Result kept = new Import(s -> { }).run(new Import.Config(
                    Architecture.INCEPTION_V3, file, 0, null, null, false), dir.resolve("a"));
            assertEquals(4, kept.classes());
            assertTrue(kept.dropped().isEmpty());
            assertEquals(Import.HALF, kept.normalization());
            Checkpoint.Loaded back = Checkpoint.load(dir.resolve("a"), m);
            assertTrue(back.net().options().hasAuxLogits());
            assertTrue(back.net().namedParameters().containsKey("AuxLogits.conv1.conv.weight"));
            Import.Result left = new Import(s -> { }).run(new Import.Config(
                    Architecture.INCEPTION_V3, file, 0, null, null, true), dir.resolve("b"));
            assertTrue(left.dropped().get(0).startsWith("12 tensors of AuxLogits."),
                    left.dropped().toString());
            assertTrue(left.parameters() < kept.parameters());
        }
    }

    @Test
    void predictRanksClassesOfImageFiles(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path weights = resnet18Weights(dir, m);
            new Import(s -> { }).run(new Import.Config(Architecture.RESNET18, weights, 64, null,
                    null, false), dir.resolve("ckpt"));
        }
        byte[] px = new byte[2 * 3 * 40 * 50];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 7);
        }
        ImageDataset d = new ImageDataset("t", px, new int[] {0, 1}, 3, 40, 50,
                List.of("p", "q"));
        ImageFolder.write(d, d, dir.resolve("images"));
        List<Path> images = List.of(dir.resolve("images/train/p/00000.png"),
                dir.resolve("images/train/q/00000.png"));
        List<Prediction.Result> results = Prediction.run(dir.resolve("ckpt"), images, 3);
        assertEquals(2, results.size());
        for (Prediction.Result r : results) {
            assertEquals(3, r.top().size());
            double sum = 0;
            for (int i = 0; i < 3; i++) {
                sum += r.top().get(i).probability();
                if (i > 0) {
                    assertTrue(r.top().get(i).probability() <= r.top().get(i - 1)
                            .probability());
                }
            }
            assertTrue(sum <= 1.0001 && sum > 0);
        }
        assertEquals(images.get(0).toString(), results.get(0).image());
        assertThrows(BadFileException.class, () -> Prediction.run(dir.resolve("ckpt"),
                List.of(dir.resolve("images/none.png")), 3));
    }
}
