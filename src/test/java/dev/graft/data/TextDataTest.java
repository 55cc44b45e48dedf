package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.graft.io.BadFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text datasets: the three file kinds, the bundled sentences, and every bad input named. */
class TextDataTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    private String error(Path file) {
        return assertThrows(BadFileException.class, () -> TextData.read(file,
                TextData.Fields.DEFAULT, null)).getMessage();
    }

    @Test
    void readsJsonLinesCsvAndTsvAlike() throws Exception {
        TextDataset j = TextData.read(write("a.jsonl", "{\"text\": \"good, very\", \"label\":"
                + " \"pos\"}\n\n{\"text\": \"bad\", \"label\": \"neg\"}\n"),
                TextData.Fields.DEFAULT, null);
        TextDataset c = TextData.read(write("a.csv", "label,text\npos,\"good, very\"\nneg,bad\n"),
                TextData.Fields.DEFAULT, null);
        TextDataset t = TextData.read(write("a.tsv", "text\tlabel\ngood, very\tpos\nbad\tneg\n"),
                TextData.Fields.DEFAULT, null);
        for (TextDataset d : List.of(j, c, t)) {
            assertEquals(List.of("good, very", "bad"), d.texts());
            // classes sorted: neg 0, pos 1
            assertEquals(List.of("neg", "pos"), d.classNames());
            assertArrayEquals(new int[] {1, 0}, d.labels());
        }
        assertEquals(j.fingerprint(), c.fingerprint());
    }

    @Test
    void integerLabelsSortNumericallyAndFieldsCanBeNamed() throws Exception {
        TextDataset d = TextData.read(write("b.jsonl", "{\"review\": \"x\", \"stars\": 10}\n"
                + "{\"review\": \"y\", \"stars\": 2}\n{\"review\": \"z\", \"stars\": 9}\n"),
                new TextData.Fields("review", "stars"), null);
        assertEquals(List.of("2", "9", "10"), d.classNames());
        assertArrayEquals(new int[] {2, 0, 1}, d.labels());
    }

    @Test
    void badInputNamesTheFileTheLineAndTheFix() throws Exception {
        assertTrue(error(write("e.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \" \","
                + " \"label\": \"y\"}\n")).contains("line 2: the text ('text') is empty"));
        assertTrue(error(write("m.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\":"
                + " \"b\"}\n")).contains("line 2 has no field 'label'; its fields are [text]"));
        assertTrue(error(write("h.csv", "sentence,label\na,x\n")).contains(
                "has no column 'text'; its header names [sentence, label]"));
        assertTrue(error(write("j.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\nnot json\n"))
                .contains("line 2 is not a JSON object"));
        assertTrue(error(write("one.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n")).contains(
                "one label only"));
        assertTrue(error(write("ext.txt", "a\n")).contains("is not .csv, .tsv or .jsonl"));
        Path latin1 = dir.resolve("l.jsonl");
        Files.write(latin1, ("{\"text\": \"ok\", \"label\": \"x\"}\n{\"text\": \"caf\u00e9\","
                + " \"label\": \"y\"}\n").getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(error(latin1).contains("line 2 is not valid UTF-8"));
        // a test file with a label the training file does not have
        Path train = write("train.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\","
                + " \"label\": \"y\"}\n");
        Path test = write("test.jsonl", "{\"text\": \"c\", \"label\": \"z\"}\n");
        String msg = assertThrows(BadFileException.class, () -> TextData.resolve("train="
                + train + ",test=" + test, TextData.Fields.DEFAULT, s -> { })).getMessage();
        assertTrue(msg.contains("line 1: label 'z' is not one of the classes [x, y]"), msg);
    }

    @Test
    void bundledSentencesSplitEachSiteStratified() {
        TextData.Resolved all = TextData.resolve("uci-sentiment", TextData.Fields.DEFAULT,
                s -> { });
        assertEquals(2400, all.train().size());
        assertEquals(600, all.test().size());
        assertArrayEquals(new int[] {1200, 1200}, all.train().classCounts());
        assertEquals(List.of("negative", "positive"), all.train().classNames());
        TextData.Resolved yelp = TextData.resolve("uci-sentiment:yelp", TextData.Fields.DEFAULT,
                s -> { });
        assertEquals(800, yelp.train().size());
        // yelp.jsonl's first line ("Wow... Loved this place.") is drawn into the test split,
        // its second is the first training text
        assertEquals("Wow... Loved this place.", yelp.test().text(0));
        assertEquals("Crust is not good.", yelp.train().text(0));
        // the site split is fixed: the same texts whatever else is asked for
        assertEquals(yelp.test().texts(), all.test().texts().subList(400, 600));
        assertThrows(IllegalArgumentException.class, () -> TextData.resolve(
                "uci-sentiment:twitter", TextData.Fields.DEFAULT, s -> { }));
    }

    /** Cross-site: two sites' training splits, the third's usual test split. */
    @Test
    void trainAndTestMayNameSitesOfTheBundledSet() {
        TextData.Resolved cross = TextData.resolve("train=uci-sentiment:amazon+imdb,"
                + "test=uci-sentiment:yelp", TextData.Fields.DEFAULT, s -> { });
        TextData.Resolved yelp = TextData.resolve("uci-sentiment:yelp", TextData.Fields.DEFAULT,
                s -> { });
        TextData.Resolved two = TextData.resolve("uci-sentiment:amazon+imdb",
                TextData.Fields.DEFAULT, s -> { });
        assertEquals(1600, cross.train().size());
        assertEquals(two.train().texts(), cross.train().texts());
        assertEquals(yelp.test().texts(), cross.test().texts());
    }

    @Test
    void aTokenizedBatchPadsToItsLongestTextAndMasksThePadding() {
        TokenizedText t = new TokenizedText(new long[][] {{101, 7, 102}, {101, 102},
            {101, 5, 6, 7, 102}}, new int[] {0, 1, 0}, 2, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = t.batch(new int[] {1, 0}, m);
            assertArrayEquals(new long[] {2, 3}, b.inputs().get(0).getShape().getShape());
            assertArrayEquals(new long[] {101, 102, 0, 101, 7, 102}, b.inputs().get(0)
                    .toLongArray());
            assertArrayEquals(new long[] {1, 1, 0, 1, 1, 1}, b.inputs().get(1).toLongArray());
            assertArrayEquals(new long[] {1, 0}, b.y().toLongArray());
        }
        assertArrayEquals(new int[] {1, 0, 2}, t.inferenceOrder());
    }

    @Test
    void lengthGroupedBatchesDrawEveryTextOnceAndPadLittle() {
        int n = 200;
        java.util.List<int[]> batches = EpochOrder.lengthGrouped(n, 10, new java.util.SplittableRandom(3),
                i -> i % 37);
        int[] seen = new int[n];
        for (int[] b : batches) {
            int lo = Integer.MAX_VALUE;
            int hi = Integer.MIN_VALUE;
            for (int i : b) {
                seen[i]++;
                lo = Math.min(lo, i % 37);
                hi = Math.max(hi, i % 37);
            }
            // 200 texts sorted by 37 lengths (5 or 6 each) into batches of 10: 3 lengths at most
            assertTrue(hi - lo <= 2, "lengths " + lo + ".." + hi);
        }
        assertEquals(20, batches.size());
        for (int c : seen) {
            assertEquals(1, c);
        }
    }
}
