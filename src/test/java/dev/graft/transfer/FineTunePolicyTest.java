package dev.graft.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.graft.train.ParamGroup;
import java.util.List;
import org.junit.jupiter.api.Test;

class FineTunePolicyTest {

    static final List<String> STAGES = List.of("stage1", "stage2", "stage3");

    static String frozen(List<ParamGroup> groups) {
        StringBuilder sb = new StringBuilder();
        groups.forEach(g -> sb.append(g.frozen() ? 'F' : 'T'));
        return sb.toString();
    }

    @Test
    void presetsFreezeWhatTheirNamesSay() {
        assertEquals("FFFT", frozen(FineTunePolicy.preset("probe", STAGES).groups(STAGES, 1)));
        assertEquals("FFTT", frozen(FineTunePolicy.preset("last-stage", STAGES)
                .groups(STAGES, 1)));
        assertEquals("TTTT", frozen(FineTunePolicy.preset("full", STAGES).groups(STAGES, 1)));
        // lp-ft trains what full trains, from the probe's head
        assertEquals("TTTT", frozen(FineTunePolicy.preset("lp-ft", STAGES).groups(STAGES, 1)));
        assertEquals(true, FineTunePolicy.preset("lp-ft", STAGES).probeHead());
        assertEquals(false, FineTunePolicy.preset("full", STAGES).probeHead());
    }

    @Test
    void ulmfitUnfreezesOneStagePerEpochFromTheTop() {
        FineTunePolicy u = FineTunePolicy.preset("ulmfit", STAGES);
        assertEquals("FFFT", frozen(u.groups(STAGES, 1)));
        assertEquals("FFTT", frozen(u.groups(STAGES, 2)));
        assertEquals("FTTT", frozen(u.groups(STAGES, 3)));
        assertEquals("TTTT", frozen(u.groups(STAGES, 4)));
        assertEquals("TTTT", frozen(u.groups(STAGES, 9)));
    }

    @Test
    void discriminativeRatesDivideByTheFactorPerStage() {
        List<ParamGroup> g = FineTunePolicy.preset("ulmfit", STAGES).groups(STAGES, 4);
        assertEquals(1 / (2.6 * 2.6 * 2.6), g.get(0).lrMultiplier(), 1e-12);
        assertEquals(1 / (2.6 * 2.6), g.get(1).lrMultiplier(), 1e-12);
        assertEquals(1 / 2.6, g.get(2).lrMultiplier(), 1e-12);
        assertEquals(1, g.get(3).lrMultiplier(), 1e-12);
    }

    @Test
    void l2spAnchorsTheTrunkButNotTheHead() {
        List<ParamGroup> g = new FineTunePolicy("x", null, 0, 1, false, 0.01).groups(STAGES, 1);
        assertEquals(0.01, g.get(0).weightDecay(), 0);
        assertEquals(true, g.get(2).decayToStart());
        assertEquals(false, g.get(3).decayToStart());
    }

    @Test
    void freezeToAndUnfreezingCombine() {
        FineTunePolicy p = new FineTunePolicy("x", "stage1", 1, 1, false, null);
        assertEquals("FFTT", frozen(p.groups(STAGES, 2)));
        assertEquals("FTTT", frozen(p.groups(STAGES, 5)));
    }

    @Test
    void badNamesListTheChoices() {
        assertThrows(IllegalArgumentException.class, () -> FineTunePolicy.preset("half", STAGES));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FineTunePolicy("x", "stage7", 0, 1, false, null).groups(STAGES, 1));
        assertEquals("--freeze-to stage7 is not a stage; stages are [stage1, stage2, stage3]",
                e.getMessage());
    }
}
