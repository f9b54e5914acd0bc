package org.smpcluster.vnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.vnet.nic.VnetCore;

/** The net commands refuse bad arguments at once, saying what is allowed. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetCommandsTest {

    static final Path SHM = Path.of("/dev/shm");
    String cluster;
    Kernel root;
    VnetCore core;
    NetCommands net;

    @BeforeEach
    void boot(TestInfo test) {
        cluster = "netcmd-" + ProcessHandle.current().pid() + "-" + Math.abs(test.getDisplayName().hashCode());
        root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20));
        core = new VnetCore(0, root.bridges(), (v, vector) -> { }, org.smpcluster.vnet.link.WireParams.DEFAULT, 20_000);
        core.attach("eth0", "10.0.0.0/24");
        net = new NetCommands(core, core, root);
    }

    @AfterEach
    void close() throws Exception {
        core.close();
        root.close();
        Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
    }

    static String refused(Executable command) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, command);
        assertEquals(IllegalArgumentException.class, e.getClass(), "a clear refusal, not a raw " + e.getClass().getName());
        return e.getMessage();
    }

    static void says(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + message + "' does not say '" + p + "'");
        }
    }

    @Test
    void shouldRefuseACountOfFramesOutsideItsRange() {
        says(refused(() -> net.send(-1, "eth0", "broadcast", "x")), "--count=-1", "1..1000000");
        says(refused(() -> net.send(0, "eth0", "broadcast", "x")), "--count=0");
        says(refused(() -> net.send(1, "eth0", "02:53:4d:zz:00:01", "x")), "not a MAC address");
        says(refused(() -> net.send(1, "eth0", "broadcast", "x".repeat(1501))), "1501 bytes", "1500");
        assertEquals("sent 2 frames to ff:ff:ff:ff:ff:ff on eth0", assertDoesNotThrowSend());
    }

    private String assertDoesNotThrowSend() {
        try {
            return net.send(2, "eth0", "broadcast", "x");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldRefuseBadPingTimeoutsCountsAndTargets() {
        says(refused(() -> net.ping(1, -5, "10.0.0.1")), "--timeout=-5", "1..3600000");
        says(refused(() -> net.ping(-1, 100, "10.0.0.1")), "--count=-1");
        says(refused(() -> net.ping(1, 100, "vnode:-1")), "'vnode:-1'", "0..15");
        says(refused(() -> net.ping(1, 100, "vnode:99")), "vnode=99", "0..15", "the cluster has vnodes [0]");
        says(refused(() -> net.ping(1, 100, "vnode:abc")), "'vnode:abc'", "vnode id");
        says(refused(() -> net.ping(1, 100, "vnode:")), "'vnode:'");
        says(refused(() -> net.ping(1, 100, "vnode:5")), "vnode 5 is not in the cluster (FREE)");
        says(refused(() -> net.ping(1, 100, "999.999.999.999")), "0..255");
        says(refused(() -> net.ping(1, 100, "10.0.0")), "not an IPv4 address");
        says(refused(() -> net.ping(1, 100, "host.example")), "not an IPv4 address");
    }

    @Test
    void shouldRefuseACaptureTimeThatIsNotAPositiveNumberOfSeconds() {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), cluster + ".pcap");
        for (double t : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1, 0, 3601}) {
            says(refused(() -> net.capture(1, t, "eth0", file.toString())), "--time=" + t);
        }
        says(refused(() -> net.capture(0, 1, "eth0", file.toString())), "--count=0");
        says(refused(() -> net.capture(-3, 1, "eth0", file.toString())), "--count=-3");
        says(refused(() -> net.capture(1, 1, "eth0", System.getProperty("java.io.tmpdir"))), "is a directory");
        says(refused(() -> net.capture(1, 1, "eth0", "/nonexistent-" + cluster + "/x.pcap")), "does not exist");
        assertFalse(Files.exists(file));
    }

    @Test
    void shouldRefuseABenchAgainstAVnodeNotInTheClusterAtOnce() {
        long start = System.nanoTime();
        says(refused(() -> net.bench(1, 100, 9)), "vnode 9 is not in the cluster (FREE)", "[0]");
        says(refused(() -> net.bench(1, 100, 99)), "--vnode=99", "0..15");
        says(refused(() -> net.bench(1, 100, 0)), "this vnode");
        says(refused(() -> net.bench(0, 100, 1)), "--rounds=0");
        says(refused(() -> net.bench(1, 5, 1)), "--window=5");
        assertTrue(System.nanoTime() - start < 1_000_000_000L, "refused at once");
    }

    @Test
    void shouldFailABenchFastWhenAVnodeThatJoinedLongAgoDoesNotAnswerArp() {
        // Vnode 1 joined a minute ago (this process stands in for it), but its NIC is down.
        VnodeTableDescriptor.join(root.physmem().segment(), 1, ProcessHandle.current().pid(), 0,
                System.currentTimeMillis() - 60_000);
        long start = System.nanoTime();
        ConnectException e = assertThrows(ConnectException.class, () -> net.bench(1, 100, 1));
        long took = System.nanoTime() - start;
        says(e.getMessage(), "vnode 1 (10.0.0.2) does not answer ARP", "its vnet is not running");
        assertTrue(took < 5_000_000_000L, "failed in " + took / 1_000_000 + " ms, not after the 60 s patience");
        System.out.println("NetCommandsTest: net:bench against a vnode whose NIC is down failed in " + took / 1_000_000
                + " ms");
    }

    @Test
    void shouldTakeACarrierHolderForGoneWhenItsVnodeFailedOrJoinedAgainElsewhere() throws Exception {
        long me = ProcessHandle.current().pid();
        var liveness = VnetDriver.liveness(root);
        assertFalse(liveness.gone(0, me), "the root, joined in this live process");
        assertFalse(liveness.gone(3, me), "a vnode the table does not know, in a live process: by the process alone");
        Process done = new ProcessBuilder("true").start();
        done.waitFor();
        assertTrue(liveness.gone(3, done.pid()), "a process that ended");
        VnodeTableDescriptor.join(root.physmem().segment(), 2, me, 0, System.currentTimeMillis());
        assertFalse(liveness.gone(2, me));
        VnodeTableDescriptor.state(root.physmem().segment(), 2, VnodeTableDescriptor.State.FAILED);
        assertTrue(liveness.gone(2, me), "its vnode failed, in this process");
        VnodeTableDescriptor.join(root.physmem().segment(), 2, me + 1_000_000, 0, System.currentTimeMillis());
        assertTrue(liveness.gone(2, me), "its vnode joined again in another process");
    }
}
