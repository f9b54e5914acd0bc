package org.smpcluster.mosix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.proc.TestSupport;
import org.smpcluster.mosix.remote.Deputies;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;

/**
 * The cluster-wide /proc as host files: a root with the MOSIX layer in this JVM (the files'
 * owner, and the home of the processes here) and vnode 1 in its own JVM. The files appear,
 * follow a migration, move a process when its {@code migrate} is written, vanish when the table
 * drops the process, and the directory is gone when the root stops. Every child, the physmem
 * file and the directory go, pass or fail.
 */
class ProcFilesTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private String cluster;
    private Kernel root;
    private MosixNode node;
    private ProcFiles files;
    private Path dir;
    private Path programs;
    private final List<Process> children = new ArrayList<>();

    @BeforeEach
    void boot(TestInfo test) throws IOException {
        cluster = "procfiles-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(test.getDisplayName().hashCode());
        programs = TestSupport.programs();
        root = Kernel.boot(Kernel.Config.root(MultiProcessTest.SHM, cluster, 64L << 20));
        node = new MosixNode(root, root.bridges(), root.portals());
        root.pipeline().attach(InterruptPipeline.KERNEL, Deputies.VECTOR, (v, hits) -> {
            node.interrupt();
            return true;
        });
        dir = ProcFiles.directoryOf(root.physmemPath());
    }

    @AfterEach
    void cleanUp() throws IOException, InterruptedException {
        children.forEach(Process::destroyForcibly);
        for (Process p : children) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        try {
            if (files != null) {
                files.close();
            }
            node.close();
            root.close();
        } finally {
            Files.deleteIfExists(Physmem.pathOf(MultiProcessTest.SHM, cluster));
            if (Files.exists(dir)) {
                try (Stream<Path> s = Files.walk(dir)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    @Test
    void shouldShowTheProcessesAndNodesAsFilesFollowAMoveAndMoveOneWhenItsMigrateIsWritten() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            // A stale directory of a root that was killed: swept when the root starts.
            Files.createDirectories(dir.resolve("42"));
            Files.writeString(dir.resolve("42/where"), "7\n");
            files = new ProcFiles(node, 0, dir, TestSupport::daemon);
            assertFalse(Files.exists(dir.resolve("42")), "the stale directory was swept");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));

            MultiProcessTest.Child one = start(1);
            long pid = node.spawn(ProcessSpec.of("Mover", programs).withArgs("100000").withStdout(TestSupport.sink())).pid();
            Path where = dir.resolve(pid + "/where");
            awaitFile(where, "0\n");
            awaitFile(dir.resolve(pid + "/cantmove"), "can move\n");
            assertTrue(read(dir.resolve(pid + "/stat")).startsWith(pid + " (Mover) R 0 0 0 "), read(dir.resolve(pid
                    + "/stat")));
            awaitFile(dir.resolve("hpc/nodes/0/status"), "up\n");
            assertEquals(Runtime.getRuntime().availableProcessors() + "\n", read(dir.resolve("hpc/nodes/0/cpus")));

            // openMosix's way: a person writes the target into migrate, and the process moves.
            Files.writeString(dir.resolve(pid + "/migrate"), "1\n");
            awaitFile(where, "1\n");
            assertEquals(1, node.info(pid).orElseThrow().currentVnode(), "it runs on vnode 1");
            assertEquals("proc 1", one.ask("proc /proc/" + pid + "/where"));
            awaitFile(dir.resolve(pid + "/migrate"), "1\n");

            node.migrate(pid, Placement.HOME);
            awaitFile(where, "0\n");

            node.signal(pid, Signal.SIGKILL);
            node.onExit(pid).get(20, TimeUnit.SECONDS);
            await("stat says it ended", () -> read(dir.resolve(pid + "/stat")).startsWith(pid + " (Mover) Z "));
            assertTrue(read(dir.resolve(pid + "/status")).contains("Exit:\t137 (killed by SIGKILL)"));
            // The table keeps the last 256 ended processes: 256 more, and this one is dropped.
            for (int i = 0; i < 256; i++) {
                long p = node.spawn(ProcessSpec.of("Exit3", programs).withStdout(TestSupport.sink())).pid();
                node.onExit(p).get(20, TimeUnit.SECONDS);
            }
            await("the dropped process's directory is gone", () -> !Files.exists(dir.resolve(Long.toString(pid))));

            files.close();
            files = null;
            assertFalse(Files.exists(dir), "the root's orderly stop removes the directory");
        });
    }

    @Test
    void shouldRefuseADirectoryThatIsALink() throws Exception {
        Path target = Files.createTempDirectory("procfiles-target");
        try {
            Files.createSymbolicLink(dir, target);
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> new ProcFiles(node, 0, dir, TestSupport::daemon));
            assertTrue(e.getMessage().contains("is not a directory (a link or a file)"), e.getMessage());
            assertTrue(Files.isDirectory(target), "nothing behind the link was touched");
        } finally {
            Files.deleteIfExists(dir);
            Files.deleteIfExists(target);
        }
    }

    private MultiProcessTest.Child start(int vnode) throws Exception {
        List<String> command = List.of("taskset", "-c", Integer.toString(vnode % 2),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), MosixVnode.class.getName(),
                MultiProcessTest.SHM.toString(), cluster, Integer.toString(vnode));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        MultiProcessTest.Child c = new MultiProcessTest.Child(p);
        c.expect("ready");
        return c;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static void awaitFile(Path file, String content) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        String last;
        while (!(last = read(file)).equals(content)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " still holds '" + last + "', not '" + content + "', after " + DEADLINE);
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + DEADLINE);
            }
            LockSupport.parkNanos(10_000_000);
        }
    }
}
