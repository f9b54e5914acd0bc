package org.smpcluster.beowulf.mpj;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The mpi API, each program run with 2, 4 and 8 ranks, every rank in its own class loader. */
class MpiTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static List<Object> run(int ranks, String program) throws Exception {
        List<Object> out = LocalJob.run(ranks, program, DEADLINE);
        assertEquals(ranks, out.size());
        return out;
    }

    private static void allOk(int ranks, String program) throws Exception {
        for (Object o : run(ranks, program)) {
            assertEquals("ok", o, program);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldGiveEachRankItsOwnStaticsAndInitAgainAfterFinalize(int ranks) throws Exception {
        List<Object> want = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            want.add(r + "/" + ranks);
        }
        assertEquals(want, run(ranks, "PointToPoint.identity"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldKeepPairOrderAndMatchWildcards(int ranks) throws Exception {
        allOk(ranks, "PointToPoint.orderAndWildcards");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldCompleteSsendOnlyAfterTheReceiveStarts(int ranks) throws Exception {
        allOk(ranks, "PointToPoint.synchronousSend");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldSupportEverySendModeNonblockingAndPersistent(int ranks) throws Exception {
        allOk(ranks, "PointToPoint.modes");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldProbeCancelAndRejectBadInput(int ranks) throws Exception {
        allOk(ranks, "PointToPoint.probeCancelErrors");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldBufferSendsInTheAttachedBufferAndReportOverflow(int ranks) throws Exception {
        allOk(ranks, "PointToPoint.bufferedSend");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldRoundTripDerivedDatatypes(int ranks) throws Exception {
        allOk(ranks, "Types.derived");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldSerializeObjectsIntoTheReceiversLoader(int ranks) throws Exception {
        allOk(ranks, "Types.objects");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void shouldPackAndUnpack(int ranks) throws Exception {
        allOk(ranks, "Types.packing");
    }
}
