package org.smpcluster.mosix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.smpcluster.mosix.cluster.MultiProcessTest.Child;
import org.smpcluster.mosix.proc.TestSupport;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;

/**
 * Issue 12, step 4: moves between any two vnodes, asked on any vnode, and the balancer. A root
 * in this JVM and vnodes in their own (as {@link MultiProcessTest}); every child is killed and
 * the physmem file removed, pass or fail.
 */
class MoveAnywhereTest {

    static final Duration DEADLINE = MultiProcessTest.DEADLINE;

    String cluster;
    Kernel root;
    Path programs;
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void boot(TestInfo test) throws IOException {
        cluster = "mosix-mv-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(test.getDisplayName().hashCode());
        programs = TestSupport.programs();
        root = Kernel.boot(Kernel.Config.root(MultiProcessTest.SHM, cluster, 64L << 20));
    }

    @AfterEach
    void cleanUp() throws IOException, InterruptedException {
        children.forEach(Process::destroyForcibly);
        for (Process p : children) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        try {
            root.close();
        } finally {
            Files.deleteIfExists(Physmem.pathOf(MultiProcessTest.SHM, cluster));
        }
        assertFalse(Files.exists(Physmem.pathOf(MultiProcessTest.SHM, cluster)));
    }

    Child start(int vnode) throws Exception {
        return start(vnode, "-Xmx128m");
    }

    Child start(int vnode, String heap) throws Exception {
        List<String> command = List.of("taskset", "-c", Integer.toString(vnode % 2),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                heap, "-cp", System.getProperty("java.class.path"), MosixVnode.class.getName(),
                MultiProcessTest.SHM.toString(), cluster, Integer.toString(vnode));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        Child c = new Child(p);
        c.expect("ready");
        return c;
    }

    /**
     * A counter homed on vnode 1 moves 1 -> 2 (asked at home), 2 -> 3 (asked where it runs, to a
     * vnode that is not its home either), 3 -> home (asked on vnode 2, where it no longer runs):
     * every line arrives at home once and in order, and {@code where} follows it everywhere.
     */
    @Test
    void shouldMoveBetweenAnyTwoVnodesAskedAnywhereWithEveryLineHomeOnceAndInOrder() {
        assertTimeoutPreemptively(Duration.ofSeconds(150), () -> {
            Child one = start(1);
            Child two = start(2);
            Child three = start(3);
            int n = 3000;
            long pid = Long.parseLong(one.ask("spawn home " + programs + " Mover " + n).substring(4));
            List<String> out = new ArrayList<>();
            while (out.size() < 50) {
                out.add(one.output());
            }
            assertEquals("at 2", one.ask("migrate " + pid + " 2"));
            eventually(() -> three.ask("proc /proc/" + pid + "/where"), "proc 2");
            for (int seen = out.size(); out.size() < seen + 50; ) {
                out.add(one.output());
            }
            assertEquals("at 3", two.ask("migrate " + pid + " 3"), "from where it runs to a vnode that is not its home");
            assertEquals("proc 3", one.ask("proc /proc/" + pid + "/where"), "its home knows at once");
            eventually(() -> two.ask("proc /proc/" + pid + "/where"), "proc 3");
            assertTrue(three.ask("ps").contains(pid + ":1:3:RUNNING"), "vnode 3 runs it, home 1");
            for (int seen = out.size(); out.size() < seen + 50; ) {
                out.add(one.output()); // it prints on vnode 3: its lines come home on the (1, 3) channel
            }
            assertEquals("at 1", two.ask("migrate " + pid + " home"), "asked on a vnode where it does not run");
            eventually(() -> one.ask("proc /proc/" + pid + "/where"), "proc 1");
            eventually(() -> three.ask("proc /proc/" + pid + "/where"), "proc 1");
            String status = one.ask("wait " + pid);
            assertTrue(status.startsWith("status 7 "), "its own status, after three moves: " + status);
            for (String line; !(line = one.output()).equals("stdout " + pid + " done"); ) {
                out.add(line);
            }
            assertEquals(n, out.size(), "every line once");
            for (int i = 0; i < n; i++) {
                assertEquals("stdout " + pid + " count " + i, out.get(i), "line " + i + " once and in order");
            }
        });
    }

    /**
     * Two CPU-bound migratable processes and two locked ones ({@code mosrun -L}) started on vnode
     * 1 with vnode 2 idle: the balancer moves the two migratable ones to vnode 2 within a
     * deadline, the locked ones stay, and then nothing moves any more (2 against 2: no gain).
     */
    @Test
    void shouldSpreadMigratableProcessesToAnIdleVnodeAndLeaveLockedOnesAndThenStop() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Child one = start(1);
            Child two = start(2);
            List<Long> free = new ArrayList<>();
            List<Long> locked = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                locked.add(Long.parseLong(one.ask("spawn-locked home " + programs + " Churn").substring(4)));
                assertEquals("stdout " + locked.getLast() + " churning", one.output());
                free.add(Long.parseLong(one.ask("spawn home " + programs + " Churn").substring(4)));
                assertEquals("stdout " + free.getLast() + " churning", one.output());
            }
            assertEquals("moves 0", one.ask("moves"), "balancing is off until the test turns it on");
            assertEquals("balance on", two.ask("balance on"));
            long began = System.nanoTime();
            assertEquals("balance on", one.ask("balance on"));
            for (long pid : free) {
                eventually(() -> one.ask("proc /proc/" + pid + "/where"), "proc 2");
            }
            long spread = System.nanoTime() - began;
            System.out.printf("mosix balance-spread %.0f ms (2 migratable of 4 on vnode 1 to idle vnode 2)%n", spread / 1e6);
            for (long pid : locked) {
                assertEquals("proc 1", one.ask("proc /proc/" + pid + "/where"), "a locked process stays: " + pid);
            }
            assertEquals("moves 2", one.ask("moves"));
            // Bounded: for two seconds after, neither vnode moves anything (2 against 2 is no gain).
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < until) {
                assertEquals("moves 2", one.ask("moves"), "no move after the spread");
                assertEquals("moves 0", two.ask("moves"), "vnode 2 moves nothing back");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            for (long pid : locked) {
                assertEquals("proc 1", one.ask("proc /proc/" + pid + "/where"), "a locked process stays: " + pid);
            }
            for (long pid : free) {
                assertEquals("proc 2", one.ask("proc /proc/" + pid + "/where"));
            }
            for (long pid : free) {
                assertEquals("ok", one.ask("kill " + pid + " KILL"));
                assertEquals("status 137 (killed by SIGKILL)", one.ask("wait " + pid));
            }
            for (long pid : locked) {
                assertEquals("ok", one.ask("kill " + pid + " KILL"));
            }
        });
    }

    /**
     * A process's stdin at home feeds it wherever it runs: typed at home on vnode 1 while it runs
     * there, on vnode 2, on vnode 3 and at home again, each line reaches it once and in order.
     */
    @Test
    void shouldFeedAProcessItsStdinFromHomeWhereverItRunsAndWhenItComesHome() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Child one = start(1);
            Child two = start(2);
            start(3);
            long pid = Long.parseLong(one.ask("spawn-stdin home " + programs + " Echoer").substring(4));
            assertEquals("stdout " + pid + " ready 0", one.output());
            assertEquals("ok", one.ask("stdin " + pid + " a"));
            assertEquals("stdout " + pid + " echo a", one.output(), "at home, before any move");
            assertEquals("at 2", one.ask("migrate " + pid + " 2"));
            assertEquals("stdout " + pid + " ready 1", one.output());
            assertEquals("ok", one.ask("stdin " + pid + " b"));
            assertEquals("stdout " + pid + " echo b", one.output(), "on vnode 2: relayed from home");
            assertEquals("at 3", two.ask("migrate " + pid + " 3"));
            assertEquals("stdout " + pid + " ready 2", one.output());
            assertEquals("ok", one.ask("stdin " + pid + " c"));
            assertEquals("ok", one.ask("stdin " + pid + " d"));
            assertEquals("stdout " + pid + " echo c", one.output(), "on vnode 3, not its home: re-routed");
            assertEquals("stdout " + pid + " echo d", one.output());
            assertEquals("at 1", one.ask("migrate " + pid + " home"));
            assertEquals("stdout " + pid + " ready 4", one.output());
            assertEquals("ok", one.ask("stdin " + pid + " e"));
            assertEquals("stdout " + pid + " echo e", one.output(), "home again: its stdin still feeds it");
            assertEquals("ok", one.ask("stdin " + pid + " quit"));
            assertTrue(one.ask("wait " + pid).startsWith("status 5 "));
        });
    }

    /**
     * Memory ushering: vnode 1 (128 MiB of heap) runs a 10 MiB and a 90 MiB process, under 20%
     * free; its balancer moves the largest to vnode 2 (512 MiB), the vnode with the most free heap.
     */
    @Test
    void shouldUsherTheLargestProcessOffAVnodeShortOfMemory() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Child one = start(1);
            Child two = start(2, "-Xmx512m");
            long small = Long.parseLong(one.ask("spawn home " + programs + " Holder 10").substring(4));
            assertEquals("stdout " + small + " holding 10", one.output());
            long big = Long.parseLong(one.ask("spawn home " + programs + " Holder 90").substring(4));
            assertEquals("stdout " + big + " holding 90", one.output());
            assertEquals("balance on", two.ask("balance on"));
            assertEquals("balance on", one.ask("balance on"));
            eventually(() -> one.ask("proc /proc/" + big + "/where"), "proc 2");
            String history = one.ask("history");
            assertTrue(history.startsWith("history " + big + ":2:memory"), "the first move: the largest, for memory: "
                    + history);
            assertEquals("ok", one.ask("kill " + big + " KILL"));
            assertEquals("ok", one.ask("kill " + small + " KILL"));
        });
    }

    private static void eventually(Supplier<String> ask, String expected) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        String last;
        while (!(last = ask.get()).equals(expected)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still '" + last + "', not '" + expected + "', after " + DEADLINE);
            }
            LockSupport.parkNanos(20_000_000);
        }
    }
}
