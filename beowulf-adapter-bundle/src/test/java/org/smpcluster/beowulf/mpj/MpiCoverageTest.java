package org.smpcluster.beowulf.mpj;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rest of the API (every basic type and op, request sets, persistent modes, cancels, types, groups). */
class MpiCoverageTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static void allOk(int ranks, String program) throws Exception {
        for (Object o : LocalJob.run(ranks, program, DEADLINE)) {
            assertEquals("ok", o, program);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldCarryEveryBasicTypeAndReduceIt(int ranks) throws Exception {
        allOk(ranks, "Coverage.basicTypes");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldCompleteRequestSetsPersistentModesAndCancels(int ranks) throws Exception {
        allOk(ranks, "Coverage.requests");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldHandleMarkersHindexedGroupsAndTopologyQueries(int ranks) throws Exception {
        allOk(ranks, "Coverage.moreTypesAndGroups");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldSurviveMixedEagerAndRendezvousTrafficAndDerivedCollectives(int ranks) throws Exception {
        allOk(ranks, "Stress.traffic");
    }
}
