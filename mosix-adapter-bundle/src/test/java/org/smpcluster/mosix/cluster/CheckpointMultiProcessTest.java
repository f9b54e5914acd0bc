package org.smpcluster.mosix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.mosix.cluster.MultiProcessTest.Child;
import org.smpcluster.mosix.proc.TestSupport;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;

/**
 * Checkpoint and restart across vnode JVMs: a root in this JVM, vnodes 1 and 2 in their own.
 * When vnode 2 is killed with SIGKILL, the checkpointed processes its home (vnode 1) ran there
 * start again from their last checkpoint and finish with the right result; a checkpoint taken at
 * home restarts on vnode 2 with a new PID; a home has the vnode where its process runs checkpoint
 * it; a vnode with a small heap kills the process that allocates without bound. Every child is killed and the physmem file removed,
 * pass or fail.
 */
class CheckpointMultiProcessTest {

    static final Path SHM = MultiProcessTest.SHM;

    String cluster;
    Kernel root;
    Path programs;
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void boot(TestInfo test) throws IOException {
        cluster = "mosix-ck-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(test.getDisplayName().hashCode());
        programs = TestSupport.programs();
        root = Kernel.boot(Kernel.Config.root(SHM, cluster, 64L << 20));
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
            Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
        }
        assertFalse(Files.exists(Physmem.pathOf(SHM, cluster)));
    }

    Child start(int vnode) throws Exception {
        return start(vnode, "-Xmx128m");
    }

    Child start(int vnode, String heap) throws Exception {
        List<String> command = List.of("taskset", "-c", Integer.toString(vnode % 2),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                heap, "-cp", System.getProperty("java.class.path"), MosixVnode.class.getName(), SHM.toString(),
                cluster, Integer.toString(vnode));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        Child c = new Child(p);
        c.expect("ready");
        return c;
    }

    private static long pid(String answer) {
        assertTrue(answer.startsWith("pid "), answer);
        return Long.parseLong(answer.split(" ")[1]);
    }

    @Test
    void shouldRestartCheckpointedProcessesFromTheirLastCheckpointWhenTheirVnodeIsKilled(@TempDir Path dir) {
        assertTimeoutPreemptively(Duration.ofSeconds(150), () -> {
            Child one = start(1);
            Child two = start(2);
            long n = 4000;
            long a = pid(one.ask("spawnck 2 " + programs + " Summer " + dir.resolve("a.ckpt") + " 200 " + n));
            long b = pid(one.ask("spawnck 2 " + programs + " Summer " + dir.resolve("b.ckpt") + " 200 " + n));
            assertEquals("info " + a + ":1:2:RUNNING", one.ask("info " + a));
            // mid-way: both past 1000 and each with a checkpoint on disk
            Map<Long, Long> at = new HashMap<>(Map.of(a, 0L, b, 0L));
            while (at.get(a) < 1000 || at.get(b) < 1000) {
                String[] w = one.output().split(" ");
                if (w[2].equals("at")) {
                    at.put(Long.parseLong(w[1]), Long.parseLong(w[3]));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(dir.resolve("a.ckpt")) || !Files.exists(dir.resolve("b.ckpt"))) {
                assertTrue(System.nanoTime() < deadline, "no checkpoints were written: " + dir);
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
            long killedAt = System.nanoTime();
            two.process.destroyForcibly(); // SIGKILL: the JVM of vnode 2 and its processes are gone at once
            assertTrue(two.process.waitFor(10, TimeUnit.SECONDS));

            Map<Long, Long> restored = new HashMap<>();
            Map<Long, String> sums = new HashMap<>();
            long runningAgain = 0;
            while (sums.size() < 2) {
                String line = one.output();
                String[] w = line.split(" ");
                long p = Long.parseLong(w[1]);
                if (line.contains(" restored at ")) {
                    restored.put(p, Long.parseLong(w[4]));
                    if (restored.size() == 2) {
                        runningAgain = System.nanoTime();
                    }
                } else if (w[2].equals("sum")) {
                    sums.put(p, w[3]);
                }
            }
            System.out.printf("mosix restart-after-kill %d ms (SIGKILL of the vnode to both restored and running)%n",
                    (runningAgain - killedAt) / 1_000_000);
            String right = Long.toString(n * (n - 1) / 2);
            assertEquals(Map.of(a, right, b, right), sums, "both finish with the right sum");
            assertEquals(2, restored.size(), "both restarted from a checkpoint: " + restored);
            restored.forEach((p, from) -> assertTrue(from > 0, "pid " + p + " went on from its checkpoint at " + from
                    + ", not from zero"));
            assertEquals("status 0 (exited)", one.ask("wait " + a), "its parent's wait gets the restarted one's status");
            assertEquals("status 0 (exited)", one.ask("wait " + b));
            String info = one.ask("info " + a);
            assertTrue(info.equals("info " + a + ":1:1:EXITED(0)"), "restarted at home, the one live vnode with a"
                    + " process table (the root of this test runs none), same PID: " + info);
        });
    }

    /** -C and -A travel with a migration: after the move, the vnode it moved to writes its checkpoints. */
    @Test
    void shouldGoOnCheckpointingWhereAProcessMovedTo(@TempDir Path dir) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Child one = start(1);
            start(2);
            Path file = dir.resolve("moving.ckpt");
            long a = pid(one.ask("spawnck home " + programs + " Summer " + file + " 100 100000"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(file)) {
                assertTrue(System.nanoTime() < deadline, "no checkpoint at home");
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
            assertEquals("at 2", one.ask("migrate " + a + " 2"));
            long moved = System.currentTimeMillis();
            // a checkpoint written after the move can only be vnode 2's: home no longer runs it
            while (org.smpcluster.mosix.checkpoint.CheckpointFile.read(file,
                    org.smpcluster.mosix.checkpoint.CheckpointFile::hostPath).writtenMillis() <= moved + 50) {
                assertTrue(System.nanoTime() < deadline, "vnode 2 never checkpointed it");
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
            }
            assertEquals("info " + a + ":1:2:RUNNING", one.ask("info " + a));
            assertEquals("ok", one.ask("kill " + a + " KILL"));
            assertEquals("status 137 (killed by SIGKILL)", one.ask("wait " + a));
        });
    }

    /**
     * Issue 12's OOM killer: in a vnode JVM with a small heap, a program that allocates without
     * bound beside one that sums: the allocator is killed with the OOM status, the other finishes
     * with the right sum, and the vnode runs processes on.
     */
    @Test
    void shouldKillTheProcessThatAllocatesWithoutBoundAndKeepTheVnodeAndTheOtherOne() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Child one = start(1, "-Xmx96m");
            long n = 3000;
            long calm = pid(one.ask("spawn home " + programs + " Summer " + n));
            long hog = pid(one.ask("spawn home " + programs + " Hog 256 10"));
            String status = one.ask("wait " + hog);
            System.out.println("mosix oom-status " + status);
            assertTrue(status.startsWith("status 137 (killed by SIGKILL: out of memory, vnode 1 heap "), status);
            String line;
            while (!(line = one.output()).startsWith("stdout " + calm + " sum ")) {
                assertFalse(line.startsWith("stderr " + calm), "the other one is unharmed: " + line);
            }
            assertEquals("stdout " + calm + " sum " + n * (n - 1) / 2, line);
            assertEquals("status 0 (exited)", one.ask("wait " + calm));
            long after = pid(one.ask("spawn home " + programs + " Exit3"));
            assertEquals("status 3 (exited)", one.ask("wait " + after), "the vnode lives and runs processes");
        });
    }

    @Test
    void shouldRestartAHomeCheckpointOnAnotherVnodeWithANewPidAndRefuseBrokenFiles(@TempDir Path dir) {
        assertTimeoutPreemptively(Duration.ofSeconds(150), () -> {
            Child one = start(1);
            start(2);
            long n = 2000;
            long a = pid(one.ask("spawn home " + programs + " Summer " + n));
            while (!one.output().equals("stdout " + a + " at 300")) {
                // counting
            }
            Path file = dir.resolve("home.ckpt");
            assertEquals("file " + file, one.ask("checkpoint " + a + " " + file));
            assertEquals("ok", one.ask("kill " + a + " KILL"));
            assertEquals("status 137 (killed by SIGKILL)", one.ask("wait " + a));

            String restarted = one.ask("restart " + file + " 2");
            assertTrue(restarted.matches("pid \\d+ at 2"), restarted);
            long b = pid(restarted);
            assertNotEquals(a, b, "its old PID is still in the table (ended): a new one");
            assertEquals(1, b / 1_000_000, "its home is the vnode that restarted it");
            String line;
            while (!(line = one.output()).startsWith("stdout " + b + " restored at ")) {
                assertFalse(line.startsWith("stdout " + b + " sum"), "it said where it was restored first: " + line);
            }
            assertTrue(Long.parseLong(line.split(" ")[4]) >= 300, line);
            while (!(line = one.output()).startsWith("stdout " + b + " sum ")) {
                // counting on vnode 2, its lines come home
            }
            assertEquals("stdout " + b + " sum " + n * (n - 1) / 2, line);
            assertEquals("status 0 (exited)", one.ask("wait " + b));

            String missing = one.ask("restart " + dir.resolve("none") + " 2");
            assertEquals("err IllegalArgumentException file=" + dir.resolve("none") + ": no such checkpoint file", missing);
            Files.write(dir.resolve("cut"), java.util.Arrays.copyOf(Files.readAllBytes(file), 40));
            String cut = one.ask("restart " + dir.resolve("cut") + " home");
            assertTrue(cut.startsWith("err IllegalArgumentException file=" + dir.resolve("cut") + ": truncated"), cut);
            String down = one.ask("restart " + file + " 5");
            assertTrue(down.startsWith("err IllegalArgumentException vnode=5 is not up"), down);

            // its home asks vnode 2, where it runs, for the checkpoint
            long c = pid(one.ask("spawn 2 " + programs + " Summer 100000"));
            while (!one.output().equals("stdout " + c + " at 200")) {
                // counting on vnode 2
            }
            assertEquals("file " + dir.resolve("c.ckpt"), one.ask("checkpoint " + c + " " + dir.resolve("c.ckpt")));
            org.smpcluster.mosix.proc.Frozen f = org.smpcluster.mosix.checkpoint.CheckpointFile.read(dir.resolve("c.ckpt"),
                    org.smpcluster.mosix.checkpoint.CheckpointFile::hostPath).frozen();
            assertEquals(c, f.pid());
            assertTrue(Long.parseLong(new String(f.resume().state()).split(" ")[0]) >= 200, "its state, from vnode 2");
            long spin = pid(one.ask("spawn 2 " + programs + " Spin"));
            String refused = one.ask("checkpoint " + spin + " " + dir.resolve("spin.ckpt"));
            assertTrue(refused.startsWith("err IllegalArgumentException pid=" + spin + " cannot be checkpointed: pid=" + spin
                    + " cannot move: cantmove=not migratable"), refused);
            assertEquals("ok", one.ask("kill " + c + " KILL"));
            assertEquals("ok", one.ask("kill " + spin + " KILL"));
        });
    }
}
