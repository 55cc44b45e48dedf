package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Pipelines as written on the command line. */
class LedgerTest {

    @Test
    void stepsParseInOrderWithTheirAmounts() {
        List<Ledger.Step> steps = Ledger.parse("prune:0.8, lowrank:0.5,filters:0.25,int8");
        assertEquals(List.of(new Ledger.Step("prune", 0.8), new Ledger.Step("lowrank", 0.5),
                new Ledger.Step("filters", 0.25), new Ledger.Step("int8", null)), steps);
        assertEquals("prune:0.8", steps.get(0).toString());
    }

    @Test
    void badPipelinesSayWhatIsWrong() {
        String[][] cases = {{"int8,prune:0.5", "must come last"},
            {"magic:1", "'magic' is not one of"}, {"prune", "needs an amount"},
            {"prune:x", "x is not a number"}, {"int8:2", "takes no amount"},
            {"prune:0.5:3", "is not KIND or KIND:AMOUNT"}};
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Ledger.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
