package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.BadFileException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The domains of adaptation: MNIST, the optical digits, and shifts written after a name. */
class DomainDataTest {

    private static ByteArrayInputStream gz(String text) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(text.getBytes(StandardCharsets.US_ASCII));
        }
        return new ByteArrayInputStream(b.toByteArray());
    }

    @Test
    void optdigitsGridIsResampledIntoMnistsFraming() {
        int[] grid = new int[64];
        java.util.Arrays.fill(grid, 16);
        byte[] full = Optdigits.frame(grid);
        // the 20x20 box sits at rows/columns 4..23 of 28; outside it stays black
        assertEquals(255, full[4 * 28 + 4] & 0xff);
        assertEquals(255, full[23 * 28 + 23] & 0xff);
        assertEquals(0, full[3 * 28 + 10] & 0xff);
        assertEquals(0, full[10 * 28 + 24] & 0xff);
        // one lit cell (row 0, column 1) at level 8: output column o samples source
        // (o + 0.5) * 0.4 - 0.5; o = 2 -> 0.5 (half of cell 1: 255 * 8/16 * 0.5 = 63.75 -> 64),
        // o = 3 -> 0.9 (0.9 of it: 114.75 -> 115); row o = 0 -> source -0.3, clamped to 0
        grid = new int[64];
        grid[1] = 8;
        byte[] one = Optdigits.frame(grid);
        assertEquals(64, one[4 * 28 + 4 + 2] & 0xff);
        assertEquals(115, one[4 * 28 + 4 + 3] & 0xff);
    }

    @Test
    void optdigitsFileErrorsNameLineAndField() {
        Path f = Path.of("digits.csv.gz");
        String row = "0,".repeat(64);
        assertEquals(2, Optdigits.read(f, gzUnchecked(row + "3\n" + row + "9\n"), "d").size());
        BadFileException level = assertThrows(BadFileException.class,
                () -> Optdigits.read(f, gzUnchecked(row.replaceFirst("0", "17") + "3\n"), "d"));
        assertTrue(level.getMessage().contains("line 1, field 1: 17 is outside 0..16"),
                level.getMessage());
        BadFileException fields = assertThrows(BadFileException.class,
                () -> Optdigits.read(f, gzUnchecked("1,2,3\n"), "d"));
        assertTrue(fields.getMessage().contains("line 1 has 3 fields"), fields.getMessage());
        assertThrows(BadFileException.class, () -> Optdigits.read(f, gzUnchecked(""), "d"));
    }

    private static ByteArrayInputStream gzUnchecked(String text) {
        try {
            return gz(text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void namedDigitDatasetsResolveOffline(@TempDir Path tmp) {
        List<String> log = new ArrayList<>();
        DatasetResolver r = new DatasetResolver(Map.of(), tmp, false, n -> null,
                tmp.resolve("system"));
        DatasetResolver.Resolved mnist = r.resolve("mnist", log::add);
        assertEquals(9000, mnist.train().size());
        assertEquals(1000, mnist.test().size());
        assertArrayEquals(new int[] {1, 28, 28}, mnist.train().imageShape());
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
                mnist.train().classNames());
        assertTrue(log.get(log.size() - 1).contains("bundled subset"), log.toString());
        DatasetResolver.Resolved digits = r.resolve("optdigits", s -> { });
        assertEquals(1797, digits.train().size() + digits.test().size());
        assertEquals(539, digits.test().size()); // 30% of each class, rounded per class
        assertEquals(mnist.train().classNames(), digits.train().classNames());
        assertTrue(digits.source().contains("bundled"), digits.source());
        // the split is fixed: the same images every time
        assertEquals(digits.test().fingerprint(), r.resolve("optdigits", s -> { }).test()
                .fingerprint());
    }

    @Test
    void shiftsParseAfterTheNameAndRefuseWhatTheyDoNotKnow() {
        DomainShift.Parsed p = DomainShift.parse("fashion-mnist:invert:noise=0.5");
        assertEquals("fashion-mnist", p.dataset());
        assertEquals(List.of(new DomainShift.Applied(DomainShift.INVERT, Double.NaN),
                new DomainShift.Applied(DomainShift.NOISE, 0.5)), p.shifts());
        assertEquals(45, DomainShift.parse("mnist:rotate").shifts().get(0).severity());
        assertEquals("runs/a:1", DomainShift.parse("runs/a:1").dataset());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> DomainShift.parse("fashion-mnist:invertt"));
        assertTrue(unknown.getMessage().contains("unknown domain shift ':invertt'")
                && unknown.getMessage().contains(":rotate"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DomainShift.parse("x:contrast=2"));
        assertThrows(IllegalArgumentException.class, () -> DomainShift.parse("x:invert=1"));
        assertThrows(IllegalArgumentException.class, () -> DomainShift.parse("x:noise=abc"));
    }

    private static ImageDataset image(int... px) {
        int side = (int) Math.sqrt(px.length);
        byte[] b = new byte[px.length];
        for (int i = 0; i < px.length; i++) {
            b[i] = (byte) px[i];
        }
        return new ImageDataset("t", b, new int[] {0}, 1, side, side, List.of("a"));
    }

    @Test
    void shiftsDoWhatTheySay() {
        ImageDataset d = image(0, 10, 20, 30, 40, 50, 60, 70, 80);
        assertEquals(255, new DomainShift.Applied(DomainShift.INVERT, Double.NaN).apply(d, "x")
                .pixel(0));
        // contrast 0.5 around the mean 40: 0 -> 20, 80 -> 60
        ImageDataset c = new DomainShift.Applied(DomainShift.CONTRAST, 0.5).apply(d, "x");
        assertEquals(20, c.pixel(0));
        assertEquals(60, c.pixel(8));
        // rotation by 90 degrees counter-clockwise: the top-middle pixel moves to the
        // left-middle
        ImageDataset r = new DomainShift.Applied(DomainShift.ROTATE, 90).apply(
                image(0, 200, 0, 0, 0, 0, 0, 0, 0), "x");
        assertEquals(200, r.pixel(3));
        assertEquals(0, r.pixel(1));
        // blur keeps a constant image and spreads a point
        assertEquals(50, new DomainShift.Applied(DomainShift.BLUR, 1).apply(
                image(50, 50, 50, 50, 50, 50, 50, 50, 50), "x").pixel(4));
        ImageDataset b = new DomainShift.Applied(DomainShift.BLUR, 1).apply(
                image(0, 0, 0, 0, 255, 0, 0, 0, 0), "x");
        assertTrue(b.pixel(4) < 255 && b.pixel(1) > 0, b.pixel(4) + " " + b.pixel(1));
        // noise is seeded by the shift and the split (the seeds train.Seeds would derive):
        // repeatable, and other for another split
        assertEquals(dev.graft.train.Seeds.derive(0x5eed, "noise=0.2/train"),
                DomainShift.seed("noise=0.2/train"));
        DomainShift.Applied noise = new DomainShift.Applied(DomainShift.NOISE, 0.2);
        assertEquals(noise.apply(d, "train").fingerprint(), noise.apply(d, "train").fingerprint());
        assertNotEquals(noise.apply(d, "train").fingerprint(), noise.apply(d, "test")
                .fingerprint());
    }

    @Test
    void anyCommandReadsAShiftedDataset(@TempDir Path tmp) throws IOException {
        DatasetResolver r = new DatasetResolver(Map.of(), tmp, false);
        DatasetResolver.Resolved plain = r.resolve("fashion-mnist-small", s -> { });
        DatasetResolver.Resolved inverted = r.resolve("fashion-mnist-small:invert", s -> { });
        assertEquals(255 - plain.test().pixel(100), inverted.test().pixel(100));
        assertEquals(plain.train().size(), inverted.train().size());
        assertTrue(inverted.source().endsWith("shifted by :invert"), inverted.source());
        // a folder holding a colon is not mistaken for a shift
        Path odd = Files.createDirectories(tmp.resolve("a:1"));
        DatasetResolverTest.tinyFolder(odd, 20);
        assertEquals(20, r.resolve(odd.toString(), s -> { }).train().size());
    }
}
