package org.smpcluster.vnet.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.vnet.link.WireLayout.Counter;

/** The wire in one process: filters, the ring, NAPI interrupts, collisions, jabber. */
class WireTest {

    static final MacAddress A = MacAddress.of(0, 1);
    static final MacAddress B = MacAddress.of(0, 2);
    static final MacAddress C = MacAddress.of(0, 3);
    static final MacAddress GROUP = MacAddress.parse("01:00:5e:00:00:fb");

    final Arena arena = Arena.ofShared();
    final List<String> interrupts = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        arena.close();
    }

    Wire wire(WireParams params) {
        MemorySegment segment = arena.allocate(WireLayout.size(params.slots()), 4096);
        return Wire.attach("test", segment, params, 0x0A000000, 24);
    }

    Station station(Wire wire, MacAddress mac, int vnode) {
        return wire.station(vnode, mac, 16, (v, vector) -> interrupts.add(v + "/" + vector));
    }

    static byte[] frame(MacAddress to, MacAddress from, String text) {
        return FrameCodec.encode(new EthernetFrame(to, from, 0x88B5, text.getBytes()));
    }

    static List<String> drain(Station station) {
        List<String> got = new ArrayList<>();
        station.poll((f, bytes) -> got.add(new String(f.payload()).strip().replace("\0", "")), 1000);
        return got;
    }

    @Test
    void shouldDeliverUnicastBroadcastAndJoinedMulticastOnly() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        Station c = station(wire, C, 3);
        c.join(GROUP);
        for (byte[] f : List.of(frame(B, A, "to b"), frame(C, A, "to c"), frame(MacAddress.BROADCAST, A, "all"),
                frame(GROUP, A, "group"))) {
            assertEquals(Station.Outcome.SENT, a.transmit(f, f.length));
        }
        assertEquals(List.of("to b", "all"), drain(b));
        assertEquals(List.of("to c", "all", "group"), drain(c));
        assertEquals(List.of(), drain(a), "a station does not receive its own frames");
        assertEquals(4, a.counter(Counter.TX_PACKETS));
        assertEquals(2, b.counter(Counter.RX_PACKETS));
        assertEquals(4, wire.head());
    }

    @Test
    void shouldSeeEverythingInPromiscuousMode() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        station(wire, C, 3);
        b.promiscuous(true);
        byte[] f = frame(C, A, "for c");
        a.transmit(f, f.length);
        assertEquals(List.of("for c"), drain(b));
        b.promiscuous(false);
        a.transmit(f, f.length);
        assertEquals(List.of(), drain(b));
    }

    @Test
    void shouldDropAndCountBadFcsRuntsAndOversizeFrames() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        byte[] bad = frame(B, A, "corrupt");
        bad[20] ^= 1;
        a.transmit(bad, bad.length);
        byte[] runt = frame(B, A, "short");
        a.transmit(runt, 40);
        byte[] oversize = new byte[1600];
        System.arraycopy(B.bytes(), 0, oversize, 0, 6);
        a.transmit(oversize, oversize.length);
        byte[] good = frame(B, A, "fine");
        a.transmit(good, good.length);
        assertEquals(List.of("fine"), drain(b));
        assertEquals(3, b.counter(Counter.RX_ERRORS));
        assertEquals(1, b.counter(Counter.RX_BAD_FCS));
        assertEquals(1, b.counter(Counter.RX_RUNTS));
        assertEquals(1, b.counter(Counter.RX_OVERSIZE));
        assertEquals(1, b.counter(Counter.RX_PACKETS));
    }

    @Test
    void shouldCountOverrunsOfASlowReceiverWithoutBlockingTheWire() {
        Wire wire = wire(WireParams.DEFAULT.withSlots(8));
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        for (int i = 0; i < 20; i++) {
            byte[] f = frame(B, A, "n" + i);
            assertEquals(Station.Outcome.SENT, a.transmit(f, f.length));
        }
        List<String> got = drain(b);
        assertEquals(12, b.counter(Counter.RX_OVERRUNS));
        assertEquals(List.of("n12", "n13", "n14", "n15", "n16", "n17", "n18", "n19"), got);
    }

    @Test
    void shouldInterruptAnArmedReceiverOnceUntilItRearms() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 7);
        byte[] f = frame(B, A, "x");
        a.transmit(f, f.length);
        a.transmit(f, f.length);
        assertEquals(List.of("7/16"), interrupts, "armed at attach, then disarmed by the first interrupt");
        assertTrue(b.arm(), "frames are waiting");
        b.disarm();
        assertEquals(2, drain(b).size());
        assertFalse(b.arm());
        a.transmit(f, f.length);
        assertEquals(List.of("7/16", "7/16"), interrupts);
    }

    @Test
    void shouldContinueWhereTheOldDriverStoppedWhenTheSameProcessAttachesAgain() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        b.join(GROUP);
        byte[] f = frame(B, A, "one");
        a.transmit(f, f.length);
        assertEquals(1, drain(b).size());
        byte[] g = frame(GROUP, A, "two");
        a.transmit(g, g.length);
        Station again = station(wire, B, 2); // a new driver build: same MAC, same process
        assertEquals(List.of("two"), drain(again));
        assertEquals(2, again.counter(Counter.RX_PACKETS));
        assertEquals(List.of(GROUP), again.groups());
        assertEquals(2, wire.stations().size());
    }

    @Test
    void shouldCollideWithAStationInItsVulnerableWindowAndBackOff() {
        Wire wire = wire(WireParams.DEFAULT.withSlotTime(50_000));
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        warmUp(b, a);
        // A's transmission has just started (its carrier OPEN): B, ready now, has not heard it.
        // A finds the collision at the end of its window and jams (releases the carrier).
        var ready = new java.util.concurrent.CountDownLatch(1);
        long idle = wire.carrier();
        Thread holder = Thread.ofPlatform().start(() -> {
            ready.countDown();
            while (wire.carrier() == idle) {
                Thread.onSpinWait(); // until the test has opened A's window (or all is over already)
            }
            long c;
            while (WireLayout.state(c = wire.carrier()) != WireLayout.COLLIDED && WireLayout.state(c) != WireLayout.IDLE) {
                Thread.onSpinWait();
            }
            WireLayout.casLong(wire.segment(), WireLayout.OFF_CARRIER, c,
                    WireLayout.carrier(WireLayout.IDLE, 0, System.nanoTime()));
        });
        try {
            ready.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        WireLayout.setLong(wire.segment(), WireLayout.OFF_CARRIER,
                WireLayout.carrier(WireLayout.OPEN, a.index(), System.nanoTime()));
        b.backoff(new Backoff(fixed(0)));
        byte[] f = frame(A, B, "after the collision");
        assertEquals(Station.Outcome.SENT, b.transmit(f, f.length));
        assertEquals(1, b.counter(Counter.COLLISIONS), () -> b.view().toString());
        assertEquals(List.of("after the collision"), drain(a));
        assertDoesNotHang(holder);
    }

    @Test
    void shouldSendABurstInOrderAndLetGoOfTheCarrierAtTheBurstLimit() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        // Twelve full frames: more than one burst's worth (8192 bytes is five 1518-byte frames
        // begun, the fifth ending past the limit), so the carrier is let go and taken again.
        int count = 12;
        byte[][] frames = new byte[count][];
        int[] lengths = new int[count];
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String text = "frame " + i + " " + "x".repeat(1400);
            frames[i] = frame(B, A, text);
            lengths[i] = frames[i].length;
            expected.add(text);
        }
        assertEquals(count, a.transmit(frames, lengths, count));
        assertEquals(WireLayout.IDLE, WireLayout.state(wire.carrier()), "the carrier is free after the bursts");
        assertEquals(count, a.counter(Counter.TX_PACKETS));
        assertEquals(0, a.counter(Counter.COLLISIONS));
        assertEquals(expected, drain(b));
        assertEquals(0, b.counter(Counter.RX_ERRORS));
        // A single frame afterwards contends as ever.
        byte[] f = frame(A, B, "after the bursts");
        assertEquals(Station.Outcome.SENT, b.transmit(f, f.length));
        assertEquals(List.of("after the bursts"), drain(a));
    }

    @Test
    void shouldGiveUpAfterSixteenAttemptsAgainstAStationThatNeverYields() {
        Wire wire = wire(WireParams.DEFAULT.withSlotTime(2_000));
        station(wire, A, 1);
        Station b = station(wire, B, 2);
        Station babbler = station(wire, C, 3);
        warmUp(b, babbler);
        long sentBefore = wire.head();
        // A babbling station that starts again at once after every collision: it is in its
        // vulnerable window whenever B looks (played in B's thread, at each backoff, so that
        // the test does not depend on how threads are scheduled).
        Runnable babble = () -> WireLayout.setLong(wire.segment(), WireLayout.OFF_CARRIER,
                WireLayout.carrier(WireLayout.OPEN, babbler.index(), System.nanoTime()));
        b.backoff(new Backoff(new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public int nextInt(int bound) {
                babble.run();
                return 0;
            }
        }));
        babble.run();
        byte[] f = frame(A, B, "never");
        assertEquals(Station.Outcome.EXCESSIVE_COLLISIONS, b.transmit(f, f.length), () -> b.view().toString());
        assertEquals(16, b.counter(Counter.COLLISIONS));
        assertEquals(1, b.counter(Counter.EXCESSIVE_COLLISIONS));
        assertEquals(sentBefore, wire.head(), "nothing reached the wire");
    }

    /** The pid of a process that has ended (and been reaped). */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void shouldCutTheCarrierOfAStationThatDiedWhileSending() throws Exception {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        warmUp(b, a);
        // A's driver ran in a process that has ended, holding the carrier.
        WireLayout.setLong(wire.segment(), WireLayout.stationBase(a.index()) + WireLayout.ST_PID, deadPid());
        long start = System.nanoTime();
        WireLayout.setLong(wire.segment(), WireLayout.OFF_CARRIER,
                WireLayout.carrier(WireLayout.SENDING, a.index(), start));
        byte[] f = frame(A, B, "through");
        assertEquals(Station.Outcome.SENT, b.transmit(f, f.length));
        long took = System.nanoTime() - start;
        assertEquals(1, b.counter(Counter.JABBER_CUTS));
        assertEquals(1, b.counter(Counter.DEFERRALS));
        assertTrue(took < WireParams.MAX_JABBER.toNanos() * 5, "the wire was free again in " + took / 1_000_000 + " ms");
        assertTrue(took >= WireParams.DEFAULT.jabberNanos(), "not before the jabber timeout");
        assertEquals(List.of("through"), drain(a));
    }

    @Test
    void shouldNotCutALiveHolderStalledPastTheJabberTimeoutAndDeliverItsFrame() throws Exception {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        Station c = station(wire, C, 3);
        warmUp(a, c);
        warmUp(b, c);
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        long[] bTook = new long[1];
        Thread other = Thread.ofPlatform().unstarted(() -> {
            byte[] f = frame(C, B, "after");
            long t = System.nanoTime();
            b.transmit(f, f.length);
            bTook[0] = System.nanoTime() - t;
        });
        byte[] mine = frame(C, A, "stalled");
        // A holds the carrier (SENDING, its frame in the ring) and stalls 20 ms, four jabber
        // timeouts, as a thread preempted there; B wants the wire meanwhile.
        Station.Outcome outcome = a.transmitStalling(mine, mine.length, () -> {
            other.start();
            holding.countDown();
            long until = System.nanoTime() + 20_000_000;
            while (System.nanoTime() < until) {
                java.util.concurrent.locks.LockSupport.parkNanos(until - System.nanoTime());
            }
        });
        assertDoesNotHang(other);
        assertEquals(Station.Outcome.SENT, outcome);
        assertEquals(0, b.counter(Counter.JABBER_CUTS), "a live holder is not cut");
        assertEquals(0, a.counter(Counter.TX_CARRIER_LOST));
        assertTrue(bTook[0] >= 15_000_000, "B waited for A's frame: " + bTook[0] / 1_000 + " us");
        assertEquals(List.of("stalled", "after"), drain(c), "A's frame arrived, then B's");
        assertEquals(0, c.counter(Counter.RX_DAMAGED));
    }

    @Test
    void shouldCutACarrierTakenBeforeItsStationWasAttachedAgain() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        warmUp(b, a);
        long taken = System.nanoTime();
        WireLayout.setLong(wire.segment(), WireLayout.OFF_CARRIER,
                WireLayout.carrier(WireLayout.SENDING, a.index(), taken));
        // A's vnode restarted since and attached its MAC again: the word is the dead incarnation's.
        WireLayout.setLong(wire.segment(), WireLayout.stationBase(a.index()) + WireLayout.ST_ATTACHED, taken + 1_000);
        byte[] f = frame(A, B, "through");
        assertEquals(Station.Outcome.SENT, b.transmit(f, f.length));
        assertEquals(1, b.counter(Counter.JABBER_CUTS));
        assertTrue(System.nanoTime() - taken < WireParams.MAX_JABBER.toNanos() * 5);
    }

    @Test
    void shouldCutALiveHolderThatHeldTheCarrierForASecond() {
        Wire wire = wire(WireParams.DEFAULT);
        Station a = station(wire, A, 1);
        Station b = station(wire, B, 2);
        warmUp(b, a);
        // A (alive: this process) took the carrier over a second ago and never let go: it is hung.
        WireLayout.setLong(wire.segment(), WireLayout.OFF_CARRIER,
                WireLayout.carrier(WireLayout.SENDING, a.index(), System.nanoTime() - Station.HUNG_NANOS - 1_000_000));
        long start = System.nanoTime();
        byte[] f = frame(A, B, "through");
        assertEquals(Station.Outcome.SENT, b.transmit(f, f.length));
        assertEquals(1, b.counter(Counter.JABBER_CUTS));
        assertTrue(System.nanoTime() - start < WireParams.MAX_JABBER.toNanos() * 5);
    }

    @Test
    void shouldKeepTheFormattersParametersAndRefuseBadOnes() {
        MemorySegment segment = arena.allocate(WireLayout.size(1024), 4096);
        Wire first = Wire.attach("n", segment, WireParams.DEFAULT.withSlotTime(3_000), 1, 8);
        Wire second = Wire.attach("n", segment, WireParams.DEFAULT, 2, 16);
        assertEquals(3_000, second.params().slotTimeNanos());
        assertEquals(8, second.prefix());
        assertEquals(first.params(), second.params());
        assertThrows(IllegalArgumentException.class, () -> WireParams.DEFAULT.withSlots(1000));
        assertThrows(IllegalArgumentException.class,
                () -> new WireParams(1024, 1000, 100, 20_000_000, 0), "jabber beyond 10 ms");
        MemorySegment small = arena.allocate(8192, 4096);
        assertThrows(IllegalStateException.class, () -> Wire.attach("m", small, WireParams.DEFAULT, 0, 0));
    }

    @Test
    void shouldRefuseAStationBeyondTheLimitAndNonGroupAddresses() {
        Wire wire = wire(WireParams.DEFAULT);
        for (int i = 0; i < WireLayout.STATIONS; i++) {
            station(wire, MacAddress.of(0, 100 + i), i);
        }
        var e = assertThrows(IllegalStateException.class, () -> station(wire, A, 1));
        assertTrue(e.getMessage().contains("all 16 stations"), e.getMessage());
        Station s = wire.station(1, MacAddress.of(0, 100), 16, (v, x) -> { });
        assertThrows(IllegalArgumentException.class, () -> s.join(B));
        assertThrows(IllegalArgumentException.class, () -> s.join(MacAddress.BROADCAST));
    }

    /**
     * Sends a few frames and drains them, so that class loading and the first compilations do
     * not happen inside a test's timed window (the jabber timeout is 5 ms).
     */
    static void warmUp(Station from, Station to) {
        for (int i = 0; i < 50; i++) {
            byte[] f = frame(to.mac(), from.mac(), "warm-up");
            from.transmit(f, f.length);
        }
        drain(to);
        for (Counter c : Counter.values()) {
            WireLayout.setLong(from.wire().segment(), WireLayout.counter(from.index(), c), 0);
            WireLayout.setLong(to.wire().segment(), WireLayout.counter(to.index(), c), 0);
        }
    }

    static RandomGenerator fixed(int value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return value;
            }

            @Override
            public int nextInt(int bound) {
                return value;
            }
        };
    }

    static void assertDoesNotHang(Thread t) {
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertFalse(t.isAlive(), t + " still running");
    }
}
