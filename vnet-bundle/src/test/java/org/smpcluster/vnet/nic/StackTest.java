package org.smpcluster.vnet.nic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.Datagram;
import org.smpcluster.api.vnet.TransportListener;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.vnet.link.WireParams;

/**
 * ARP, IPv4, ICMP, UDP and the transport between two vnodes' drivers in one JVM, on a real
 * wire bridge; each driver's interrupts go straight to the other (no processes here: see
 * WireMultiProcessTest and TransportMultiProcessTest for those).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StackTest {

    static final Path SHM = Path.of("/dev/shm");
    String cluster;
    Kernel root;
    final Map<Integer, VnetCore> cores = new ConcurrentHashMap<>();
    VnetCore one;
    VnetCore two;
    /** Ring slots of the test wire: small for the retransmission test, so that frames are lost soon. */
    int ring;

    @BeforeEach
    void boot(TestInfo test) {
        cluster = "stack-" + ProcessHandle.current().pid() + "-" + Math.abs(test.getDisplayName().hashCode());
        ring = test.getTestMethod().orElseThrow().getName().contains("LostFrames") ? 64 : 1024;
        root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20));
        one = core(1);
        two = core(2);
        one.attach("eth0", "10.0.0.0/24");
        two.attach("eth0", "10.0.0.0/24");
    }

    VnetCore core(int vnode) {
        VnetCore c = new VnetCore(vnode, root.bridges(), (v, vector) -> {
            VnetCore target = cores.get(v);
            if (target != null) {
                target.interrupt();
            }
        }, WireParams.DEFAULT.withSlots(ring), 20_000);
        cores.put(vnode, c);
        return c;
    }

    @AfterEach
    void close() throws Exception {
        cores.values().forEach(VnetCore::close);
        root.close();
        Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
    }

    static Inet4Address ip(String text) throws Exception {
        return (Inet4Address) Inet4Address.getByName(text);
    }

    @Test
    void shouldAnswerPingsAndLearnAddressesByArp() throws Exception {
        Duration rtt = one.ping(ip("10.0.0.3"), Duration.ofSeconds(2));
        assertTrue(rtt.toNanos() > 0);
        assertEquals(two.nicImpls().get(0).mac(), one.ip().arpCache().get(0x0A000003));
        assertEquals(one.nicImpls().get(0).mac(), two.ip().arpCache().get(0x0A000002), "learned from the request");
        var e = assertThrows(java.io.IOException.class, () -> one.ping(ip("10.0.0.9"), Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("does not answer ARP"), e.getMessage());
        assertThrows(NoRouteToHostException.class, () -> one.ping(ip("192.168.1.1"), Duration.ofSeconds(1)));
        assertEquals(0, one.ip().badPackets());
    }

    @Test
    void shouldCarryUdpDatagramsWithChecksums() throws Exception {
        try (UdpSocket server = two.openUdp(9000); UdpSocket client = one.openUdp(0)) {
            byte[] big = new byte[UdpSocket.MAX_PAYLOAD];
            big[0] = 7;
            big[big.length - 1] = 9;
            client.send(ip("10.0.0.3"), 9000, "hello".getBytes());
            client.send(ip("10.0.0.3"), 9000, big);
            Datagram d = server.receive(Duration.ofSeconds(2));
            assertNotNull(d);
            assertEquals("hello", new String(d.payload()));
            assertEquals(ip("10.0.0.2"), d.source());
            assertEquals(client.port(), d.sourcePort());
            assertArrayEquals(big, server.receive(Duration.ofSeconds(2)).payload());
            assertThrows(java.io.IOException.class, () -> client.send(ip("10.0.0.3"), 9000, new byte[1473]));
            assertThrows(IllegalArgumentException.class, () -> two.openUdp(9000), "port taken");
            assertNull(server.receive(Duration.ofMillis(50)));
        }
        assertEquals(0, two.ip().badPackets());
    }

    @Test
    void shouldDeliverMessagesInOrderWholeAndOnceThenEndOfStream() throws Exception {
        TransportListener listener = two.transport().listen(7000);
        Connection client = one.transport().connect(ip("10.0.0.3"), 7000, Duration.ofSeconds(5));
        Connection server = listener.accept(Duration.ofSeconds(5));
        assertNotNull(server);
        int n = 20_000;
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    client.send(ByteBuffer.allocate(64).putInt(i).array());
                }
                byte[] large = new byte[3 << 20]; // many segments, reassembled
                for (int i = 0; i < large.length; i++) {
                    large[i] = (byte) (i * 31);
                }
                client.send(large);
                client.send(new byte[0]);
                client.close();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        for (int i = 0; i < n; i++) {
            byte[] m = server.receive(Duration.ofSeconds(10));
            assertNotNull(m, "message " + i);
            assertEquals(64, m.length);
            assertEquals(i, ByteBuffer.wrap(m).getInt(), "in order");
        }
        byte[] large = server.receive(Duration.ofSeconds(10));
        assertEquals(3 << 20, large.length);
        for (int i = 0; i < large.length; i += 4099) {
            assertEquals((byte) (i * 31), large[i]);
        }
        assertEquals(0, server.receive(Duration.ofSeconds(10)).length);
        assertThrows(EOFException.class, () -> server.receive(Duration.ofSeconds(10)));
        sender.join(10_000);
        assertTrue(client.stats().segmentsSent() < n, "small messages share segments: " + client.stats());
        assertEquals(n + 2, server.stats().messagesReceived());
        server.close();
        listener.close();
    }

    @Test
    void shouldKeepTheOrderOfMessagesOfMixedSizesAndReceiveThemIntoABuffer() throws Exception {
        TransportListener listener = two.transport().listen(7004);
        Connection client = one.transport().connect(ip("10.0.0.3"), 7004, Duration.ofSeconds(5));
        Connection server = listener.accept(Duration.ofSeconds(5));
        assertNotNull(server);
        // Sizes on both sides of what is copied into a segment at send, and of a segment.
        int[] sizes = {0, 1, 64, 511, 512, 513, 1000, 1443, 1444, 1445, 3000, 64, 64};
        int n = 3_000;
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    byte[] m = new byte[sizes[i % sizes.length]];
                    for (int j = 0; j < m.length; j++) {
                        m[j] = (byte) (i + j);
                    }
                    client.send(m);
                }
                client.flush(Duration.ofSeconds(10));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        byte[] buffer = new byte[2000];
        for (int i = 0; i < n; i++) {
            int size = sizes[i % sizes.length];
            byte[] m;
            if (size > buffer.length) {
                int index = i;
                assertThrows(IllegalArgumentException.class,
                        () -> server.receive(buffer, 0, buffer.length, Duration.ofSeconds(10)),
                        "message " + index + " does not fit the buffer");
                m = server.receive(Duration.ofSeconds(10)); // it stayed queued
            } else {
                int got = server.receive(buffer, 0, buffer.length, Duration.ofSeconds(10));
                m = java.util.Arrays.copyOf(buffer, got);
            }
            assertNotNull(m, "message " + i);
            assertEquals(size, m.length, "message " + i + " whole");
            for (int j = 0; j < m.length; j++) {
                if (m[j] != (byte) (i + j)) {
                    throw new AssertionError("message " + i + " byte " + j + ": " + m[j]);
                }
            }
        }
        sender.join(10_000);
        assertEquals(-1, server.receive(buffer, 0, buffer.length, Duration.ofMillis(10)), "nothing more");
        client.close();
        server.close();
        listener.close();
    }

    @Test
    void shouldRecoverFromLostFramesByRetransmission() throws Exception {
        TransportListener listener = two.transport().listen(7001);
        Connection client = one.transport().connect(ip("10.0.0.3"), 7001, Duration.ofSeconds(5));
        Connection server = listener.accept(Duration.ofSeconds(5));
        // Vnode 2 stops draining its NIC for a while: its ring (64 frames) overruns, frames are lost.
        cores.remove(2);
        two.nicImpls().get(0).station().disarm();
        int n = 3000;
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    client.send(ByteBuffer.allocate(1400).putInt(i).array());
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        var station = two.nicImpls().get(0).station();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (station.wire().head() - station.view().cursor() <= station.wire().params().slots()) {
            assertTrue(System.nanoTime() < deadline, "the ring never overran; " + client.stats());
            Thread.sleep(5);
        }
        cores.put(2, two);
        two.interrupt();
        for (int i = 0; i < n; i++) {
            byte[] m = server.receive(Duration.ofSeconds(20));
            assertNotNull(m, "message " + i + "; " + client.stats());
            assertEquals(i, ByteBuffer.wrap(m).getInt());
        }
        sender.join(10_000);
        assertTrue(two.nicImpls().get(0).stats().rxOverruns() > 0, "frames were lost to overrun");
        assertTrue(client.stats().retransmissions() > 0, "and sent again");
        assertTrue(client.flush(Duration.ofSeconds(10)));
        client.close();
        listener.close();
    }

    @Test
    void shouldCarryItsConnectionsOverToANewBuildOfTheDriver() throws Exception {
        TransportListener listener = two.transport().listen(7002);
        Connection client = one.transport().connect(ip("10.0.0.3"), 7002, Duration.ofSeconds(5));
        Connection server = listener.accept(Duration.ofSeconds(5));
        int n = 30_000;
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    client.send(ByteBuffer.allocate(64).putInt(i).array());
                    if (i % 100 == 0) {
                        Thread.sleep(1);
                    }
                }
                client.flush(Duration.ofSeconds(30));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        int i = 0;
        for (; i < n / 3; i++) {
            assertEquals(i, ByteBuffer.wrap(server.receive(Duration.ofSeconds(10))).getInt());
        }
        // The swap: the old build stops (its stations stay on the wire), a new one starts in the
        // same process, and the application listens again and accepts its connection back.
        cores.remove(2);
        two.close(false);
        assertThrows(java.net.SocketException.class, () -> server.receive(Duration.ofMillis(10)),
                "the old build's connection object is done");
        two = core(2);
        two.attach("eth0", "10.0.0.0/24");
        TransportListener again = two.transport().listen(7002);
        Connection resumed = again.accept(Duration.ofSeconds(5));
        assertNotNull(resumed, "the connection came back");
        for (; i < n; i++) {
            byte[] m = resumed.receive(Duration.ofSeconds(10));
            assertNotNull(m, "message " + i + " after the swap");
            assertEquals(i, ByteBuffer.wrap(m).getInt(), "in order across the swap");
        }
        sender.join(30_000);
        assertEquals(0, two.nicImpls().get(0).stats().rxOverruns(), "no frame lost on the wire");
        assertTrue(two.nicImpls().get(0).stats().rxPackets() > 0);
        client.close();
        resumed.close();
        again.close();
    }

    @Test
    void shouldPutRealArpIpv4IcmpAndUdpOnTheWireAsTsharkDecodesThem(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.smpcluster.vnet.link.PcapTsharkTest.tshark(),
                "tshark is not installed (.ci/run installs it)");
        var wire = one.wire("eth0").orElseThrow();
        var tap = wire.tap();
        one.ping(ip("10.0.0.3"), Duration.ofSeconds(2));
        try (UdpSocket a = one.openUdp(5000); UdpSocket b = two.openUdp(5001)) {
            a.send(ip("10.0.0.3"), 5001, "datagram".getBytes());
            assertNotNull(b.receive(Duration.ofSeconds(2)));
        }
        TransportListener l = two.transport().listen(7003);
        try (Connection c = one.transport().connect(ip("10.0.0.3"), 7003, Duration.ofSeconds(5))) {
            c.send(new byte[3000]);
            assertNotNull(l.accept(Duration.ofSeconds(5)).receive(Duration.ofSeconds(5)));
        }
        l.close();
        Path file = dir.resolve("stack.pcap");
        try (var pcap = new org.smpcluster.vnet.link.Pcap(Files.newOutputStream(file))) {
            for (var f = tap.next(); f != null; f = tap.next()) {
                pcap.frame(f.epochMicros(), f.bytes());
            }
        }
        String protocols = org.smpcluster.vnet.link.PcapTsharkTest.run("tshark", "-r", file.toString(), "-T", "fields",
                "-e", "frame.protocols");
        for (String p : new String[] {"eth:ethertype:arp", "eth:ethertype:ip:icmp:data", "eth:ethertype:ip:udp:data"}) {
            assertTrue(protocols.contains(p), "tshark saw " + p + " in:\n" + protocols);
        }
        String bad = org.smpcluster.vnet.link.PcapTsharkTest.run("tshark", "-r", file.toString(),
                "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-Y",
                "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\""
                        + " || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\"");
        assertEquals("", bad.strip(), "malformed frames or bad checksums");
    }

    @Test
    void shouldHoldASenderBackWhileTheReceiverDoesNotRead() throws Exception {
        TransportListener listener = two.transport().listen(7004);
        Connection client = one.transport().connect(ip("10.0.0.3"), 7004, Duration.ofSeconds(5));
        Connection server = listener.accept(Duration.ofSeconds(5));
        int n = 10_000; // 14 MB: more than the receive window and the send buffer together
        var sent = new java.util.concurrent.atomic.AtomicInteger();
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    client.send(ByteBuffer.allocate(1400).putInt(i).array());
                    sent.incrementAndGet();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long deadline = System.nanoTime() + 5_000_000_000L;
        int before;
        do { // until the sender stops making progress: flow control holds it
            before = sent.get();
            Thread.sleep(300);
        } while (sent.get() != before && System.nanoTime() < deadline);
        assertTrue(sent.get() < n, "the sender is held back (" + sent.get() + " of " + n + " queued)");
        assertTrue(client.stats().windowStalls() > 0);
        for (int i = 0; i < n; i++) {
            byte[] m = server.receive(Duration.ofSeconds(20));
            assertNotNull(m, "message " + i + "; " + client.stats());
            assertEquals(i, ByteBuffer.wrap(m).getInt());
        }
        sender.join(10_000);
        assertEquals(n, sent.get());
        client.close();
        server.close();
        listener.close();
    }

    @Test
    void shouldResetAConnectionWhosePeerRestarted() throws Exception {
        TransportListener listener = two.transport().listen(7005);
        Connection client = one.transport().connect(ip("10.0.0.3"), 7005, Duration.ofSeconds(5));
        assertNotNull(listener.accept(Duration.ofSeconds(5)));
        // Vnode 2 goes away and comes back (its transport knows nothing of the connection).
        cores.remove(2);
        two.close();
        two = core(2);
        two.attach("eth0", "10.0.0.0/24");
        two.transport().listen(7005);
        long start = System.nanoTime();
        client.send("anyone?".getBytes());
        var e = assertThrows(java.net.SocketException.class, () -> client.receive(Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("reset"), e.getMessage());
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "reset at once, not after the dead-peer timeout");
        client.close();
    }

    @Test
    void shouldCloseBothEndsWithoutWaitingAndKeepWhatWasSent() throws Exception {
        TransportListener listener = two.transport().listen(7006);
        Connection client = one.transport().connect(ip("10.0.0.3"), 7006, Duration.ofSeconds(5));
        Connection server = listener.accept(Duration.ofSeconds(5));
        client.send("last words".getBytes());
        long start = System.nanoTime();
        client.close();
        assertEquals("last words", new String(server.receive(Duration.ofSeconds(5))));
        assertThrows(EOFException.class, () -> server.receive(Duration.ofSeconds(5)));
        server.close();
        assertTrue(System.nanoTime() - start < 3_000_000_000L, "both ends closed without a 5 s wait");
        listener.close();
        try (UdpSocket again = two.openUdp(7006)) {
            assertEquals(7006, again.port(), "the port is free once its listener and connections are closed");
        }
    }

    @Test
    void shouldRefuseAConnectionNobodyListensTo() throws Exception {
        long start = System.nanoTime();
        var e = assertThrows(ConnectException.class,
                () -> one.transport().connect(ip("10.0.0.3"), 7999, Duration.ofMillis(500)));
        assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
        assertThrows(SocketTimeoutException.class, () -> {
            cores.remove(2);
            two.close();
            one.ping(ip("10.0.0.3"), Duration.ofMillis(200));
        });
    }
}
