package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.BadFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordNetGlossesTest {

    @TempDir
    Path dir;

    private static final String HEADER = "  1 This software and database is being provided to you"
            + ", the LICENSEE, by  \n";

    @Test
    void readsGlossesLabelledByLexicographerFile() throws Exception {
        Path f = dir.resolve("data.noun");
        Files.writeString(f, HEADER + "00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that"
                + " which is perceived or known  \n"
                + "00217014 04 n 02 destruction 0 devastation 0 000 | the termination of"
                + " something; \"the destruction of the city\"  \n"
                + "15113229 28 n 01 time 0 000 | the continuum of experience  \n",
                StandardCharsets.US_ASCII);
        TextDataset d = WordNetGlosses.read(f);
        assertEquals(List.of("that which is perceived or known", "the termination of"
                + " something; \"the destruction of the city\"", "the continuum of experience"),
                d.texts());
        assertEquals(26, d.numClasses());
        // 03 is noun.Tops, 04 noun.act, 28 noun.time
        assertArrayEquals(new int[] {0, 1, 25}, d.labels());
        assertEquals("noun.time", d.classNames().get(25));
        assertTrue(TextData.isText("wordnet-glosses") && TextData.isText("wordnet-glosses-small")
                && TextData.isText("wordnet-glosses:" + f));
    }

    @Test
    void badLinesNameTheFileAndLine() throws Exception {
        Path noGloss = dir.resolve("a");
        Files.writeString(noGloss, HEADER + "00001740 03 n 01 entity 0 000\n");
        String e = assertThrows(BadFileException.class, () -> WordNetGlosses.read(noGloss))
                .getMessage();
        assertTrue(e.contains(noGloss.toString()) && e.contains("line 2") && e.contains("no gloss"),
                e);
        Path verb = dir.resolve("data.verb");
        Files.writeString(verb, "00001740 29 v 01 breathe 0 000 | draw air  \n");
        e = assertThrows(BadFileException.class, () -> WordNetGlosses.read(verb)).getMessage();
        assertTrue(e.contains("line 1") && e.contains("is not a noun") && e.contains("data.noun"),
                e);
        e = assertThrows(BadFileException.class, () -> WordNetGlosses.read(dir.resolve("none")))
                .getMessage();
        assertTrue(e.contains("wordnet-base"), e);
        Path latin1 = dir.resolve("b");
        Files.write(latin1, new byte[] {'0', '0', ' ', '0', '3', ' ', 'n', ' ', '|', ' ',
            (byte) 0xe9});
        e = assertThrows(BadFileException.class, () -> WordNetGlosses.read(latin1)).getMessage();
        assertTrue(e.contains("UTF-8"), e);
    }

    /**
     * Debian's full file, where wordnet-base is installed (CI installs it): 82,115 synsets, the
     * class sizes counted with {@code awk '{print $2}' data.noun | sort | uniq -c}.
     */
    @Test
    void debiansDataNounHoldsEveryNounSynset() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(WordNetGlosses.DEBIAN),
                "Debian's wordnet-base is not installed; skipping the full-file check");
        TextDataset all = WordNetGlosses.read(WordNetGlosses.DEBIAN);
        assertEquals(82_115, all.size());
        int[] counts = all.classCounts();
        assertEquals(51, counts[0]); // noun.Tops
        assertEquals(11_587, counts[3]); // noun.artifact
        assertEquals(42, counts[13]); // noun.motive
        assertEquals(1_028, counts[25]); // noun.time
        TextData.Resolved r = TextData.resolve("wordnet-glosses", TextData.Fields.DEFAULT,
                s -> { });
        assertEquals(82_115, r.train().size() + r.test().size());
    }

    /** The bundled subset: 40 synsets of each of the 26 files, 32 train and 8 test each. */
    @Test
    void bundledSubsetSplitsEveryClassEightyTwenty() {
        TextData.Resolved r = TextData.resolve("wordnet-glosses-small", TextData.Fields.DEFAULT,
                s -> { });
        assertEquals(832, r.train().size());
        assertEquals(208, r.test().size());
        assertTrue(Arrays.stream(r.train().classCounts()).allMatch(c -> c == 32));
        assertTrue(Arrays.stream(r.test().classCounts()).allMatch(c -> c == 8));
        assertTrue(r.train().texts().contains("that which is perceived or known or inferred to"
                + " have its own distinct existence (living or nonliving)"));
        assertEquals(r.test().fingerprint(), TextData.resolve("wordnet-glosses-small",
                TextData.Fields.DEFAULT, s -> { }).test().fingerprint());
    }
}
