package org.smpcluster.nanokernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DoorbellDescriptor;
import org.smpcluster.nanokernel.layout.Shm;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;
import org.smpcluster.nanokernel.mem.Physmem;

/**
 * Several JVMs on one physmem file in {@code /dev/shm}: the root in this JVM, joiners in child
 * processes. Every test has a deadline and leaves no process and no file behind.
 */
@Timeout(120)
class MultiProcessTest {

    private static final Path SHM = Physmem.DEFAULT_DIRECTORY;
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private String cluster;
    private Kernel root;
    private Vnodes vnodes;

    @BeforeEach
    void bootRoot(TestInfo test) {
        cluster = "mp-" + ProcessHandle.current().pid() + "-" + test.getTestMethod().orElseThrow().getName().hashCode();
        root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20));
        vnodes = new Vnodes(SHM, cluster);
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            vnodes.close();
        } finally {
            root.close();
        }
        assertFalse(Files.exists(Physmem.pathOf(SHM, cluster)), "the physmem file is gone");
    }

    @Test
    void shouldShareABridgeWrittenByOneProcessAndReadByAnother() throws Exception {
        Vnodes.Child child = vnodes.start(1, "bridge");
        child.expect("joined", DEADLINE);
        try (Bridge shared = root.bridges().open("shared", 4096)) {
            MemorySegment s = shared.segment();
            Shm.setLongRelease(s, 0, 42);
            assertEquals("answered, size 4096, last byte readable 0", child.expect("answered", DEADLINE));
            await("the child's 43", () -> Shm.getLongAcquire(s, 8) == 43);
            assertEquals("stray read refused", child.expect("stray", DEADLINE));
        }
    }

    @Test
    void shouldWakeAFutexWaitingVnodeInAnotherProcess() throws Exception {
        Vnodes.Child child = vnodes.start(2, "wait-portal", "20");
        child.expect("ready", DEADLINE);
        long waiting = ControlArea.doorbell(2) + DoorbellDescriptor.WAITING_OFFSET;
        await("vnode 2's interrupt thread in futex wait",
                () -> Shm.getIntVolatile(root.physmem().segment(), waiting) == 1);

        root.portals().raise(2, 20);

        assertEquals("woken 1", child.expect("woken", DEADLINE));
    }

    @Test
    void shouldDeliverAMillionInterruptsRaisedFromThreadsAndProcessesExactlyOnce() throws Exception {
        int vector = Portals.FIRST_DRIVER_VECTOR;
        AtomicLong delivered = new AtomicLong();
        root.pipeline().attach(InterruptPipeline.KERNEL, vector, (v, hits) -> {
            delivered.addAndGet(hits);
            return true;
        });
        List<Vnodes.Child> children = List.of(
                vnodes.start(1, "raise", Integer.toString(vector), "300000", "2"),
                vnodes.start(2, "raise", Integer.toString(vector), "300000", "2"));
        List<Thread> local = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            local.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 200_000; i++) {
                    root.portals().raise(Nanokernel.ROOT, vector);
                }
            }));
        }
        for (Thread t : local) {
            t.join(DEADLINE);
        }
        for (Vnodes.Child child : children) {
            child.expect("raised 300000", DEADLINE);
        }

        await("1,000,000 hits delivered", () -> delivered.get() >= 1_000_000);
        assertEquals(1_000_000, delivered.get());
        assertEquals(1_000_000, root.interruptThread().received(vector));
        assertEquals(Long.valueOf(1_000_000), root.pipeline().domains().stream()
                .filter(d -> d.name().equals(InterruptPipeline.KERNEL)).findFirst().orElseThrow()
                .handled().get(vector));
    }

    @Test
    void shouldRefuseAVnodesLocalBridgeToAThirdVnode() throws Exception {
        try (Bridge mine = root.bridges().open(1, "console", 4096)) {
            Vnodes.Child third = vnodes.start(3, "open-local", "1", "console");
            String answer = third.expect("refused", DEADLINE);
            assertTrue(answer.contains("local to vnode 1; vnode 3 may not open it"), answer);
            assertEquals(List.of(0), List.copyOf(info("console").users()), "only the root holds it");
        }
    }

    @Test
    void shouldReclaimTheBridgesOfAKilledVnode() throws Exception {
        try (Bridge scratch = root.bridges().open("scratch", 4096)) {
            Vnodes.Child child = vnodes.start(4, "hold");
            child.expect("holding", DEADLINE);
            assertEquals(4, info("mine").owner());
            assertTrue(info("scratch").users().contains(4));

            child.process.destroyForcibly(); // kill -9

            // The table's state is written last: FAILED means the reclaim is done.
            await("vnode 4 marked failed", () -> VnodeTableDescriptor.state(root.physmem().segment(), 4)
                    == VnodeTableDescriptor.State.FAILED);
            assertTrue(root.bridges().bridges().stream().noneMatch(b -> b.name().equals("mine")),
                    "its local bridge is freed");
            assertFalse(info("scratch").users().contains(4), "it no longer holds the global one");
            assertEquals(List.of(0), List.copyOf(info("scratch").users()), "the root still holds scratch");
        }
    }

    @Test
    void shouldMoveADeviceBetweenVnodesWithHotUnplugAndHotPlug() throws Exception {
        root.devices().add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        Vnodes.Child one = vnodes.start(1, "devices");
        Vnodes.Child two = vnodes.start(2, "devices");
        one.expect("listening", DEADLINE);
        two.expect("listening", DEADLINE);

        root.devices().assign("0000:00:04.0", 1);
        assertEquals("plugged 0000:00:04.0 storage /srv/disk0", one.expect("plugged", DEADLINE));
        root.devices().raise("0000:00:04.0");
        assertEquals("irq 0000:00:04.0", one.expect("irq", DEADLINE));

        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> root.devices().assign("0000:00:04.0", 2));
        assertTrue(refused.getMessage().contains("is owned by vnode 1"), refused.getMessage());

        root.devices().move("0000:00:04.0", 2);
        assertEquals("unplugged 0000:00:04.0", one.expect("unplugged", DEADLINE));
        assertEquals("plugged 0000:00:04.0 storage /srv/disk0", two.expect("plugged", DEADLINE));
        assertEquals(2, root.devices().devices().get(0).owner());

        root.devices().raise("0000:00:04.0");
        assertEquals("irq 0000:00:04.0", two.expect("irq", DEADLINE));
        assertFalse(one.transcript().lines().filter(l -> l.startsWith("irq")).count() > 1,
                "vnode 1 got no interrupt after the move:\n" + one.transcript());
    }

    @Test
    void shouldUnassignADeviceWithHotUnplugAndRememberWhatADeadVnodeHeld() throws Exception {
        root.devices().add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
        root.devices().add("0000:00:05.0", "net", "port", "tcp:18080");
        Vnodes.Child one = vnodes.start(1, "devices");
        one.expect("listening", DEADLINE);
        root.devices().assign("0000:00:04.0", 1);
        root.devices().assign("0000:00:05.0", 1);
        one.expect("plugged 0000:00:04.0", DEADLINE);
        one.expect("plugged 0000:00:05.0", DEADLINE);

        root.devices().unassign("0000:00:04.0");
        assertEquals("unplugged 0000:00:04.0", one.expect("unplugged", DEADLINE));
        assertEquals(-1, root.devices().devices().get(0).owner());
        assertEquals(List.of(), root.devices().reclaimed(1));

        one.process.destroyForcibly();
        await("vnode 1 marked failed", () -> VnodeTableDescriptor.state(root.physmem().segment(), 1)
                == VnodeTableDescriptor.State.FAILED);
        assertEquals(List.of("0000:00:05.0"), root.devices().reclaimed(1),
                "what a restart of vnode 1 boots with: what it held when it died, not what was taken from it");
    }

    @Test
    void shouldGiveADeviceToTheRootAndBack() throws Exception {
        root.devices().add("0000:00:05.0", "net", "port", "tcp:18080");
        Vnodes.Child one = vnodes.start(1, "devices");
        one.expect("listening", DEADLINE);
        root.devices().assign("0000:00:05.0", 0);
        root.devices().move("0000:00:05.0", 1);
        assertEquals("plugged 0000:00:05.0 net tcp:18080", one.expect("plugged", DEADLINE));
        root.devices().move("0000:00:05.0", 0);
        assertEquals("unplugged 0000:00:05.0", one.expect("unplugged", DEADLINE));
        assertEquals(0, root.devices().devices().get(0).owner());
    }

    @Test
    void shouldRelocateATransientBridgeUnderAnotherProcessWithItsContents() throws Exception {
        Bridge below = root.bridges().open("below", 4096);
        Vnodes.Child child = vnodes.start(5, "transient");
        child.expect("filled", DEADLINE);
        long from = info("tb").offset();
        below.close();

        assertEquals(8192, root.bridges().compact());

        long to = info("tb").offset();
        assertEquals(from - 4096, to);
        assertEquals("relocated " + from + " " + to + " intact true", child.expect("relocated", DEADLINE));
    }

    private BridgeInfo info(String name) {
        return root.bridges().bridges().stream().filter(b -> b.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no bridge " + name + " in " + root.bridges().bridges()));
    }

    private static void await(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + DEADLINE.toMillis() + " ms: " + what);
            }
            LockSupport.parkNanos(100_000); // leave the CPUs to the vnodes being watched
        }
    }
}
