package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetResolverTest {

    /** Writes a tiny 4-file IDX dataset: n train and n test 2x2 images of 10 classes. */
    static Path tinyFolder(Path dir, int trainLabels) {
        byte[] px = new byte[20 * 4];
        byte[] y = new byte[20];
        for (int i = 0; i < 20; i++) {
            y[i] = (byte) (i % 10);
        }
        IdxWriter.writeGz(dir.resolve("train-images-idx3-ubyte.gz"), new int[] {20, 2, 2}, px);
        IdxWriter.writeGz(dir.resolve("train-labels-idx1-ubyte.gz"), new int[] {trainLabels},
                java.util.Arrays.copyOf(y, trainLabels));
        IdxWriter.writeGz(dir.resolve("t10k-images-idx3-ubyte.gz"), new int[] {20, 2, 2}, px);
        IdxWriter.writeGz(dir.resolve("t10k-labels-idx1-ubyte.gz"), new int[] {20}, y);
        return dir;
    }

    @Test
    void graftDataWinsOverTheFallbacks(@TempDir Path tmp) {
        tinyFolder(tmp.resolve("data/fashion-mnist"), 20);
        DatasetResolver r = new DatasetResolver(Map.of("GRAFT_DATA", tmp.resolve("data")
                .toString()), tmp.resolve("home"), false);
        DatasetResolver.Resolved got = r.resolve("fashion-mnist", s -> { });
        assertTrue(got.source().startsWith("$GRAFT_DATA"), got.source());
        assertEquals(20, got.train().size());
        assertEquals("Ankle boot", got.train().classNames().get(9));
    }

    @Test
    void userCacheIsUsedWhenNothingElseIs(@TempDir Path tmp) {
        tinyFolder(tmp.resolve("home/.graft/datasets/fashion-mnist"), 20);
        DatasetResolver.Resolved got = new DatasetResolver(Map.of(), tmp.resolve("home"), false,
                n -> null, tmp.resolve("system")).resolve("fashion-mnist", s -> { });
        assertTrue(got.source().startsWith("user cache"), got.source());
    }

    @Test
    void bundledSubsetIsTheLastResortAndSaysWhereItLooked(@TempDir Path tmp) {
        List<String> log = new ArrayList<>();
        DatasetResolver.Resolved got = new DatasetResolver(Map.of(), tmp, false)
                .resolve("fashion-mnist-small", log::add);
        assertEquals(6000, got.train().size());
        assertEquals(1000, got.test().size());
        int[] counts = got.train().classCounts();
        for (int c : counts) {
            assertEquals(600, c);
        }
    }

    @Test
    void labelCountMismatchNamesTheFile(@TempDir Path tmp) {
        Path dir = tinyFolder(tmp.resolve("bad"), 19);
        BadFileException e = assertThrows(BadFileException.class,
                () -> new DatasetResolver(Map.of(), tmp, false).resolve(dir.toString(), s -> { }));
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("19 labels but train-images-idx3-ubyte.gz has 20"),
                e.getMessage());
    }

    @Test
    void theSystemPackageComesBeforeTheUserCache(@TempDir Path tmp) {
        tinyFolder(tmp.resolve("home/.graft/datasets/fashion-mnist"), 20);
        tinyFolder(tmp.resolve("system/fashion-mnist"), 20);
        DatasetResolver.Resolved got = new DatasetResolver(Map.of(), tmp.resolve("home"), false,
                n -> null, tmp.resolve("system")).resolve("fashion-mnist", s -> { });
        assertTrue(got.source().contains("Debian package dataset-fashion-mnist"), got.source());
    }

    @Test
    void withNothingFoundTheBundledSubsetServesAndTheLogSaysWhereItLooked(@TempDir Path tmp) {
        List<String> log = new ArrayList<>();
        DatasetResolver.Resolved got = new DatasetResolver(Map.of(), tmp.resolve("home"), false,
                n -> null, tmp.resolve("system")).resolve("fashion-mnist", log::add);
        assertTrue(got.source().contains("bundled"), got.source());
        assertTrue(log.get(0).contains(tmp.resolve("system/fashion-mnist").toString()), log.get(0));
        assertTrue(log.get(0).contains("apt-get install dataset-fashion-mnist"), log.get(0));
    }

    @Test
    void unknownNameListsTheKnownOnes(@TempDir Path tmp) {
        GraftException e = assertThrows(GraftException.class,
                () -> new DatasetResolver(Map.of(), tmp, false).resolve("cifar-99", s -> { }));
        assertTrue(e.getMessage().contains("fashion-mnist"), e.getMessage());
    }

    @Test
    void folderWithMissingFilesListsThem(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("half"));
        tinyFolder(tmp.resolve("half"), 20);
        Files.delete(tmp.resolve("half/t10k-labels-idx1-ubyte.gz"));
        BadFileException e = assertThrows(BadFileException.class,
                () -> DatasetResolver.readFolder(tmp.resolve("half"), null, "x"));
        assertTrue(e.getMessage().contains("t10k-labels"), e.getMessage());
    }
}
