package org.smpcluster.nanokernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.dsp.RootGoneException;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;
import org.smpcluster.nanokernel.mem.Physmem;

/**
 * Faults in one vnode, each in its own process: a kernel thread that dies, a heap that runs
 * out, an interrupt thread that is stuck, a root that is killed. Every test has a deadline and
 * leaves no process and no file behind.
 */
@Tag("fault-injection")
@Timeout(120)
class FaultTest {

    private static final Path SHM = Physmem.DEFAULT_DIRECTORY;
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private String cluster;
    private Vnodes vnodes;

    @BeforeEach
    void name(TestInfo test) {
        cluster = "fault-" + ProcessHandle.current().pid() + "-" + test.getTestMethod().orElseThrow().getName().hashCode();
        vnodes = new Vnodes(SHM, cluster);
    }

    @AfterEach
    void cleanUp() throws Exception {
        vnodes.close();
        assertFalse(Files.exists(Physmem.pathOf(SHM, cluster)), "the physmem file is gone");
    }

    @Test
    void shouldPanicWithStatus70WhenAKernelThreadDies() throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20))) {
            Vnodes.Child child = vnodes.start(1, "kernel-thread-dies");
            assertEquals(Kernel.PANIC_STATUS, exitStatus(child));
            assertTrue(child.transcript().contains("vnode 1: panic: kernel thread 'doomed' died"), child.transcript());
            awaitState(root, 1, VnodeTableDescriptor.State.FAILED);
        }
    }

    @Test
    void shouldPanicWithStatus70WhenTheHeapRunsOut() throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20))) {
            Vnodes.Child child = vnodes.startWith(List.of("-D" + NanokernelCommands.FAULT_INJECT + "=true"), 1,
                    "inject", "oom");
            assertEquals(Kernel.PANIC_STATUS, exitStatus(child));
            assertTrue(child.transcript().contains("java.lang.OutOfMemoryError"), child.transcript());
        }
    }

    @Test
    void shouldPanicWhenAnyThreadDiesOfAVirtualMachineErrorAndLiveOnOtherwise() throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20))) {
            Vnodes.Child overflow = vnodes.start(1, "plain-thread-dies", "overflow");
            assertEquals(Kernel.PANIC_STATUS, exitStatus(overflow));
            assertTrue(overflow.transcript().contains("panic: thread 'plain' died (java.lang.StackOverflowError"),
                    overflow.transcript());

            Vnodes.Child bug = vnodes.start(2, "plain-thread-dies", "bug");
            bug.expect("still alive after the plain thread died", DEADLINE);
            assertTrue(bug.process.isAlive());
            assertTrue(bug.transcript().contains("Exception in thread \"plain\" java.lang.IllegalStateException"),
                    "the JVM's usual report of an uncaught exception:\n" + bug.transcript());
        }
    }

    @Test
    void shouldStopBeatingWhenTheInterruptThreadIsStuckWhileTheProcessLives() throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20))) {
            Vnodes.Child child = vnodes.start(3, "stuck-irq", Integer.toString(Portals.FIRST_DRIVER_VECTOR));
            child.expect("ready", DEADLINE);
            long before = age(root, 3);
            assertTrue(before < 1000, "a working vnode beats: " + before + " ms");

            root.portals().raise(3, Portals.FIRST_DRIVER_VECTOR);
            child.expect("stuck in the handler", DEADLINE);

            // Older than any gap a working vnode shows (GC pauses, a loaded machine), and growing.
            await("vnode 3's heartbeat older than 2 s", () -> age(root, 3) > 2000);
            assertTrue(child.process.isAlive(), "the process lives on; only its heartbeat tells");
        }
    }

    @Test
    void shouldStopBeatingWhenTheInterruptThreadIsHangedByFaultInjection() throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20))) {
            Vnodes.Child child = vnodes.startWith(List.of("-D" + NanokernelCommands.FAULT_INJECT + "=true"), 3,
                    "inject", "hang");
            child.expect("vnode 3: its interrupt thread is stalled", DEADLINE);
            await("vnode 3's heartbeat older than 2 s", () -> age(root, 3) > 2000);
            assertTrue(child.process.isAlive());
        }
    }

    @Test
    void shouldKeepBeatingWellWithinTheHangTimeoutWhileTheHeapChurns() throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20))) {
            // 12 MiB live in a 64 MiB heap, garbage churned on two threads: GC pauses, not a hang.
            Vnodes.Child child = vnodes.start(1, "churn", "12", "3");
            String said = child.expect("longest heartbeat gap", DEADLINE);
            System.out.println("heap churn: " + said);
            long gap = Long.parseLong(said.split(" ")[3]);
            assertTrue(gap < 1000, "a 1 s hang timeout would have killed it: " + said);
        }
    }

    @Test
    void shouldServeAVnodeAgainAfterGarbageInItsRing() throws Exception {
        try (Kernel root = Kernel.boot(Kernel.Config.root(SHM, cluster, 32L << 20))) {
            for (int round = 0; round < 5; round++) {
                Vnodes.Child child = vnodes.startWith(List.of("-D" + NanokernelCommands.FAULT_INJECT + "=true"),
                        1 + round, "inject", "ring");
                String said = child.expect("vnode " + (1 + round) + "'s DSP request ring garbled", DEADLINE);
                assertTrue(said.contains("the root answered again after"), said);
                System.out.println("garbage ring, round " + round + ": " + said);
            }
            assertTrue(root.dspServer().malformed() >= 5, "the root counted the garbage");
        }
    }

    @Test
    void shouldSkipWhatNeedsTheRootOnceItIsKilled() throws Exception {
        Vnodes.Child rootProcess = vnodes.start(0, "root");
        rootProcess.expect("root up", DEADLINE);
        Kernel joiner = Kernel.boot(Kernel.Config.joiner(SHM, cluster, 2));
        try {
            Bridge bridge = joiner.bridges().open("scratch", 4096);

            rootProcess.process.destroyForcibly(); // kill -9
            assertTrue(rootProcess.process.waitFor(10, TimeUnit.SECONDS));
            long killed = System.nanoTime();
            await("vnode 2 sees its root gone", joiner::rootGone);
            long noticed = System.nanoTime() - killed;
            assertTrue(noticed < 500_000_000L, "noticed in " + noticed / 1_000_000 + " ms");

            long start = System.nanoTime();
            RootGoneException refused = assertThrows(RootGoneException.class,
                    () -> joiner.bridges().open("another", 4096));
            assertTrue(refused.getMessage().contains("has exited"), refused.getMessage());
            bridge.close(); // tells nobody, throws nothing
            joiner.close();
            long took = System.nanoTime() - start;
            System.out.printf("root killed: vnode 2 noticed in %.1f ms; a DSP call, a bridge close and the "
                    + "shutdown then took %.1f ms%n", noticed / 1e6, took / 1e6);
            assertTrue(took < 1_000_000_000L, "a DSP call, a bridge close and the shutdown took "
                    + took / 1_000_000 + " ms; nothing may wait for the dead root");
        } finally {
            joiner.close();
            Files.deleteIfExists(Physmem.pathOf(SHM, cluster)); // the killed root could not remove it
        }
    }

    private static int exitStatus(Vnodes.Child child) throws InterruptedException {
        if (!child.process.waitFor(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("vnode process " + child.process.pid() + " did not end within " + DEADLINE
                    + "; it said:\n" + child.transcript());
        }
        child.transcriptAtEnd(DEADLINE); // its last lines may still be on their way through the pipe
        return child.process.exitValue();
    }

    private static long age(Kernel root, int vnode) {
        return (System.nanoTime() - VnodeTableDescriptor.heartbeat(root.physmem().segment(), vnode)) / 1_000_000;
    }

    private static void awaitState(Kernel root, int vnode, VnodeTableDescriptor.State state) {
        await("vnode " + vnode + " " + state, () -> VnodeTableDescriptor.state(root.physmem().segment(), vnode) == state);
    }

    private static void await(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + DEADLINE.toMillis() + " ms: " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
