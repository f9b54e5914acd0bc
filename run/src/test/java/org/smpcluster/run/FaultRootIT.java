package org.smpcluster.run;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of the root, {@value #REPETITIONS} times: a real root process (the image jar,
 * as {@code ./smpcluster} starts it, booting this machine's default cluster) whose vnode and
 * standby JVMs must all end by themselves within {@value #GONE_MILLIS} ms, leaving no process
 * behind. The root cannot clean up after a SIGKILL; this test removes its physmem file and
 * directories, whatever happened.
 */
@Tag("fault-injection")
class FaultRootIT {

    static final int REPETITIONS = 5;
    static final long GONE_MILLIS = 3500;
    static final long BOOT_DEADLINE_SECONDS = 90;

    private static final FaultFigures FIGURES = new FaultFigures();

    private final String cluster = "faultroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
    private final String physmem = ImageOptions.physmemOf(cluster);
    private Process root;

    private List<Path> launcherTemporariesBefore = List.of();

    @AfterEach
    void cleanUp() throws IOException {
        if (root != null) {
            root.destroyForcibly();
            // What the killed root's launcher could not remove: its framework cache and the jars
            // it unpacked.
            for (Path p : SmpclusterCommandIT.launcherTemporaries()) {
                if (!launcherTemporariesBefore.contains(p)) {
                    delete(p);
                }
            }
        }
        ImageOptions.killVnodes(physmem);
        Files.deleteIfExists(Path.of(physmem));
        String tmp = System.getProperty("java.io.tmpdir");
        for (String dir : List.of("smpcluster-kmb-" + cluster, "smpcluster-vfs-" + cluster)) {
            delete(Path.of(tmp, dir));
        }
    }

    private static void delete(Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException gone) {
            return true;
        }
    }

    @AfterAll
    static void printFigures() {
        System.out.println("FaultRootIT (kill -9 of the root, " + REPETITIONS + " repetitions):\n" + FIGURES.table());
    }

    @Test
    void shouldEndEveryVnodeSoonAfterTheRootIsKilled() throws Exception {
        for (int round = 1; round <= REPETITIONS; round++) {
            List<ProcessHandle> vnodes = bootRoot();
            assertFalse(vnodes.isEmpty(), "the root booted vnode processes");
            long killed = System.nanoTime();
            root.destroyForcibly(); // SIGKILL: nothing of the root's own shutdown runs
            // An orphan is the reaper's child now, and a zombie until it reaps it: ended, though
            // ProcessHandle still counts it alive (SmpclusterCommandIT.awaitEnded reads /proc).
            for (ProcessHandle v : vnodes) {
                long millis = SmpclusterCommandIT.awaitEnded(v.pid(), killed);
                assertTrue(millis >= 0, "vnode process " + v.pid() + " still runs "
                        + (System.nanoTime() - killed) / 1_000_000 + " ms after the root was killed");
            }
            double goneMillis = (System.nanoTime() - killed) / 1e6;
            FIGURES.add("kill -9 of the root", "every vnode gone", goneMillis, GONE_MILLIS);
            assertTrue(goneMillis <= GONE_MILLIS, "round " + round + ": the last vnode ended " + goneMillis
                    + " ms after the root was killed; the bar is " + GONE_MILLIS + " ms");
            assertTrue(SmpclusterCommandIT.vnodeProcesses(physmem).stream().allMatch(FaultRootIT::zombie),
                    "no process of the cluster is left running");
            cleanUp();
        }
    }

    /**
     * Starts the root as {@code ./smpcluster} would (interactive, its stdin a pipe kept open),
     * waits for its cluster to be up and its standby to stand by, and returns the vnode and
     * standby processes.
     */
    private List<ProcessHandle> bootRoot() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-Dsmpcluster.cluster=" + cluster,
                "-Dsmpcluster.startup=kmb:cluster default",
                "-Dsmpcluster.image=" + KernelImage.jar(),
                "-jar", KernelImage.jar().toString());
        launcherTemporariesBefore = SmpclusterCommandIT.launcherTemporaries();
        root = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        CompletableFuture<Void> up = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("faultroot-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(root.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    if (line.contains("cluster '" + cluster + "' up")) {
                        up.complete(null);
                    }
                }
                up.completeExceptionally(new AssertionError("the root ended before its cluster was up:\n" + output));
            } catch (IOException e) {
                up.completeExceptionally(e);
            }
        });
        try {
            up.get(BOOT_DEADLINE_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            synchronized (output) {
                throw new AssertionError("the cluster was not up within " + BOOT_DEADLINE_SECONDS + " s:\n" + output);
            }
        }
        // The vnode, then its standby (started after it joined).
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOOT_DEADLINE_SECONDS);
        List<ProcessHandle> processes = new ArrayList<>();
        while (System.nanoTime() < end) {
            processes = SmpclusterCommandIT.vnodeProcesses(physmem).stream()
                    .flatMap(pid -> ProcessHandle.of(pid).stream()).toList();
            if (processes.size() >= 2) {
                break;
            }
            LockSupport.parkNanos(20_000_000);
        }
        return processes;
    }
}
