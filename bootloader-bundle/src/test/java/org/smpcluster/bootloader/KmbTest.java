package org.smpcluster.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeInfo;
import org.smpcluster.api.bootloader.VnodeSpec;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.bootloader.stub.ImageDescriptor;

/** The bootloader's own logic against a {@link FakeRoot}: processes are real, the nanokernel is not. */
class KmbTest {

    private static final String DISK = "0000:00:04.0";
    private static final String PORT = "0000:00:05.0";

    @TempDir
    Path tmp;

    private FakeRoot root;
    private Kmb kmb;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        root = new FakeRoot(tmp);
        root.devices.add(DISK, "storage", "disk0", "/tmp/d0");
        root.devices.add(PORT, "net", "port", "tcp:18080");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (kmb != null) {
            kmb.close();
        }
        // Whatever a failed test left: every fake vnode and standby this JVM started.
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        root.close();
        Path stub = Kmb.stubDirectory(root.cluster);
        if (Files.exists(stub)) {
            try (Stream<Path> files = Files.walk(stub)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static VnodeSpec spec(int id, List<String> devices, RestartPolicy restart) {
        return new VnodeSpec(id, List.of(0), FakeRoot.REGION, devices, restart);
    }

    private VnodeInfo info(int id) {
        return kmb.vnodes().stream().filter(v -> v.id() == id).findFirst().orElse(null);
    }

    private static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + ": not within " + within.toMillis() + " ms");
            }
            Thread.sleep(5); // polling a condition with a deadline
        }
    }

    @Test
    void shouldRestartWithTheDevicesTheVnodeOwnsNowAfterADeviceMove() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        root.reclaimed.put(2, List.of()); // the nanokernel took nothing back from vnode 2: its disk moved away
        VnodeInfo first = kmb.boot(spec(2, List.of(DISK), RestartPolicy.ALWAYS), root.progress());
        assertEquals(VnodeStateNames.JOINED, first.state());
        root.owner(DISK, 1); // device:move 0000:00:04.0 1

        ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly(); // kill -9 of its old owner

        await("vnode 2 joined again", Duration.ofSeconds(10), () -> {
            VnodeInfo v = info(2);
            return v != null && v.restarts() == 1 && v.state().equals(VnodeStateNames.JOINED) && v.pid() != first.pid();
        });
        assertEquals(List.of(), info(2).devices(), "the disk stays with vnode 1");
        assertEquals(1, root.table.get(DISK).owner());
    }

    @Test
    void shouldStayRestartableAfterARestartFailed() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        VnodeInfo first = kmb.boot(spec(2, List.of(DISK), RestartPolicy.ALWAYS), root.progress());
        root.owner(DISK, 1);
        // A nanokernel that (wrongly, or in a race with a move) says vnode 2 gets its disk back:
        // step 5 of the automatic restart fails.
        root.reclaimed.put(2, List.of(DISK));
        ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly();
        await("the automatic restart failed: vnode 2 is FAILED", Duration.ofSeconds(10), () -> info(2) != null
                && info(2).restarts() == 1 && info(2).state().equals(VnodeStateNames.FAILED));

        root.reclaimed.put(2, List.of()); // the move is over: the disk is vnode 1's
        VnodeInfo again = kmb.restart(2, root.progress());

        assertEquals(VnodeStateNames.JOINED, again.state());
        assertEquals(List.of(), again.devices());
    }

    @Test
    void shouldComputeTheDevicesOfARestart() {
        root.reclaimed.put(2, List.of(PORT));
        root.owner(DISK, 2); // given at a boot that failed after step 5: still vnode 2's
        assertEquals(List.of(DISK, PORT), Kmb.restartDevices(root.devices, 2));

        root.reclaimed.remove(2); // moved away while it ran: nothing taken back from it, nothing it owns
        root.owner(DISK, 1);
        root.owner(PORT, DeviceInfo.UNASSIGNED);
        assertEquals(List.of(), Kmb.restartDevices(root.devices, 2));
    }

    @Test
    void shouldLeaveNoRowForABootThatFailedAndBootItLater() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        root.owner(DISK, 1);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> kmb.boot(spec(3, List.of(DISK), RestartPolicy.NEVER), root.progress()));

        assertTrue(e.getMessage().contains("owned by vnode 1"), e.getMessage());
        assertEquals(List.of(), kmb.vnodes(), "no FAILED row for a vnode that never came up");
        assertEquals(VnodeStateNames.JOINED, kmb.boot(spec(3, List.of(), RestartPolicy.NEVER), root.progress()).state());
        assertEquals(List.of(3), kmb.vnodes().stream().map(VnodeInfo::id).toList());
    }

    @Test
    void shouldCheckAFileAgainstWhatThisRootHoldsWithFileAndLine() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        kmb.boot(spec(2, List.of(), RestartPolicy.NEVER), root.progress());
        root.owner(PORT, 1);
        Path file = tmp.resolve("c.cluster");
        Files.writeString(file, "cluster " + root.cluster + "\nphysmem 2g\novercommit yes\n"
                + "device " + DISK + " storage otherdisk /tmp/d0\ndevice " + PORT + " net port tcp:18080\n"
                + "vnode 0 cpus 0 memory 256m\nvnode 2 cpus 0 memory 64m devices " + PORT + "\n");
        KmbCommands commands = new KmbCommands(kmb, root.nanokernel);

        List<String> p = assertThrows(org.smpcluster.api.bootloader.ConfigException.class,
                () -> commands.check(file.toString())).problems();

        assertEquals(List.of(file + ":2: physmem 2048 MiB is more than this root's 1024 MiB; start the root with --config "
                + file + " (or --physmem 2048m)",
                file + ":4: device " + DISK + " is already in this root's table as 'storage disk0 /tmp/d0'; declare it so, "
                        + "or use another address",
                file + ":7: device " + PORT + " is owned by vnode 1 now; unassign it there (device:unassign " + PORT
                        + ") or give vnode 2 another",
                file + ":7: vnode 2 is running (pid " + info(2).pid() + "); stop it first (kmb:stop 2)"), p);
        // kmb:cluster refuses it the same way, before anything boots.
        assertThrows(org.smpcluster.api.bootloader.ConfigException.class, () -> commands.cluster(false, file.toString()));
        // Another cluster's file is checked for this machine only, and says so.
        Files.writeString(file, "cluster other\nphysmem 2g\nvnode 0 cpus 0 memory 256m\n");
        assertTrue(commands.check(file.toString()).contains(": OK (checked for this machine; this root runs cluster"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> commands.check(tmp.toString())).getMessage()
                .endsWith("is a directory; give a cluster configuration file, e.g. run/examples/demo.cluster"));
    }

    @Test
    void shouldAnswerLogAndThreadsOfNoVnodeClearly() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        KmbCommands commands = new KmbCommands(kmb, root.nanokernel);

        assertEquals("vnode id 99 is outside 1..15 (0 is the root)",
                assertThrows(IllegalArgumentException.class, () -> commands.log(99)).getMessage());
        assertEquals("vnode id -1 is outside 1..15 (0 is the root)",
                assertThrows(IllegalArgumentException.class, () -> commands.threads(-1)).getMessage());
        assertEquals("vnode id 99 is outside 1..15 (0 is the root)",
                assertThrows(IllegalArgumentException.class, () -> commands.threads(99)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> commands.log(0)).getMessage()
                .startsWith("vnode 0 is the root"));
        assertEquals("vnode 4 was never booted by this bootloader; it booted no vnode yet (kmb:boot or kmb:cluster)",
                assertThrows(IllegalArgumentException.class, () -> commands.log(4)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> commands.threads(4)).getMessage()
                .startsWith("vnode 4 has no running process"));
        assertEquals("vnode id 99 is outside 1..15 (0 is the root)",
                assertThrows(IllegalArgumentException.class, () -> commands.stop(99)).getMessage());
        assertEquals("vnode 4 was not booted by this bootloader; it booted no vnode yet (kmb:boot or kmb:cluster)",
                assertThrows(IllegalArgumentException.class, () -> commands.restart(false, 4)).getMessage());
    }

    @Test
    void shouldPassTheFaultInjectionSettingToTheVnodesItBoots() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        String before = System.getProperty(Kmb.FAULT_INJECT);
        System.setProperty(Kmb.FAULT_INJECT, "ring-corrupt:vnode=2,after=5s\\x");
        try {
            kmb.boot(spec(2, List.of(), RestartPolicy.NEVER), root.progress());
        } finally {
            if (before == null) {
                System.clearProperty(Kmb.FAULT_INJECT);
            } else {
                System.setProperty(Kmb.FAULT_INJECT, before);
            }
        }
        java.util.Properties params = new java.util.Properties();
        params.load(new java.io.StringReader(ImageDescriptor.params(root.regions.get(2))));
        assertEquals("ring-corrupt:vnode=2,after=5s\\x", params.getProperty(Kmb.FAULT_INJECT));
    }

    @Test
    void shouldKeepItsDirectoryPrivateAndRemoveADeadVnodesStorage() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        VnodeInfo v = kmb.boot(spec(2, List.of(), RestartPolicy.NEVER), root.progress());
        Path stub = Kmb.stubDirectory(root.cluster);
        try (Stream<Path> all = Files.walk(stub)) {
            for (Path p : all.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode, p.toString());
            }
        }
        // What a vnode's framework cache looks like when the stub made it (the fake does not).
        Path storage = Files.createDirectories(stub.resolve("storage").resolve("pid-" + v.pid()).resolve("bundle1"));
        Files.write(storage.resolve("bundle.jar"), new byte[2 << 20]);

        ProcessHandle.of(v.pid()).orElseThrow().destroyForcibly();

        await("the dead vnode's storage is removed", Duration.ofSeconds(5),
                () -> !Files.exists(stub.resolve("storage").resolve("pid-" + v.pid())));
    }

    @Test
    void shouldRefuseADirectoryAnotherUserOwns() throws Exception {
        assertTrue(ProcessHandle.current().info().user().isPresent());
        Path stub = Kmb.stubDirectory(root.cluster);
        Files.createDirectory(stub);
        Path planted = Files.writeString(stub.resolve("planted"), "another user's");
        try {
            Files.setAttribute(stub, "unix:uid", 65534); // nobody (needs root; skipped where it cannot)
        } catch (IOException notRoot) {
            org.junit.jupiter.api.Assumptions.abort("cannot give a directory to another user here: " + notRoot);
        }

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> root.kmb(Duration.ofMillis(600)));

        assertTrue(e.getMessage().contains("belongs to another user (uid=65534"), e.getMessage());
        assertTrue(Files.exists(planted), "not emptied");
    }

    @Test
    void shouldRefuseASymlinkInPlaceOfItsDirectory() throws Exception {
        Path stub = Kmb.stubDirectory(root.cluster);
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(stub, elsewhere);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> root.kmb(Duration.ofMillis(600)));
            assertTrue(e.getMessage().contains("a symbolic link to"), e.getMessage());
        } finally {
            Files.delete(stub);
        }
    }

    @Test
    void shouldDetectAStoppedVnodeWithinASecondAndReplaceIt() throws Exception {
        kmb = root.kmb(Duration.ofMillis(600));
        VnodeInfo v = kmb.boot(spec(2, List.of(), RestartPolicy.ALWAYS), root.progress());
        await("a standby stands by", Duration.ofSeconds(5), () -> ProcessHandle.current().children().count() >= 2);
        long stopped = System.nanoTime();
        new ProcessBuilder("kill", "-STOP", Long.toString(v.pid())).start().waitFor();
        root.heartbeatAgeNanos.put(2, 0L);
        // The fake's heartbeat ages with the stop, as the real one does.
        ProcessHandle vnode = ProcessHandle.of(v.pid()).orElseThrow();
        Thread ager = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                // The next incarnation beats again.
                root.heartbeatAgeNanos.put(2, vnode.isAlive() ? System.nanoTime() - stopped : 0L);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            ProcessHandle.of(v.pid()).orElseThrow().onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            long detected = System.nanoTime() - stopped;
            assertTrue(detected < 1_000_000_000L, "detected in " + detected / 1_000_000 + " ms");
            ager.interrupt();
            root.heartbeatAgeNanos.put(2, 0L);
            await("joined again", Duration.ofSeconds(5), () -> info(2) != null && info(2).restarts() == 1
                    && info(2).state().equals(VnodeStateNames.JOINED));
            long joined = System.nanoTime() - stopped;
            System.out.printf("SIGSTOP: detected in %d ms, joined again %d ms after the stop%n", detected / 1_000_000,
                    joined / 1_000_000);
        } finally {
            ager.interrupt();
        }
    }

    /**
     * A vnode whose heartbeat is stale while its JVM collects garbage (here: a JVM that does
     * nothing but collect, with the serial collector, as a small vnode's JVM picks) is not a
     * hung vnode: it is let be past the timeout, and killed only when the grace is over.
     */
    @Test
    void shouldNotKillAVnodeWhileItsCollectorRunsButOnlyAfterTheGrace() throws Exception {
        Path busy = tmp.resolve("GcBusy.java");
        Files.writeString(busy, """
                public class GcBusy {
                    public static void main(String[] args) {
                        Object[] live = new Object[20_000];
                        for (long i = 0; ; i++) {
                            live[(int) (i % live.length)] = new long[64];
                            if (i % 1000 == 0) {
                                System.gc();
                            }
                        }
                    }
                }
                """);
        String jvm = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        root.close();
        root = new FakeRoot(tmp, jvm + " -XX:+UseSerialGC -Xmx32m " + busy);
        root.devices.add(DISK, "storage", "disk0", "/tmp/d0");
        kmb = root.kmb(Duration.ofMillis(600));
        VnodeInfo v = kmb.boot(spec(2, List.of(), RestartPolicy.NEVER), root.progress());
        ProcessHandle vnode = ProcessHandle.of(v.pid()).orElseThrow();
        await("its collector runs", Duration.ofSeconds(20), () -> GcTicks.of(v.pid()) > 20);
        long stale = System.nanoTime();
        Thread ager = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                root.heartbeatAgeNanos.put(2, System.nanoTime() - stale);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            vnode.onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
            long killed = (System.nanoTime() - stale) / 1_000_000;
            System.out.printf("a collecting vnode with a stale heartbeat was killed after %d ms%n", killed);
            assertTrue(killed >= Kmb.GC_GRACE_NANOS / 1_000_000, "killed after " + killed + " ms, in its grace");
        } finally {
            ager.interrupt();
        }
    }

    @Test
    void shouldReadGcThreadsCpuTimeOfAJvm() throws Exception {
        long before = GcTicks.of(ProcessHandle.current().pid());
        long end = System.nanoTime() + 20_000_000_000L;
        List<long[]> garbage = new ArrayList<>();
        while (GcTicks.of(ProcessHandle.current().pid()) <= before) {
            assertTrue(System.nanoTime() < end, "this JVM's collector used CPU within 20 s");
            for (int i = 0; i < 2000; i++) {
                garbage.add(new long[1024]);
            }
            if (garbage.size() > 20_000) {
                garbage.clear();
            }
            System.gc();
        }
        assertFalse(GcTicks.stopped(ProcessHandle.current().pid()));
        assertEquals(0, GcTicks.gcTicks("1234 (main) S 1 2 3 4 5 6 7 8 9 10 11 500 600 0 0"));
        assertEquals(11 + 22, GcTicks.gcTicks("1234 (VM Thread) S 1 2 3 4 5 6 7 8 9 10 11 22 0 0"));
        assertEquals(3 + 4, GcTicks.gcTicks("9 (GC Thread#0) R 1 2 3 4 5 6 7 8 9 10 3 4 0 0"));
        assertEquals(0, GcTicks.gcTicks("garbage"));
    }

    /** VnodeState's names, which VnodeInfo's state uses too. */
    private static final class VnodeStateNames {
        static final String JOINED = org.smpcluster.api.nanokernel.VnodeState.JOINED;
        static final String FAILED = org.smpcluster.api.nanokernel.VnodeState.FAILED;
    }
}
