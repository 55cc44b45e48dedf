package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OneDnnCheckTest {

    /** convnet --width 0.25: 1 -> 8 -> 8 channels, then 16. */
    private static Map<String, Shape> thin() {
        Map<String, Shape> m = new LinkedHashMap<>();
        m.put("stage1.0.conv.weight", new Shape(8, 1, 3, 3));
        m.put("stage1.0.bn.weight", new Shape(8));
        m.put("stage1.1.conv.weight", new Shape(8, 8, 3, 3));
        m.put("stage2.0.conv.weight", new Shape(16, 8, 3, 3));
        m.put("head.weight", new Shape(10, 64));
        return m;
    }

    @Test
    void aConvolutionOfEightInputChannelsIsRefusedOnAvx512WithTheFix() {
        String p = OneDnnCheck.problem(thin(), true, null);
        assertTrue(p.contains("stage1.1.conv.weight has 8 input channels"), p);
        assertTrue(p.contains("ONEDNN_MAX_CPU_ISA=AVX2"), p);
        assertTrue(OneDnnCheck.problem(thin(), true, "avx512_core") != null, "still AVX-512");
    }

    @Test
    void cappedOrWithoutAvx512OrWithMultiplesOf16ItTrains() {
        assertNull(OneDnnCheck.problem(thin(), true, "AVX2"));
        assertNull(OneDnnCheck.problem(thin(), false, null));
        Map<String, Shape> width1 = new LinkedHashMap<>();
        width1.put("stage1.0.conv.weight", new Shape(32, 1, 3, 3));
        width1.put("stage1.1.conv.weight", new Shape(32, 32, 3, 3));
        width1.put("stage2.0.conv.weight", new Shape(64, 32, 3, 3));
        width1.put("conv1.weight", new Shape(64, 3, 7, 7));
        assertNull(OneDnnCheck.problem(width1, true, null), "image channels and multiples of 16");
    }
}
