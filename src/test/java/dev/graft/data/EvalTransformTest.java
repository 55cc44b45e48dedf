package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** torchvision's evaluation transform, checked by hand (PIL's own output: see interop). */
class EvalTransformTest {

    /**
     * Row {0, 100, 200, 255} to 2 pixels: scale 2, triangle filter of support 2. Output 0
     * centres on 1.0 and weighs inputs 0-2 by 0.75, 0.75, 0.25 (/1.75): 500/7 = 71.4 -> 71;
     * output 1 centres on 3.0, inputs 1-3 by 0.25, 0.75, 0.75: 366.25/1.75 = 209.3 -> 209.
     */
    @Test
    void bilinearDownscaleIsPilsTriangleFilter() {
        assertArrayEquals(new int[] {71, 209},
                EvalTransform.resize(new int[] {0, 100, 200, 255}, 4, 1, 2, 1));
        // the same along a column
        assertArrayEquals(new int[] {71, 209},
                EvalTransform.resize(new int[] {0, 100, 200, 255}, 1, 4, 1, 2));
        // upscaling 2 -> 4 interpolates: centres 0.25, 0.75, 1.25, 1.75 in input units
        // (pixel centres at 0.5 and 1.5): 0, 25, 75, 100 of the way from 0 to 100
        assertArrayEquals(new int[] {0, 25, 75, 100},
                EvalTransform.resize(new int[] {0, 100}, 2, 1, 4, 1));
        // same size: untouched
        assertArrayEquals(new int[] {3, 1, 4}, EvalTransform.resize(new int[] {3, 1, 4}, 3, 1,
                3, 1));
    }

    @Test
    void shorterSideResizesThenTheCentreIsCropped() {
        // 6 wide x 4 high, resize 4: shorter side (height) stays 4, width 4 * 6 / 4 = 6; the
        // 2x2 crop starts at row round(1.0) = 1, column round(2.0) = 2
        BufferedImage img = new BufferedImage(6, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                img.getRaster().setSample(x, y, 0, 10 * y + x);
            }
        }
        byte[] out = new EvalTransform(4, 2, 2, 1).apply(img);
        assertArrayEquals(new byte[] {12, 13, 22, 23}, out);
        // gray to RGB repeats the plane; the raster is read as is (no colour-space change)
        byte[] rgb = new EvalTransform(4, 2, 2, 3).apply(img);
        assertArrayEquals(new byte[] {12, 13, 22, 23, 12, 13, 22, 23, 12, 13, 22, 23}, rgb);
        // offsets round half to even, as Python's round(): (5 - 2) / 2 = 1.5 -> 2
        BufferedImage five = new BufferedImage(5, 5, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 25; i++) {
            five.getRaster().setSample(i % 5, i / 5, 0, i);
        }
        assertArrayEquals(new byte[] {12, 13, 17, 18}, new EvalTransform(5, 2, 2, 1).apply(five));
    }

    @Test
    void rgbToGrayIsPilsLuma() {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, (200 << 16) | (100 << 8) | 50);
        // (299 * 200 + 587 * 100 + 114 * 50) / 1000 = 124.2 -> 124
        assertArrayEquals(new byte[] {124}, new EvalTransform(1, 1, 1, 1).apply(img));
        assertArrayEquals(new byte[] {(byte) 200, 100, 50},
                new EvalTransform(1, 1, 1, 3).apply(img));
    }

    @Test
    void torchvisionSizesForACrop() {
        assertEquals(new EvalTransform(256, 224, 224, 3), EvalTransform.forInput(
                new int[] {3, 224, 224}));
        assertEquals(342, EvalTransform.forInput(new int[] {3, 299, 299}).resize());
        assertThrows(IllegalArgumentException.class, () -> new EvalTransform(100, 224, 224, 3));
        assertThrows(IllegalArgumentException.class, () -> new EvalTransform(256, 224, 224, 2));
    }

    /**
     * A decompression bomb found by fuzzing: 48 bytes of PNG declaring 2,113,929,236 x 1 pixels
     * (ImageIO allocated 4 GB and spent 12 s on it). Refused from the header, before decoding.
     */
    @Test
    void anImageDeclaringTooManyPixelsIsRefusedBeforeDecoding(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path tmp) throws java.io.IOException {
        java.nio.file.Path bomb = java.nio.file.Files.write(tmp.resolve("bomb.png"), new byte[] {
            (byte) 137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 126, 0, 0, 20, 0,
            0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, (byte) 162, 0, 0, 0, 28, 73, 68, 65, 84, 120,
            (byte) 156, 99, 96, 96, (byte) 176, 1});
        dev.graft.io.BadFileException e = assertThrows(dev.graft.io.BadFileException.class,
                () -> new EvalTransform(32, 28, 28, 1).read(bomb));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(
                "declares 2113929236 x 1 pixels"), e.getMessage());
    }
}
