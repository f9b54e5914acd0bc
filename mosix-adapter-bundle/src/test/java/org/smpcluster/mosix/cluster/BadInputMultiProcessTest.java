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
 * Issue 12's bad input across vnodes (the same input at one vnode is {@code ProcessTableTest}'s):
 * a jar that is not a jar and an unknown jar or class sent to vnode 2, a main that throws there
 * (status 1 and its stack trace on its stderr, at home), a migration to a vnode that went down
 * (refused, the process unharmed). Every child is killed and the physmem file removed, pass or fail.
 */
class BadInputMultiProcessTest {

    String cluster;
    Kernel root;
    Path programs;
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void boot(TestInfo test) throws IOException {
        cluster = "mosix-bad-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(test.getDisplayName().hashCode());
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
        List<String> command = List.of("taskset", "-c", Integer.toString(vnode % 2),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), MosixVnode.class.getName(),
                MultiProcessTest.SHM.toString(), cluster, Integer.toString(vnode));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        Child c = new Child(p);
        c.expect("ready");
        return c;
    }

    @Test
    void shouldRefuseBadProgramsOnAnotherVnodeAndGiveAThrowingMainStatusOneWithItsStackTraceAtHome(@TempDir Path dir) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Child one = start(1);
            Child two = start(2);
            Path notJar = Files.writeString(dir.resolve("notes.jar"), "this is not a zip file");
            String bad = one.ask("spawn 2 " + notJar + " Main");
            assertTrue(bad.startsWith("err IllegalArgumentException classpath entry=" + notJar + " is not a jar"), bad);
            Path missing = dir.resolve("missing.jar");
            String gone = one.ask("spawn 2 " + missing + " Main");
            assertTrue(gone.startsWith("err IllegalArgumentException classpath entry=" + missing + " does not exist"), gone);
            String unknown = one.ask("spawn 2 " + programs + " NoSuchProgram");
            assertTrue(unknown.startsWith("err IllegalArgumentException class=NoSuchProgram is not on classpath="), unknown);

            long thrower = Long.parseLong(one.ask("spawn 2 " + programs + " Thrower").substring(4));
            assertEquals("status 1 (uncaught java.lang.IllegalStateException: boom)", one.ask("wait " + thrower));
            List<String> err = new ArrayList<>();
            String line;
            while (!(line = one.output()).contains("at Thrower.main(Thrower.java")) {
                err.add(line);
            }
            assertTrue(err.contains("stderr " + thrower + " about to throw"), err.toString());
            assertTrue(err.contains("stderr " + thrower + " Exception in thread \"Thrower\" java.lang.IllegalStateException:"
                    + " boom"), err.toString());
            assertTrue(line.startsWith("stderr " + thrower + " \tat Thrower.main(Thrower.java"), line);

            // vnode 2 is unharmed: it runs the next one, and nothing of the refused ones is in its table
            long exit3 = Long.parseLong(one.ask("spawn 2 " + programs + " Exit3").substring(4));
            assertEquals("status 3 (exited)", one.ask("wait " + exit3));
            String ps = two.ask("ps");
            assertEquals(2, ps.split(",").length, "the thrower and Exit3 only: " + ps);
        });
    }

    @Test
    void shouldRefuseAMigrationToAVnodeThatWentDownAndLeaveTheProcessRunning() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Child one = start(1);
            Child two = start(2);
            long mover = Long.parseLong(one.ask("spawn home " + programs + " Mover 1000000").substring(4));
            for (int i = 0; i < 5; i++) {
                assertEquals("stdout " + mover + " count " + i, one.output());
            }
            two.process.destroyForcibly();
            assertTrue(two.process.waitFor(10, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!one.ask("proc /proc/hpc/nodes/2/status").equals("proc down")) {
                assertTrue(System.nanoTime() < deadline, "vnode 1 never saw vnode 2 go down");
                LockSupport.parkNanos(20_000_000);
            }
            String refused = one.ask("migrate " + mover + " 2");
            assertTrue(refused.startsWith("err IllegalArgumentException vnode=2 is not up (up: [0, 1])"), refused);
            assertEquals("info " + mover + ":1:1:RUNNING", one.ask("info " + mover), "unharmed, at home");
            for (int i = 5; i < 100; i++) {
                assertEquals("stdout " + mover + " count " + i, one.output(), "it goes on counting, no line lost");
            }
            assertEquals("ok", one.ask("kill " + mover + " KILL"));
            assertEquals("status 137 (killed by SIGKILL)", one.ask("wait " + mover));
        });
    }
}
