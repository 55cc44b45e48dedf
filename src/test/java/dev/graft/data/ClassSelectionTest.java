package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassSelectionTest {

    static final List<String> NAMES = List.of("zero", "one", "two", "three", "four", "five",
            "six", "seven", "eight", "nine");

    @Test
    void rangesListsAndNames() {
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, ClassSelection.parse("0-4", NAMES));
        assertArrayEquals(new int[] {5, 6, 7}, ClassSelection.parse("5,6,7", NAMES));
        assertArrayEquals(new int[] {0, 1, 9}, ClassSelection.parse("0-1, 9", NAMES));
        assertArrayEquals(new int[] {3, 8}, ClassSelection.parse("Three,eight", NAMES));
    }

    @Test
    void badSelectionsSayWhy() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ClassSelection.parse("3,12", NAMES)).getMessage()
                .contains("class 12, which does not exist"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ClassSelection.parse("4-2", NAMES)).getMessage().contains("backwards"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ClassSelection.parse("1,1", NAMES)).getMessage().contains("twice"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ClassSelection.parse("cat", NAMES)).getMessage().contains("not a class"));
    }
}
