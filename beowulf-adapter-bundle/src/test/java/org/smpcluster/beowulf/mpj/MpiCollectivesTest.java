package org.smpcluster.beowulf.mpj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.smpcluster.beowulf.mpj.hub.JobAbortedException;

/** Collectives, ops and communicators with 2, 4 and 8 ranks (and odd sizes for the tree edge cases). */
class MpiCollectivesTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);

    private static void allOk(int ranks, String program) throws Exception {
        for (Object o : LocalJob.run(ranks, program, DEADLINE)) {
            assertEquals("ok", o, program);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 8})
    void shouldComputeEveryCollectiveAsMpiSays(int ranks) throws Exception {
        allOk(ranks, "Collectives.all");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 6, 8})
    void shouldApplyPairLogicalAndUserOpsInRankOrder(int ranks) throws Exception {
        allOk(ranks, "Collectives.ops");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldBuildGroupsSplitsTopologiesAndIntercomms(int ranks) throws Exception {
        allOk(ranks, "Communicators.all");
    }

    @Test
    void shouldEndEveryRankWhenOneAborts() {
        AssertionError e = assertThrows(AssertionError.class, () -> LocalJob.run(4, "Communicators.abort", DEADLINE));
        assertTrue(e.getCause() instanceof JobAbortedException, String.valueOf(e.getCause()));
        assertEquals(3, ((JobAbortedException) e.getCause()).code());
    }
}
