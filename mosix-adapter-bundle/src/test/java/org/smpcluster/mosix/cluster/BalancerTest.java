package org.smpcluster.mosix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The balancer's decisions against made-up views of the cluster. */
class BalancerTest {

    static final long MIB = 1L << 20;
    static final long T0 = 1_000_000_000_000L;

    static Balancer.Node node(int vnode, int runnable) {
        return new Balancer.Node(vnode, runnable, 1, 400 * MIB, vnode == 1 ? 512 * MIB : 0);
    }

    static Balancer.Candidate fresh(long pid) {
        return new Balancer.Candidate(pid, MIB, false, T0 - TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void shouldMoveOneOfTwoToAnIdleVnodeAndThenStayPut() {
        Balancer b = new Balancer(1);
        Optional<Balancer.Move> m = b.decide(List.of(node(0, 0), node(1, 2)), List.of(fresh(11), fresh(12)), T0);
        assertEquals("load", m.orElseThrow().why());
        assertEquals(0, m.get().to());
        // the target's table has not sampled it yet: the move counts there, so 1 against 1+1 stays
        assertTrue(b.decide(List.of(node(0, 0), node(1, 1)), List.of(fresh(12)), T0 + 1).isEmpty());
        // sampled: 1 against 1 stays too, now and later
        assertTrue(b.decide(List.of(node(0, 1), node(1, 1)), List.of(fresh(12)), T0 + TimeUnit.SECONDS.toNanos(5)).isEmpty());
    }

    @Test
    void shouldSpreadFourOverTwoVnodesInTwoMovesAndNoMore() {
        Balancer b = new Balancer(1);
        List<Balancer.Candidate> here = new ArrayList<>(List.of(fresh(1), fresh(2), fresh(3), fresh(4)));
        int onZero = 0;
        int moves = 0;
        for (int step = 0; step < 20; step++) {
            long now = T0 + step * TimeUnit.MILLISECONDS.toNanos(50);
            // vnode 0's table lags: it shows a move 100 ms after it
            int published = step < 2 ? 0 : onZero;
            Optional<Balancer.Move> m = b.decide(List.of(node(0, published), node(1, here.size())), here, now);
            if (m.isPresent()) {
                moves++;
                onZero++;
                long pid = m.get().pid();
                here.removeIf(c -> c.pid() == pid);
            }
        }
        assertEquals(2, moves, "4 on one vnode and 0 on the other: two move, then 2 and 2 stay");
        assertEquals(2, here.size());
    }

    @Test
    void shouldNotPingPongThreeProcessesOnTwoVnodes() {
        // Two balancers, one per vnode, each deciding for its own processes against the other's
        // published load, the moved process arriving (and staying put) on the other side.
        Balancer one = new Balancer(1);
        Balancer zero = new Balancer(0);
        List<Balancer.Candidate> onOne = new ArrayList<>(List.of(fresh(1), fresh(2), fresh(3)));
        List<Balancer.Candidate> onZero = new ArrayList<>();
        int moves = 0;
        for (int step = 0; step < 400; step++) { // 20 s in 50 ms steps
            long now = T0 + step * TimeUnit.MILLISECONDS.toNanos(50);
            List<Balancer.Node> view = List.of(node(0, onZero.size()), node(1, onOne.size()));
            for (Balancer.Move m : one.decide(view, onOne, now).stream().toList()) {
                moves++;
                onOne.removeIf(c -> c.pid() == m.pid());
                onZero.add(new Balancer.Candidate(m.pid(), MIB, true, now));
            }
            view = List.of(node(0, onZero.size()), node(1, onOne.size()));
            for (Balancer.Move m : zero.decide(view, onZero, now).stream().toList()) {
                moves++;
                onZero.removeIf(c -> c.pid() == m.pid());
                onOne.add(new Balancer.Candidate(m.pid(), MIB, true, now));
            }
        }
        assertEquals(1, moves, "3 on 2 vnodes: one move (3-0 to 2-1), then 2 against 1 is no gain");
        assertEquals(2, onOne.size());
        assertEquals(1, onZero.size());
    }

    @Test
    void shouldLeaveAProcessThatMovedHereStayPutForAWhile() {
        Balancer b = new Balancer(1);
        Balancer.Candidate arrived = new Balancer.Candidate(7, MIB, true, T0);
        Balancer.Candidate arrivedToo = new Balancer.Candidate(8, MIB, true, T0);
        List<Balancer.Node> loaded = List.of(node(0, 0), node(1, 2));
        assertTrue(b.decide(loaded, List.of(arrived, arrivedToo), T0 + Balancer.STAY_NANOS / 2).isEmpty());
        assertEquals(7, b.decide(loaded, List.of(arrived, arrivedToo), T0 + Balancer.STAY_NANOS).orElseThrow().pid());
    }

    @Test
    void shouldNeverMoveWhatItIsNotGiven() {
        // the node gives the balancer only running, migratable, unlocked processes (MosixNode's
        // balancerCandidates); with none of them, a loaded vnode moves nothing
        Balancer b = new Balancer(1);
        assertTrue(b.decide(List.of(node(0, 0), node(1, 5)), List.of(), T0).isEmpty(), "locked ones are not candidates");
    }

    @Test
    void shouldUsherTheLargestProcessToTheVnodeWithTheMostFreeHeap() {
        Balancer b = new Balancer(1);
        Balancer.Node shortOfMemory = new Balancer.Node(1, 3, 1, 50 * MIB, 512 * MIB); // under 20% free
        List<Balancer.Node> view = List.of(new Balancer.Node(0, 3, 1, 100 * MIB, 0), shortOfMemory,
                new Balancer.Node(2, 5, 1, 300 * MIB, 0));
        List<Balancer.Candidate> here = List.of(new Balancer.Candidate(1, 10 * MIB, false, T0),
                new Balancer.Candidate(2, 120 * MIB, false, T0), new Balancer.Candidate(3, 40 * MIB, false, T0));
        Balancer.Move m = b.decide(view, here, T0).orElseThrow();
        assertEquals(new Balancer.Move(2, 2, "memory"), m, "the largest, to the roomiest (even if it is loaded)");
    }

    @Test
    void shouldNotUsherWhereThereIsNoRoomNorWhenMemoryIsFine() {
        Balancer b = new Balancer(1);
        List<Balancer.Candidate> big = List.of(new Balancer.Candidate(2, 200 * MIB, false, T0));
        Balancer.Node shortOfMemory = new Balancer.Node(1, 1, 1, 50 * MIB, 512 * MIB);
        assertTrue(b.decide(List.of(new Balancer.Node(0, 1, 1, 300 * MIB, 0), shortOfMemory), big, T0).isEmpty(),
                "300 MiB free is not room for a 200 MiB process (it needs its size to spare)");
        Balancer.Node fine = new Balancer.Node(1, 1, 1, 200 * MIB, 512 * MIB);
        assertFalse(b.decide(List.of(new Balancer.Node(0, 1, 1, 500 * MIB, 0), fine), big, T0).isPresent(),
                "40% free: no ushering, and 1 against 1 is no load move");
    }

    @Test
    void shouldWeighLoadPerCpu() {
        Balancer b = new Balancer(1);
        // vnode 0 has 2 CPUs and 2 processes (1 per CPU); vnode 1 has 1 CPU and 3: 3 > (2+1)/2 moves
        List<Balancer.Node> view = List.of(new Balancer.Node(0, 2, 2, 400 * MIB, 0), node(1, 3));
        assertEquals(0, b.decide(view, List.of(fresh(1), fresh(2), fresh(3)), T0).orElseThrow().to());
    }

    @Test
    void shouldLetAVnodeTakeNoMoreThanItsShare() {
        assertTrue(Balancer.share(0, 1, 4, 2), "4 processes, 2 CPUs: a share is 2; 0 takes one");
        assertTrue(Balancer.share(1, 1, 4, 2));
        assertFalse(Balancer.share(2, 1, 4, 2), "at its share: it refuses");
        assertTrue(Balancer.share(2, 2, 5, 3), "2 CPUs of 3, 5 processes: ceil(3.33) = 4");
    }

    @Test
    void shouldLeaveAProcessWhoseMoveFailedAloneAWhile() {
        Balancer b = new Balancer(1);
        List<Balancer.Node> view = List.of(node(0, 0), node(1, 2));
        List<Balancer.Candidate> here = List.of(fresh(1), new Balancer.Candidate(2, 2 * MIB, false, T0));
        assertEquals(1, b.decide(view, here, T0).orElseThrow().pid());
        b.failed(1, T0);
        assertEquals(2, b.decide(view, here, T0 + 1).orElseThrow().pid(), "the other one, while the first cools");
    }
}
