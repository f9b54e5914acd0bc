package org.smpcluster.vnet.nic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.api.vnet.TransportListener;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.vnet.link.Station;
import org.smpcluster.vnet.link.Wire;
import org.smpcluster.vnet.link.WireParams;

/**
 * Fuzz target of the receive path: a frame as another station puts it on the wire, taken by
 * the root's NIC and parsed in place through Ethernet (FCS), ARP, IPv4, ICMP, UDP and the
 * transport's segments and records, on a real wire bridge. Inputs are the corpus in
 * {@code src/test/resources/fuzz/frames} (valid frames of each protocol and nasty ones, see
 * {@code make_seeds.py}) mutated (bit flips, bytes set, inserted, deleted, duplicated,
 * truncated, spliced with another seed), frames built from random fields, and random bytes;
 * each then has its IPv4, ICMP/UDP checksums and FCS repaired or not, so that the fuzzer gets
 * past the checks into the parsers behind them. A transport segment naming connection
 * {@code 0xC0FFEE00} is sent to the connection the harness keeps open to the root's listener.
 *
 * <p>Invariants: nothing throws (on the polling thread, in a frame listener, on the transport's
 * timer thread), every frame is taken off the wire within 10 s, and the stack
 * keeps working: every 64 inputs it still answers a ping and accepts a new connection.
 */
@net.jqwik.api.Tag("fuzz")
class FrameParserFuzzTest {

    static final Path SHM = Path.of("/dev/shm");
    static final int LISTEN_PORT = 7000;
    static final int UDP_PORT = 9000;
    static final int CONNECTION_PLACEHOLDER = 0xC0FFEE00;
    static final int PEER_ID = 0x0F0221D0;
    static final int FUZZER_VNODE = 6;
    static final int FUZZER_IP = 0x0A000007;
    static final int ROOT_IP = 0x0A000001;
    static final int MAX_FRAME = 2016; // a ring slot's bytes

    static String cluster;
    static Kernel root;
    static VnetCore core;
    static NicImpl nic;
    static Station fuzzer;
    static TransportListener listener;
    static UdpSocket udp;
    static final List<Throwable> failures = new CopyOnWriteArrayList<>();
    static final List<byte[]> seeds = new ArrayList<>();
    static Handler handler;
    static int sourcePort = 20_000;
    static int peer;
    static int handshakes;
    static int connection;
    static int inputs;
    static int echoSequence;
    static final List<org.smpcluster.api.vnet.Connection> accepted = new ArrayList<>();

    @BeforeContainer
    static void boot() throws Exception {
        cluster = "fuzz-frames-" + ProcessHandle.current().pid();
        root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20));
        // No receive thread: the fuzzer polls on its own thread, so that what throws, throws there.
        VnetCore.Threads threads = (name, body) -> Thread.ofPlatform().daemon().name(name)
                .uncaughtExceptionHandler((t, e) -> failures.add(e))
                .unstarted(name.endsWith("-vnet-rx") ? () -> { } : body);
        core = new VnetCore(0, root.bridges(), (v, vector) -> { }, WireParams.DEFAULT, 0,
                org.smpcluster.vnet.link.Liveness.PROCESS, threads);
        nic = core.attach("eth0", "10.0.0.0/24");
        Wire wire = core.wire("eth0").orElseThrow();
        fuzzer = wire.station(FUZZER_VNODE, VnetCore.mac("eth0", FUZZER_VNODE), 16, (v, x) -> { });
        listener = core.transport().listen(LISTEN_PORT);
        udp = core.openUdp(UDP_PORT);
        handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getThrown() != null) {
                    failures.add(new AssertionError("logged: " + r.getMessage(), r.getThrown()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger.getLogger("org.smpcluster.vnet").addHandler(handler);
        seeds.addAll(corpus("frames"));
        handshake();
    }

    @AfterContainer
    static void shutdown() throws IOException {
        Logger.getLogger("org.smpcluster.vnet").removeHandler(handler);
        if (core != null) {
            long segments = accepted.stream().mapToLong(c -> c.stats().segmentsReceived()).sum();
            System.out.println("FrameParserFuzzTest: " + inputs + " frames; the NIC took " + nic.stats().rxPackets()
                    + " and dropped " + nic.stats().rxErrors() + " (FCS, runts, oversize); the IP stack dropped "
                    + core.ip().badPackets() + " as malformed; " + accepted.size() + " connections accepted took "
                    + segments + " segments");
            assertTrue(segments > inputs / 30, "the fuzzer reaches the transport's segment parser: " + segments);
        }
        if (core != null) {
            core.close();
        }
        if (root != null) {
            root.close();
        }
        Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
    }

    /** The seed files of a corpus directory, sorted by name. */
    static List<byte[]> corpus(String name) throws IOException, URISyntaxException {
        Path dir = Path.of(FrameParserFuzzTest.class.getResource("/fuzz/" + name).toURI());
        List<byte[]> list = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".bin")).sorted().toList()) {
                list.add(Files.readAllBytes(p));
            }
        }
        assertTrue(list.size() >= 10, "the corpus of " + name + " has " + list.size() + " seeds");
        return list;
    }

    @Example
    void shouldParseEverySeedOfTheCorpusAsItIs() throws InterruptedException {
        for (byte[] seed : seeds) {
            receive(repair(forListener(seed.clone()), false, false, false));
        }
    }

    @Property(tries = 2000, generation = GenerationMode.RANDOMIZED)
    void shouldParseAnyFrameWithoutThrowingOrHanging(@ForAll("frames") byte[] frame, @ForAll("repairs") int repairs)
            throws InterruptedException {
        receive(repair(forListener(frame), (repairs & 1) != 0, (repairs & 2) != 0, (repairs & 4) != 0));
    }

    /**
     * A segment for the listener goes to a fresh connection (the previous input may have reset
     * it, or replaced it by a SYN from its port), so that it reaches the connection's parser.
     */
    static byte[] forListener(byte[] frame) throws InterruptedException {
        if (frame.length >= 38 && ((frame[36] & 0xFF) << 8 | frame[37] & 0xFF) == LISTEN_PORT) {
            handshake();
        }
        return frame;
    }

    /** Puts {@code frame} on the wire from the fuzzing station, lets the root's NIC take it, checks the invariants. */
    static void receive(byte[] frame) throws InterruptedException {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            fuzzer.transmit(frame, Math.min(frame.length, MAX_FRAME));
            while (nic.station().pending()) {
                core.pollFromApplication();
            }
            drainFuzzer(null);
        }, () -> "a frame hung the receive path (or was never taken off the wire): " + hex(frame));
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("a frame broke the receive path: " + hex(frame), failures.get(0));
            failures.clear();
            throw e;
        }
        if (++inputs % 64 == 0) {
            assertStillWorks();
        }
    }

    /** The stack still answers a ping, and its listener a new connection. */
    static void assertStillWorks() throws InterruptedException {
        int seq = ++echoSequence & 0xFFFF;
        byte[] echo = new byte[8 + 56];
        ByteBuffer.wrap(echo).put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) 0x4242)
                .putShort((short) seq);
        byte[] request = ipv4(1, echo);
        int[] replies = new int[1];
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            fuzzer.transmit(request, request.length);
            while (nic.station().pending()) {
                core.pollFromApplication();
            }
            drainFuzzer((f, length) -> {
                if (length > 42 && f[23] == 1 && f[34] == 0 && (f[40] & 0xFF) << 8 == (seq & 0xFF00)
                        && (f[41] & 0xFF) == (seq & 0xFF)) {
                    replies[0]++;
                }
            });
        });
        assertEquals(1, replies[0], "the stack answers a ping after " + inputs + " fuzzed frames");
        handshake();
    }

    /**
     * Opens a new connection to the listener, from one of 64 ports in turn (a SYN with a new
     * peer id replaces the connection that port had); its id replaces the placeholder.
     */
    static void handshake() throws InterruptedException {
        sourcePort = sourcePort >= 20_063 ? 20_000 : sourcePort + 1;
        peer = PEER_ID + ++handshakes;
        byte[] syn = ipv4(17, udp(sourcePort, LISTEN_PORT, segment(1, 0, 0, peer)));
        int[] id = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            fuzzer.transmit(syn, syn.length);
            while (nic.station().pending()) {
                core.pollFromApplication();
            }
            drainFuzzer((f, length) -> {
                // IPv4 (IHL 5) / UDP from the listener's port / SYN_ACK naming our id: its ack is the connection's.
                if (length >= 14 + 20 + 8 + 24 && f[23] == 17 && ((f[34] & 0xFF) << 8 | f[35] & 0xFF) == LISTEN_PORT
                        && f[42] == 2 && ByteBuffer.wrap(f, 46, 4).getInt() == peer) {
                    id[0] = (int) ByteBuffer.wrap(f, 58, 8).getLong();
                }
            });
        });
        assertTrue(id[0] != 0, "the listener answered a SYN with a SYN_ACK (after " + inputs + " fuzzed frames)");
        connection = id[0];
        for (var c = listener.accept(Duration.ZERO); c != null; c = listener.accept(Duration.ZERO)) {
            accepted.add(c); // not read: their windows fill, which is fine
        }
    }

    static void drainFuzzer(Station.RawSink sink) {
        while (fuzzer.pending()) {
            fuzzer.pollInPlace(sink == null ? (f, l) -> { } : sink, 1024);
        }
    }

    // Inputs.

    @Provide
    Arbitrary<byte[]> frames() {
        Arbitrary<byte[]> seed = Arbitraries.of(seeds).map(byte[]::clone);
        Arbitrary<byte[]> mutated = Arbitraries.randomValue(r -> mutate(seeds.get(r.nextInt(seeds.size())).clone(), r));
        Arbitrary<byte[]> built = Arbitraries.randomValue(FrameParserFuzzTest::build);
        Arbitrary<byte[]> mutatedBuilt = Arbitraries.randomValue(r -> mutate(build(r), r));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(MAX_FRAME);
        return Arbitraries.frequencyOf(Tuple.of(1, seed), Tuple.of(8, mutated), Tuple.of(4, built),
                Tuple.of(3, mutatedBuilt), Tuple.of(1, random));
    }

    /** Bit 0: repair the IPv4 header checksum; 1: the ICMP/UDP checksum; 2: the FCS. Mostly all three. */
    @Provide
    Arbitrary<Integer> repairs() {
        return Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.just(7)), Tuple.of(3, Arbitraries.integers().between(0, 7)));
    }

    /** One to eight mutations, as a coverage-guided fuzzer's havoc stage makes them. */
    static byte[] mutate(byte[] b, Random r) {
        int n = 1 + r.nextInt(8);
        for (int i = 0; i < n; i++) {
            int at = b.length == 0 ? 0 : r.nextInt(b.length);
            switch (r.nextInt(9)) {
                case 0 -> {
                    if (b.length > 0) {
                        b[at] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                case 1 -> {
                    if (b.length > 0) {
                        b[at] = (byte) interesting(r);
                    }
                }
                case 2 -> { // a 16- or 32-bit field set to an interesting value
                    int v = interesting(r);
                    for (int k = 0; k < (r.nextBoolean() ? 2 : 4) && at + k < b.length; k++) {
                        b[at + k] = (byte) (v >>> (8 * k));
                    }
                }
                case 3 -> b = insert(b, at, randomBytes(r, 1 + r.nextInt(16)));
                case 4 -> b = delete(b, at, 1 + r.nextInt(16));
                case 5 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length + 1));
                case 6 -> { // duplicate a range
                    int len = Math.min(1 + r.nextInt(32), b.length - at);
                    b = insert(b, at, java.util.Arrays.copyOfRange(b, at, at + Math.max(0, len)));
                }
                case 7 -> { // splice: the head of this with the tail of another seed
                    byte[] other = seeds.get(r.nextInt(seeds.size()));
                    int from = other.length == 0 ? 0 : r.nextInt(other.length);
                    byte[] s = java.util.Arrays.copyOf(b, at);
                    b = insert(s, at, java.util.Arrays.copyOfRange(other, from, other.length));
                }
                default -> { // bytes overwritten with random ones
                    for (int k = 0; k < 1 + r.nextInt(8) && at + k < b.length; k++) {
                        b[at + k] = (byte) r.nextInt();
                    }
                }
            }
        }
        return b.length > MAX_FRAME ? java.util.Arrays.copyOf(b, MAX_FRAME) : b;
    }

    static int interesting(Random r) {
        int[] values = {0, 1, -1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
            5, 8, 20, 24, 28, 46, 60, 64, 1500, 1514, 1518};
        return r.nextInt(4) == 0 ? r.nextInt() : values[r.nextInt(values.length)];
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] out = new byte[b.length + what.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(b, at, out, at + what.length, b.length - at);
        return out;
    }

    static byte[] delete(byte[] b, int at, int n) {
        n = Math.min(n, b.length - at);
        byte[] out = new byte[b.length - n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + n, out, at, b.length - at - n);
        return out;
    }

    /** A frame made of random fields, mostly the kinds the stack parses. */
    static byte[] build(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> { // ARP
                byte[] arp = new byte[28];
                ByteBuffer.wrap(arp).putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4)
                        .putShort((short) (1 + r.nextInt(3))).put(VnetCore.mac("eth0", FUZZER_VNODE).bytes())
                        .putInt(r.nextBoolean() ? FUZZER_IP : r.nextInt()).put(randomBytes(r, 6))
                        .putInt(r.nextBoolean() ? ROOT_IP : r.nextInt());
                yield ethernet(r.nextBoolean() ? MacAddress.BROADCAST : nic.mac(), 0x0806, arp);
            }
            case 1 -> {
                byte[] icmp = randomBytes(r, 8 + r.nextInt(200));
                icmp[0] = (byte) (r.nextBoolean() ? 8 : r.nextBoolean() ? 0 : r.nextInt());
                yield ipv4(1, icmp);
            }
            case 2 -> ipv4(17, udp(r.nextInt(65536), r.nextBoolean() ? UDP_PORT : r.nextInt(65536),
                    randomBytes(r, r.nextInt(1473))));
            case 3 -> ipv4(r.nextInt(256), randomBytes(r, r.nextInt(1481)));
            case 4 -> ethernet(nic.mac(), r.nextInt(65536), randomBytes(r, r.nextInt(1501)));
            default -> { // a transport segment to the open connection (or a stranger), records or not
                int type = r.nextInt(10) < 7 ? 3 + r.nextInt(3) : r.nextInt(8); // mostly DATA, ACK, FIN: what a connection parses
                ByteBuffer body = ByteBuffer.allocate(r.nextInt(1400) + 64);
                int records = r.nextInt(4);
                for (int i = 0; i < records && body.remaining() > 8; i++) {
                    int len = r.nextInt(5) == 0 ? interesting(r) : r.nextInt(Math.max(1, body.remaining() - 4));
                    body.putInt((r.nextBoolean() ? 0x8000_0000 : 0) | (len & 0x7FFF_FFFF));
                    int n = Math.min(Math.max(0, len), body.remaining());
                    body.put(randomBytes(r, r.nextInt(4) == 0 ? r.nextInt(n + 1) : n));
                }
                byte[] data = java.util.Arrays.copyOf(body.array(), body.position());
                byte[] seg = segment(type, r.nextInt(8) == 0 ? r.nextInt() : CONNECTION_PLACEHOLDER,
                        r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(8), r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(8));
                ByteBuffer.wrap(seg, 2, 2).putShort((short) r.nextInt(65536));
                byte[] payload = new byte[seg.length + data.length];
                System.arraycopy(seg, 0, payload, 0, seg.length);
                System.arraycopy(data, 0, payload, seg.length, data.length);
                yield ipv4(17, udp(5555, LISTEN_PORT, payload));
            }
        };
    }

    static byte[] segment(int type, int id, long sequence, long ack) {
        byte[] s = new byte[24];
        ByteBuffer.wrap(s).put((byte) type).put((byte) 0).putShort((short) 512).putInt(id).putLong(sequence).putLong(ack);
        return s;
    }

    static byte[] udp(int sourcePort, int port, byte[] data) {
        byte[] u = new byte[8 + data.length];
        ByteBuffer.wrap(u).putShort((short) sourcePort).putShort((short) port).putShort((short) u.length).putShort((short) 0)
                .put(data);
        return u;
    }

    /** An IPv4 packet from the fuzzing station to the root in a frame (checksums filled in by {@link #repair}). */
    static byte[] ipv4(int protocol, byte[] payload) {
        byte[] p = new byte[20 + payload.length];
        ByteBuffer.wrap(p).put((byte) 0x45).put((byte) 0).putShort((short) p.length).putShort((short) 1)
                .putShort((short) 0x4000).put((byte) 64).put((byte) protocol).putShort((short) 0).putInt(FUZZER_IP)
                .putInt(ROOT_IP).put(payload);
        return repair(ethernet(nic.mac(), 0x0800, p), true, true, true);
    }

    static byte[] ethernet(MacAddress to, int etherType, byte[] payload) {
        byte[] f = new byte[14 + Math.max(46, payload.length) + 4];
        ByteBuffer.wrap(f).put(to.bytes()).put(VnetCore.mac("eth0", FUZZER_VNODE).bytes()).putShort((short) etherType)
                .put(payload);
        return f;
    }

    /**
     * What a sender would have got right, put right as asked: the placeholder connection id and
     * the current source port of the harness's connection, the IPv4 header checksum, the ICMP or
     * UDP checksum, the FCS (over the frame's last four bytes). Reads the headers as they are,
     * however mutated: a field that points outside the frame leaves the rest alone.
     */
    static byte[] repair(byte[] f, boolean ip, boolean l4, boolean fcs) {
        boolean sealed = f.length >= 4 && fcsOf(f) == fcsIn(f);
        boolean substituted = false;
        if (f.length >= 14 + 20 && f[12] == 0x08 && f[13] == 0x00) {
            ByteBuffer b = ByteBuffer.wrap(f);
            int ihl = (f[14] & 0x0F) * 4;
            int total = b.getShort(16) & 0xFFFF;
            int end = Math.min(f.length - 4, 14 + total);
            int l4At = 14 + ihl;
            if (f[23] == 17 && l4At + 8 + 24 <= end && (b.getShort(l4At + 2) & 0xFFFF) == LISTEN_PORT) {
                if (b.getShort(l4At) == 5555) {
                    b.putShort(l4At, (short) sourcePort);
                    substituted = true;
                }
                if (b.getInt(l4At + 8 + 4) == CONNECTION_PLACEHOLDER) {
                    b.putInt(l4At + 8 + 4, connection);
                    substituted = true;
                }
                if (b.getLong(l4At + 8 + 16) == PEER_ID) {
                    b.putLong(l4At + 8 + 16, peer); // a SYN's or RST's peer id: the current one
                    substituted = true;
                }
            }
            if (ip && ihl >= 20 && 14 + ihl <= f.length) {
                b.putShort(24, (short) 0);
                b.putShort(24, (short) checksum(f, 14, ihl, 0));
            }
            if (l4 && l4At < end && f[23] == 1 && l4At + 4 <= end) {
                b.putShort(l4At + 2, (short) 0);
                b.putShort(l4At + 2, (short) checksum(f, l4At, end - l4At, 0));
            } else if ((l4 || substituted) && f[23] == 17 && l4At + 8 <= end) { // as its sender would have
                int length = b.getShort(l4At + 4) & 0xFFFF;
                if (length >= 8 && l4At + length <= end && b.getShort(l4At + 6) != 0) {
                    b.putShort(l4At + 6, (short) 0);
                    int source = b.getInt(26);
                    int destination = b.getInt(30);
                    long pseudo = (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + 17
                            + length;
                    int sum = checksum(f, l4At, length, pseudo);
                    b.putShort(l4At + 6, (short) (sum == 0 ? 0xFFFF : sum));
                }
            }
        }
        if ((fcs || substituted && sealed) && f.length >= 4) {
            int v = fcsOf(f);
            f[f.length - 4] = (byte) v;
            f[f.length - 3] = (byte) (v >>> 8);
            f[f.length - 2] = (byte) (v >>> 16);
            f[f.length - 1] = (byte) (v >>> 24);
        }
        return f;
    }

    static int fcsOf(byte[] f) {
        CRC32 crc = new CRC32();
        crc.update(f, 0, f.length - 4);
        return (int) crc.getValue();
    }

    static int fcsIn(byte[] f) {
        int at = f.length - 4;
        return (f[at] & 0xFF) | (f[at + 1] & 0xFF) << 8 | (f[at + 2] & 0xFF) << 16 | (f[at + 3] & 0xFF) << 24;
    }

    /** RFC 1071, the plain way (the stack's own is the optimized one under test). */
    static int checksum(byte[] data, int offset, int length, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += (data[offset + i] & 0xFF) << 8 | data[offset + i + 1] & 0xFF;
        }
        if ((length & 1) != 0) {
            sum += (data[offset + length - 1] & 0xFF) << 8;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) ~sum & 0xFFFF;
    }

    static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b, 0, Math.min(b.length, 128)) + (b.length > 128 ? "... (" + b.length
                + " bytes)" : "");
    }
}
