package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.GraftException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MultiFashion's canvas, pairs and labels, checked pixel by pixel. */
class MultiTaskDataTest {

    /** Image i is all grey level 10 (i + 1), its label i. */
    static ImageDataset flat(int n) {
        byte[] p = new byte[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(p, i * 784, (i + 1) * 784, (byte) (10 * (i + 1)));
            labels[i] = i;
        }
        return new ImageDataset("flat", p, labels, 1, 28, 28,
                java.util.stream.IntStream.range(0, n).mapToObj(i -> "c" + i).toList());
    }

    @Test
    void twoItemsOverlapByMaximumOnA36PixelCanvas() {
        ImageDataset d = flat(4);
        MultiTaskData m = MultiTaskData.pairs("multi-test", d, d, "left", "right", "train");
        assertEquals(List.of(1, 36, 36), java.util.Arrays.stream(m.images().imageShape())
                .boxed().toList());
        for (int i = 0; i < 4; i++) {
            int left = m.tasks().get(0).labels()[i];
            int right = m.tasks().get(1).labels()[i];
            assertEquals(i, left, "every image is the top-left item of its own pair");
            assertNotEquals(left, right, "never paired with itself");
            int base = i * 36 * 36;
            // top-left corner: the left item alone; (33, 33): the right item alone, which
            // ends there, two pixels from the canvas's edge
            assertEquals(10 * (left + 1), m.images().pixel(base));
            assertEquals(10 * (right + 1), m.images().pixel(base + 33 * 36 + 33));
            assertEquals(0, m.images().pixel(base + 34 * 36 + 34));
            // where they overlap (rows and columns 6-27), the brighter one
            assertEquals(10 * (Math.max(left, right) + 1), m.images().pixel(base + 20 * 36 + 20));
            // outside both (row 0, column 30; row 30, column 0): background
            assertEquals(0, m.images().pixel(base + 30));
            assertEquals(0, m.images().pixel(base + 30 * 36));
        }
        MultiTaskData again = MultiTaskData.pairs("multi-test", d, d, "left", "right", "train");
        assertEquals(m.fingerprint(), again.fingerprint(), "the same pairs every time");
        assertNotEquals(m.fingerprint(), MultiTaskData.pairs("multi-test", d, d, "left", "right",
                "test").fingerprint(), "each split has its own pairing");
    }

    @Test
    void selectionKeepsEveryTasksLabelsAligned() {
        ImageDataset d = flat(6);
        MultiTaskData m = MultiTaskData.pairs("multi-test", d, d, "left", "right", "train");
        MultiTaskData s = m.select(new int[] {4, 1});
        assertArrayEquals(new int[] {4, 1}, s.tasks().get(0).labels());
        assertArrayEquals(new int[] {m.tasks().get(1).labels()[4], m.tasks().get(1).labels()[1]},
                s.tasks().get(1).labels());
        ImageDataset right = s.forTask(1);
        assertEquals(s.tasks().get(1).labels()[0], right.label(0));
        assertEquals(s.images().pixel(0), right.pixel(0), "the same pixels");
        assertEquals(1, m.taskIndex("right"));
        GraftException unknown = assertThrows(GraftException.class, () -> m.taskIndex("top"));
        assertTrue(unknown.getMessage().contains("[left, right]"), unknown.getMessage());
    }

    /** A quarter turn clockwise moves the top-left pixel to the top-right, and so on. */
    @Test
    void rotationsTurnImagesExactly() {
        byte[] p = new byte[28 * 28];
        p[0] = (byte) 200; // top-left
        p[27] = (byte) 100; // top-right
        ImageDataset one = new ImageDataset("one", p, new int[] {0}, 1, 28, 28, List.of("a"));
        for (int turns = 0; turns < 4; turns++) {
            int[] topLeft = MultiTaskData.source(turns, 0, 0, 28);
            int[] topRight = MultiTaskData.source(turns, 0, 27, 28);
            // after t clockwise quarter turns the top-left pixel came from the corner t
            // quarter turns anticlockwise of it: top-left, bottom-left, bottom-right, top-right
            int[][] wantTopLeft = {{0, 0}, {27, 0}, {27, 27}, {0, 27}};
            assertArrayEquals(wantTopLeft[turns], topLeft, "turns " + turns);
            assertArrayEquals(wantTopLeft[(turns + 3) % 4], topRight, "turns " + turns);
        }
        MultiTaskData r = MultiTaskData.rotated("rot", one, "train");
        int turns = r.tasks().get(1).labels()[0];
        int[] where = {0, 27, 27 * 28 + 27, 27 * 28}; // the top-left pixel after 0..3 turns
        assertEquals(200, r.images().pixel(where[turns]), "turned " + turns);
        assertEquals(List.of("class", "rotation"), r.tasks().stream().map(MultiTaskData.Task::name)
                .toList());
    }

    @Test
    void taskNamesMustDiffer() {
        ImageDataset d = flat(3);
        GraftException e = assertThrows(GraftException.class, () -> MultiTaskData.pairs("x", d,
                d, "left", "left", "train"));
        assertTrue(e.getMessage().contains("two tasks are called 'left'"), e.getMessage());
    }

    @Test
    void theBundledBenchmarksResolve() {
        MultiTaskData.Resolved r = MultiTaskData.resolve("multi-fashion+mnist-small",
                new DatasetResolver(), s -> { });
        assertEquals(List.of("garment", "digit"), r.train().tasks().stream()
                .map(MultiTaskData.Task::name).toList());
        DatasetResolver.Resolved f = new DatasetResolver().resolve("fashion-mnist-small",
                s -> { });
        assertEquals(f.train().size(), r.train().size(), "a pair per garment");
        assertEquals(f.test().size(), r.test().size());
        GraftException e = assertThrows(GraftException.class, () -> MultiTaskData.resolve(
                "multi-cifar", new DatasetResolver(), s -> { }));
        assertTrue(e.getMessage().contains("multi-fashion"), e.getMessage());
        for (String name : MultiTaskData.NAMES) {
            if (name.contains("-small")) {
                assertEquals(f.train().size(), MultiTaskData.resolve(name, new DatasetResolver(),
                        s -> { }).train().size(), name);
            }
        }
    }

    /** Three per class of the first task, each with its label of the second task. */
    @Test
    void shotsDrawPerClassOfTheFirstTask() {
        MultiTaskData r = MultiTaskData.resolve("fashion-mnist-small+rotation",
                new DatasetResolver(), s -> { }).train();
        MultiTaskData drawn = r.shots(0, 3, 7);
        assertEquals(30, drawn.size());
        int[] perClass = new int[10];
        for (int l : drawn.tasks().get(0).labels()) {
            perClass[l]++;
        }
        assertArrayEquals(new int[] {3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, perClass);
        assertArrayEquals(drawn.tasks().get(0).labels(), r.shots(0, 3, 7).tasks().get(0)
                .labels(), "seeded");
        // the rotation labels travel with their images
        ImageDataset turned = drawn.forTask(1);
        assertEquals(drawn.tasks().get(1).labels()[5], turned.label(5));
    }

    /** Datasets joined by commas: a task each, on images of its own, one input shape. */
    @Test
    void tasksOnImagesOfTheirOwn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        MultiTaskData.Parts p = MultiTaskData.resolveParts("fashion-mnist-small,digit=mnist-small",
                new DatasetResolver(), s -> { });
        assertEquals(List.of("fashion-mnist-small", "digit"), p.tasks().stream().map(
                MultiTaskData.Task::name).toList());
        assertEquals(2, p.train().size(), "a part per dataset");
        DatasetResolver.Resolved m = new DatasetResolver().resolve("mnist-small", s -> { });
        assertArrayEquals(m.train().labels(), p.train().get(1).tasks().get(0).labels());
        assertEquals(m.test().size(), p.test().get(1).size());
        MultiTaskData.Parts one = MultiTaskData.resolveParts("multi-fashion-small",
                new DatasetResolver(), s -> { });
        assertEquals(1, one.train().size(), "a benchmark's tasks share their images");
        assertEquals(List.of("left", "right"), one.tasks().stream().map(MultiTaskData.Task::name)
                .toList());

        GraftException twice = assertThrows(GraftException.class, () -> MultiTaskData
                .resolveParts("mnist-small,mnist-small", new DatasetResolver(), s -> { }));
        assertTrue(twice.getMessage().contains("two tasks are called 'mnist-small'"),
                twice.getMessage());
        // an image folder is read at 3 x 224 x 224: not the 1 x 28 x 28 of the first task
        ImageDataset small = new ImageDataset("t", new byte[4 * 2 * 2 * 3], new int[] {0, 1, 0,
                1}, 3, 2, 2, List.of("a", "b"));
        java.nio.file.Path folder = dir.resolve("folder");
        ImageFolder.write(small, small, folder);
        GraftException shape = assertThrows(GraftException.class, () -> MultiTaskData
                .resolveParts("mnist-small,pics=" + folder, new DatasetResolver(), s -> { }));
        assertTrue(shape.getMessage().contains("task pics (" + folder + ") has 3x224x224 images"
                + " and task mnist-small 1x28x28; the tasks of one trunk need one input shape"),
                shape.getMessage());
    }
}
