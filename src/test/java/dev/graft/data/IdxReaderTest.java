package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.io.BadFileException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    /** Two 2x3 images: header 0x00000803, dims 2, 2, 3, then 12 bytes. */
    static byte[] twoImages() {
        return new byte[] {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, (byte) 255};
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(raw);
        }
        return bos.toByteArray();
    }

    @Test
    void readsRawAndGzipAlike(@TempDir Path dir) throws IOException {
        Path raw = Files.write(dir.resolve("a-idx3-ubyte"), twoImages());
        Path gz = Files.write(dir.resolve("b-idx3-ubyte.gz"), gzip(twoImages()));
        for (Path p : new Path[] {raw, gz}) {
            IdxReader.IdxArray a = IdxReader.read(p);
            assertArrayEquals(new int[] {2, 2, 3}, a.dims());
            assertEquals(2, a.count());
            assertEquals(12, a.data().length);
            assertEquals(255, a.data()[11] & 0xff);
        }
    }

    @Test
    void truncatedDataIsNamed(@TempDir Path dir) throws IOException {
        Path p = Files.write(dir.resolve("t-idx3-ubyte"), Arrays.copyOf(twoImages(), 20));
        BadFileException e = assertThrows(BadFileException.class, () -> IdxReader.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("promises 12 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void extraBytesAreAnError(@TempDir Path dir) throws IOException {
        Path p = Files.write(dir.resolve("x"), Arrays.copyOf(twoImages(), 30));
        assertTrue(assertThrows(BadFileException.class, () -> IdxReader.read(p)).getMessage()
                .contains("too long"));
    }

    @Test
    void badMagicTypeAndRankAreRejected(@TempDir Path dir) throws IOException {
        byte[] magic = twoImages();
        magic[0] = 7;
        assertTrue(assertThrows(BadFileException.class, () -> IdxReader.read(
                Files.write(dir.resolve("m"), magic))).getMessage().contains("magic"));
        byte[] type = twoImages();
        type[2] = 0x0D;
        assertTrue(assertThrows(BadFileException.class, () -> IdxReader.read(
                Files.write(dir.resolve("t"), type))).getMessage().contains("0x0d"));
        assertTrue(assertThrows(BadFileException.class, () -> IdxReader.read(
                Files.write(dir.resolve("s"), new byte[] {0, 0}))).getMessage()
                .contains("too short"));
    }

    @Test
    void truncatedGzipIsNamed(@TempDir Path dir) throws IOException {
        byte[] gz = gzip(twoImages());
        Path p = Files.write(dir.resolve("c.gz"), Arrays.copyOf(gz, gz.length - 10));
        BadFileException e = assertThrows(BadFileException.class, () -> IdxReader.read(p));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("corrupt"),
                e.getMessage());
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path p = dir.resolve("nope");
        assertEquals(p + ": file not found",
                assertThrows(BadFileException.class, () -> IdxReader.read(p)).getMessage());
    }
}
