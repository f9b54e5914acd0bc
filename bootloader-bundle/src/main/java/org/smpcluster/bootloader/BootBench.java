package org.smpcluster.bootloader;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeInfo;
import org.smpcluster.api.bootloader.VnodeSpec;

/**
 * {@code ./smpcluster bench boot}: the time of each KMB step and of boot-to-joined, beside a
 * bare {@code java -jar} of the image (to its first command) measured in the same run, on the
 * same CPU, interleaved round by round.
 */
final class BootBench {

    private static final String[] STEPS = {"to-joined", "step1-region", "step2-map", "step3-copy", "step4-mark",
        "step5-devices", "step6-start", "step7-unmap"};

    private final Kmb kmb;

    BootBench(Kmb kmb) {
        this.kmb = kmb;
    }

    void run(int rounds, PrintStream out, PrintStream progress) throws IOException, InterruptedException {
        // The vnodes' join and leave lines would interleave with the figures.
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Level level = root.getLevel();
        root.setLevel(java.util.logging.Level.WARNING);
        try {
            measure(rounds, out, progress);
        } finally {
            root.setLevel(level);
        }
    }

    private void measure(int rounds, PrintStream out, PrintStream progress) throws IOException, InterruptedException {
        List<Integer> cpus = Cpus.online();
        int cpu = cpus.size() > 1 ? cpus.get(1) : cpus.get(0);
        List<long[]> boots = new ArrayList<>();
        long[] warm = new long[rounds];
        long[] bare = new long[rounds];
        VnodeSpec spec = new VnodeSpec(1, List.of(cpu), 64L << 20, List.of(), RestartPolicy.NEVER);
        for (int r = 0; r < rounds; r++) {
            progress.printf("bench boot: round %d/%d: kmb boot, fresh JVM", r + 1, rounds);
            kmb.boot(spec, line -> { }, false);
            boots.add(kmb.lastBoot(1));
            kmb.stop(1);
            progress.print(", with a standby JVM");
            awaitStandby();
            kmb.boot(spec, line -> { }, true);
            warm[r] = kmb.lastBoot(1)[0];
            kmb.stop(1);
            progress.print(", bare java -jar");
            bare[r] = bareJavaJar(cpu, r);
            progress.println();
        }
        for (int i = 1; i < STEPS.length; i++) {
            int step = i;
            out.printf(Locale.ROOT, "boot %s-median %.2f ms%n", STEPS[i],
                    median(boots.stream().mapToLong(b -> b[step]).toArray()) / 1e6);
        }
        long[] restart = restarts(rounds, cpu, progress);
        long[] joined = boots.stream().mapToLong(b -> b[0]).toArray();
        out.printf(Locale.ROOT, "boot kmb-to-joined-fresh-jvm-median %.0f ms%n", median(joined) / 1e6);
        out.printf(Locale.ROOT, "boot kmb-to-joined-fresh-jvm-max %.0f ms%n", Arrays.stream(joined).max().orElse(0) / 1e6);
        out.printf(Locale.ROOT, "boot bare-java-jar-to-first-command-median %.0f ms%n", median(bare) / 1e6);
        out.printf(Locale.ROOT, "boot joined-over-bare-ratio %.2f x%n", median(joined) / median(bare));
        out.printf(Locale.ROOT, "boot kmb-to-joined-with-standby-median %.0f ms%n", median(warm) / 1e6);
        out.printf(Locale.ROOT, "boot kmb-to-joined-with-standby-max %.0f ms%n",
                Arrays.stream(warm).max().orElse(0) / 1e6);
        out.printf(Locale.ROOT, "boot kill-9-to-joined-with-standby-median %.0f ms%n", median(restart) / 1e6);
        out.printf(Locale.ROOT, "boot kill-9-to-joined-with-standby-max %.0f ms%n",
                Arrays.stream(restart).max().orElse(0) / 1e6);
    }

    /**
     * Rounds of kill -9 of a vnode whose policy restarts it, once its standby stands by, to the
     * moment it has joined again.
     */
    private long[] restarts(int rounds, int cpu, PrintStream progress) {
        long[] took = new long[rounds];
        kmb.boot(new VnodeSpec(1, List.of(cpu), 64L << 20, List.of(), RestartPolicy.ALWAYS), line -> { });
        try {
            for (int r = 0; r < rounds; r++) {
                progress.printf("bench boot: restart %d/%d%n", r + 1, rounds);
                awaitStandby();
                VnodeInfo before = info();
                long start = System.nanoTime();
                ProcessHandle.of(before.pid()).ifPresent(ProcessHandle::destroyForcibly);
                long deadline = start + 30_000_000_000L;
                while (true) {
                    VnodeInfo now = info();
                    if (now.pid() != before.pid() && now.state().equals("JOINED")) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("vnode 1 did not come back within 30 s");
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
                took[r] = System.nanoTime() - start;
            }
        } finally {
            kmb.stop(1);
        }
        return took;
    }

    private VnodeInfo info() {
        return kmb.vnodes().stream().filter(v -> v.id() == 1).findFirst().orElseThrow();
    }

    /** Waits until a standby JVM stands by. */
    private void awaitStandby() {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (kmb.readyStandbys() < 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("vnode 1's standby never stood by");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /** A bare {@code java -jar IMAGE} on {@code cpu}, root-only, to its first command's output. */
    private long bareJavaJar(int cpu, int round) throws IOException, InterruptedException {
        String cluster = "bench-bare-" + ProcessHandle.current().pid() + "-" + round;
        List<String> command = List.of("taskset", "-c", Integer.toString(cpu),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dsmpcluster.cluster=" + cluster, "-Dsmpcluster.physmem.size=16m",
                "-Dsmpcluster.script=echo ready", "-jar", kmb.imagePath().toString());
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.strip().equals("ready")) {
                    long took = System.nanoTime() - start;
                    in.transferTo(java.io.Writer.nullWriter());
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                    return took;
                }
            }
            throw new IllegalStateException("the bare image never said ready (exit " + p.waitFor() + ")");
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(Path.of("/dev/shm", "smpcluster-" + cluster));
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length == 0 ? 0 : sorted[(sorted.length - 1) / 2];
    }
}
