package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.GraftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image folders: written as PNGs, read back bit-exactly, bad layouts refused. */
class ImageFolderTest {

    static ImageDataset dataset(int channels, int n, int classes, List<String> names) {
        byte[] px = new byte[n * channels * 8 * 8];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 37 % 251);
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
        }
        return new ImageDataset("t", px, labels, channels, 8, 8, names);
    }

    @Test
    void writesAndReadsBackEveryPixel(@TempDir Path dir) {
        for (int channels : new int[] {1, 3}) {
            List<String> names = List.of("b/slash", "a");
            ImageDataset train = dataset(channels, 6, 2, names);
            ImageDataset test = dataset(channels, 4, 2, names);
            Path root = dir.resolve("folder" + channels);
            ImageFolder.write(train, test, root);
            assertTrue(Files.isRegularFile(root.resolve("train/b-slash/00000.png")));
            assertTrue(ImageFolder.isImageFolder(root));
            // no resampling at the stored size: the pixels come back as written
            DatasetResolver.Resolved r = ImageFolder.read(root, new EvalTransform(8, 8, 8,
                    channels), s -> { });
            // classes are the folders, sorted: a (was 1), b-slash (was 0)
            assertEquals(List.of("a", "b-slash"), r.train().classNames());
            assertEquals(6, r.train().size());
            assertEquals(4, r.test().size());
            ImageDataset a = r.train().withClasses(0);
            ImageDataset original = train.withClasses(1);
            assertArrayEquals(original.rawPixels(), a.rawPixels());
            // through the resolver, sized for a model of 3 x 16 x 16 (resize 18, crop 16)
            DatasetResolver.Resolved sized = new DatasetResolver().resolve(root.toString(),
                    new int[] {3, 16, 16}, s -> { });
            assertArrayEquals(new int[] {3, 16, 16}, sized.train().imageShape());
        }
    }

    @Test
    void badLayoutsAreClearErrors(@TempDir Path dir) throws Exception {
        List<String> names = List.of("x", "y");
        Path root = dir.resolve("f");
        ImageFolder.write(dataset(1, 4, 2, names), dataset(1, 2, 2, names), root);
        EvalTransform t = new EvalTransform(8, 8, 8, 1);
        Files.createDirectories(root.resolve("test/z"));
        GraftException e = assertThrows(GraftException.class,
                () -> ImageFolder.read(root, t, s -> { }));
        assertTrue(e.getMessage().contains("class folders [z]"), e.getMessage());
        Files.delete(root.resolve("test/z"));
        Files.writeString(root.resolve("train/x/broken.png"), "not a png");
        e = assertThrows(GraftException.class, () -> ImageFolder.read(root, t, s -> { }));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        Files.delete(root.resolve("train/x/broken.png"));
        Path noTest = dir.resolve("g");
        ImageFolder.write(dataset(1, 4, 2, names), dataset(1, 2, 2, names), noTest);
        Files.move(noTest.resolve("test"), noTest.resolve("elsewhere"));
        e = assertThrows(GraftException.class, () -> ImageFolder.read(noTest, t, s -> { }));
        assertTrue(e.getMessage().contains("neither test/ nor val/"), e.getMessage());
    }
}
