package org.smpcluster.nanokernel.dsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;

import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.bridge.BridgeTable;
import org.smpcluster.nanokernel.bridge.Bridges;
import org.smpcluster.nanokernel.device.DeviceTable;
import org.smpcluster.nanokernel.device.Devices;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DspRingDescriptor;
import org.smpcluster.nanokernel.mem.RegionAllocator;

/**
 * Fuzz target of the DSP message decoder: arbitrary and seed-mutated ring images (counters and
 * slots, see {@code src/test/resources/fuzz/dsp-message/README}) fed to {@link Ring#poll}, to
 * the root's {@link DspServer} with its real bridge and device handlers, and to a vnode's
 * {@link DspClient}. Nothing but {@link Ring.MalformedMessage} may come out of a poll, nothing
 * at all out of a drain, no call may hang, the ring always ends consistent and empty, the root
 * writes only well-formed answers, and it serves the next valid request.
 */
@net.jqwik.api.Tag("fuzz")
class DspMessageFuzzTest {

    private static final int VNODE = 3;
    private static final Duration BOUND = Duration.ofSeconds(2);
    private static final long PHYSMEM = ControlArea.SIZE + 64L * ControlArea.PAGE_SIZE;
    private static final List<byte[]> SEEDS = seeds();
    private static final long[] INTERESTING = {0, 1, -1, -5, 14, 15, 16, 240, 241, Integer.MAX_VALUE,
        Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};

    /** Shared: assertTimeoutPreemptively runs each call on a thread of its own. */
    private static final Arena ARENA = Arena.ofShared();
    private static final MemorySegment SEGMENT = ARENA.allocate(PHYSMEM, ControlArea.PAGE_SIZE);
    private static final Portals NO_PORTALS = (vnode, vector) -> { };

    @AfterContainer
    static void free() {
        ARENA.close();
        QUIET.forEach(l -> l.setLevel(null)); // the other tests in this JVM count those lines
    }

    @Property(tries = 1000)
    void pollThrowsOnlyMalformedMessageAndAlwaysEndsEmpty(@ForAll("rings") byte[] input) {
        MemorySegment ring = load(DspRingDescriptor.LENGTH, input);
        Ring r = new Ring(ring, 0);
        assertTimeoutPreemptively(BOUND, () -> {
            for (int polls = 0; ; polls++) {
                assertTrue(polls <= DspRingDescriptor.SLOTS + 1, "poll made no progress after " + polls + " calls");
                try {
                    Message m = r.poll();
                    if (m == null) {
                        break;
                    }
                    assertTrue(m.payload().length <= DspRingDescriptor.MAX_PAYLOAD);
                } catch (Ring.MalformedMessage expected) {
                    // documented: the slot is consumed, or the ring reset
                }
            }
        });
        assertEquals(DspRingDescriptor.tail(ring), DspRingDescriptor.head(ring), "empty and consistent");
        assertTrue(r.hasRoom());
    }

    @Property(tries = 300)
    void rootAnswersWellFormedAndKeepsServing(@ForAll("rings") byte[] input) {
        SEGMENT.fill((byte) 0);
        BridgeTable table = new BridgeTable(SEGMENT, new RegionAllocator(ControlArea.SIZE, PHYSMEM,
                ControlArea.PAGE_SIZE));
        DeviceTable deviceTable = new DeviceTable(SEGMENT);
        deviceTable.add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        deviceTable.assign("0000:00:04.0", VNODE);
        Devices devices = new Devices(Nanokernel.ROOT, SEGMENT, deviceTable, null, NO_PORTALS, Duration.ofMillis(10),
                DspMessageFuzzTest::thread);
        Bridges bridges = Bridges.root(SEGMENT, table, NO_PORTALS, Duration.ofMillis(10), DspMessageFuzzTest::thread);
        try {
            DspServer server = new DspServer(SEGMENT, NO_PORTALS, Map.of(
                    Message.PING, (v, m) -> m.payload(),
                    Message.BRIDGE_OPEN, (v, m) -> Bridges.serveOpen(table, v, m),
                    Message.BRIDGE_CLOSE, (v, m) -> Bridges.serveClose(table, v, m),
                    Message.BRIDGE_FROZEN, bridges::serveFrozen,
                    Message.DEVICE_LIST, devices::serveList,
                    Message.DEVICE_RELEASED, devices::serveAck,
                    Message.DEVICE_ATTACHED, devices::serveAck));
            MemorySegment requestRing = SEGMENT.asSlice(ControlArea.dspRequests(VNODE), DspRingDescriptor.LENGTH);
            copy(input, requestRing);
            Ring requests = new Ring(SEGMENT, ControlArea.dspRequests(VNODE));
            Ring responses = new Ring(SEGMENT, ControlArea.dspResponses(VNODE));

            assertTimeoutPreemptively(BOUND, server::drain);
            takeAnswers(responses, -1);

            // Still serving: a valid request is answered, whatever came before it.
            assertTrue(requests.offer(new Message(Message.PING, 0, PROBE_ID, new byte[] {7})), "the ring has room again");
            boolean answered = false;
            for (int round = 0; round < 4 && !answered; round++) {
                assertTimeoutPreemptively(BOUND, server::drain);
                answered = takeAnswers(responses, PROBE_ID);
            }
            assertTrue(answered, "the valid PING was answered");
            assertTrue(requests.isEmpty());
        } finally {
            devices.close();
            bridges.close();
        }
    }

    @Property(tries = 300)
    void clientDrainNeverThrowsAndEndsEmpty(@ForAll("rings") byte[] input) {
        SEGMENT.fill((byte) 0);
        DspClient client = new DspClient(SEGMENT, VNODE, NO_PORTALS, Duration.ofMillis(10));
        MemorySegment responseRing = SEGMENT.asSlice(ControlArea.dspResponses(VNODE), DspRingDescriptor.LENGTH);
        copy(input, responseRing);

        assertTimeoutPreemptively(BOUND, client::drain);

        assertEquals(DspRingDescriptor.tail(responseRing), DspRingDescriptor.head(responseRing));
    }

    /** The request id of the valid PING each try ends with: unlikely in garbage, and told apart by type anyway. */
    private static final long PROBE_ID = 0x7e57_ab1e_0000_0077L;

    /** Polls every answer; each must be a well-formed response. Returns whether one had request id {@code id}. */
    private static boolean takeAnswers(Ring responses, long id) {
        boolean seen = false;
        for (int i = 0; i <= DspRingDescriptor.SLOTS; i++) {
            Message m = responses.poll(); // the root writes only what polls cleanly: no exception here
            if (m == null) {
                return seen;
            }
            assertTrue(m.isResponse(), "the root answers with responses: " + Message.typeName(m.type()));
            // Garbage may carry any request id, ours too (a fuzzed BRIDGE_CLOSE with id 77 did):
            // the answer to the probe is the PING answer with its id.
            if (m.requestId() == id && m.type() == (Message.PING | Message.RESPONSE)) {
                assertEquals(Message.OK, m.status(), m.text());
                seen = true;
            }
        }
        throw new AssertionError("more answers than the ring holds");
    }

    @Provide
    Arbitrary<byte[]> rings() {
        Arbitrary<byte[]> seed = Arbitraries.of(SEEDS);
        Arbitrary<byte[]> fresh = Arbitraries.bytes().array(byte[].class).ofMaxSize(16 + 3 * DspRingDescriptor.SLOT_LENGTH);
        Arbitrary<List<Mutation>> mutations = Combinators.combine(Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 16 + DspRingDescriptor.SLOTS * DspRingDescriptor.SLOT_LENGTH),
                Arbitraries.integers()).as(Mutation::new).list().ofMinSize(1).ofMaxSize(8);
        Arbitrary<byte[]> mutated = Combinators.combine(seed, seed, mutations).as(DspMessageFuzzTest::mutate);
        return Arbitraries.frequencyOf(Tuple.of(1, seed), Tuple.of(2, fresh), Tuple.of(6, mutated));
    }

    /** One change to a seed: flip a bit, insert or delete a byte, splice another seed in, or set an interesting long. */
    record Mutation(int kind, int position, int value) {
    }

    static byte[] mutate(byte[] seed, byte[] other, List<Mutation> mutations) {
        List<Byte> bytes = new ArrayList<>();
        for (byte b : seed) {
            bytes.add(b);
        }
        for (Mutation m : mutations) {
            int n = bytes.size();
            switch (m.kind()) {
                case 0 -> {
                    if (n > 0) {
                        int at = m.position() % n;
                        bytes.set(at, (byte) (bytes.get(at) ^ (1 << (m.value() & 7))));
                    }
                }
                case 1 -> bytes.add(m.position() % (n + 1), (byte) m.value());
                case 2 -> {
                    if (n > 0) {
                        bytes.remove(m.position() % n);
                    }
                }
                case 3 -> {
                    int at = n == 0 ? 0 : m.position() % n;
                    List<Byte> spliced = new ArrayList<>(bytes.subList(0, at));
                    for (int i = Math.min(at, other.length); i < other.length; i++) {
                        spliced.add(other[i]);
                    }
                    bytes = spliced;
                }
                default -> {
                    long v = INTERESTING[Math.floorMod(m.value(), INTERESTING.length)];
                    int at = n < 8 ? 0 : (m.position() % (n - 7)) & ~7;
                    while (bytes.size() < at + 8) {
                        bytes.add((byte) 0);
                    }
                    for (int i = 0; i < 8; i++) {
                        bytes.set(at + i, (byte) (v >>> (8 * i)));
                    }
                }
            }
        }
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i);
        }
        return out;
    }

    /** A fresh shared ring of {@code length} bytes holding {@code input}. */
    private static MemorySegment load(int length, byte[] input) {
        MemorySegment ring = SEGMENT.asSlice(0, length);
        copy(input, ring);
        return ring;
    }

    /** Input format: head and tail (little-endian longs), then the slots; zero-padded, cut to the ring. */
    private static void copy(byte[] input, MemorySegment ring) {
        ring.fill((byte) 0);
        ByteBuffer in = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        if (input.length >= 16) {
            DspRingDescriptor.head(ring, in.getLong());
            DspRingDescriptor.tail(ring, in.getLong());
            int slots = Math.min(input.length - 16, DspRingDescriptor.SLOTS * DspRingDescriptor.SLOT_LENGTH);
            MemorySegment.copy(input, 16, ring, ValueLayout.JAVA_BYTE, DspRingDescriptor.SLOTS_OFFSET, slots);
        } else if (input.length >= 8) {
            DspRingDescriptor.head(ring, in.getLong());
        }
    }

    private static Thread thread(String name, Runnable body) {
        return Thread.ofPlatform().daemon().name(name).unstarted(body);
    }

    private static List<byte[]> seeds() {
        try {
            Path dir = Path.of(DspMessageFuzzTest.class.getResource("/fuzz/dsp-message").toURI());
            try (Stream<Path> files = Files.list(dir)) {
                List<byte[]> seeds = new ArrayList<>();
                for (Path f : files.filter(p -> p.toString().endsWith(".bin")).sorted().toList()) {
                    seeds.add(Files.readAllBytes(f));
                }
                if (seeds.isEmpty()) {
                    throw new IllegalStateException("no seeds in " + dir);
                }
                return seeds;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Held: JUL keeps loggers weakly, and a collected one would log again. */
    private static final List<java.util.logging.Logger> QUIET = Stream.of(DspServer.class, DspClient.class)
            .map(c -> java.util.logging.Logger.getLogger(c.getName())).toList();

    static {
        // Thousands of malformed messages are the point here; their (rate-limited) reports are not.
        QUIET.forEach(l -> l.setLevel(java.util.logging.Level.OFF));
    }
}
