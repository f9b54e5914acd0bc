package org.smpcluster.nanokernel.bench;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.layout.Shm;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.nanokernel.portal.InterruptThread;

/**
 * {@code ./smpcluster bench portal}: interrupt delivery between two vnode processes pinned to
 * different CPUs, beside a loopback TCP round trip measured in the same run.
 *
 * <p>The root (this process, on CPU 0) pings vnode 1 (a child process on CPU 1) through a
 * portal; vnode 1's handler stamps the time it ran and pings back. One-way latency is the
 * child's stamp minus the root's send time (CLOCK_MONOTONIC is one clock for all processes);
 * the round trip is the root's receive time minus its send time. Each round measures the
 * interrupt thread spinning, then futex-waiting, then TCP, each with a fresh child, so the
 * modes interleave and no spinning thread of one mode steals the CPU of another.
 */
public final class PortalBench {

    private static final int PING = 20;
    private static final int PONG = 21;
    private static final long SENT = 0;
    private static final long STAMPED = 64;
    /** System property: a compiled futex_floor.c to measure alongside, if the machine has a C compiler. */
    static final String FLOOR = "smpcluster.bench.floor";

    private PortalBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("echo")) {
            echo(Path.of(args[1]), args[2], Long.parseLong(args[3]));
            return;
        }
        if (args.length > 0 && args[0].equals("tcp-echo")) {
            tcpEcho(Integer.parseInt(args[1]));
            return;
        }
        int rounds = 5;
        int samples = 20_000;
        int warmup = 2_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = positive(args, ++i);
                case "--samples" -> samples = positive(args, ++i);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("""
                            Usage: ./smpcluster bench portal [--rounds N] [--samples N] [--warmup N]

                            Interrupt delivery between two vnode processes pinned to CPUs 0 and 1:
                            one-way latency and round trip, median and p99, with the interrupt
                            thread spinning and futex-waiting, beside a loopback TCP round trip
                            measured in the same run. Rounds interleave the three modes.
                            Prints one line per figure: <benchmark> <figure> <value> <unit>.
                            Defaults: --rounds 5 --samples 20000 --warmup 2000""");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'; try --help");
            }
        }
        // The vnodes' INFO lines (joins, leaves) would interleave with the figures.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        new PortalBench().run(rounds, samples, warmup);
    }

    private static int positive(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a number");
        }
        int n = Integer.parseInt(args[i]);
        if (n < 1) {
            throw new IllegalArgumentException(args[i - 1] + " must be at least 1, got " + n);
        }
        return n;
    }

    private void run(int rounds, int samples, int warmup) throws Exception {
        pin(ProcessHandle.current().pid(), 0);
        List<long[]> spinOneWay = new ArrayList<>();
        List<long[]> spinRtt = new ArrayList<>();
        List<long[]> futexOneWay = new ArrayList<>();
        List<long[]> futexRtt = new ArrayList<>();
        List<long[]> tcpRtt = new ArrayList<>();
        List<long[]> floorOneWay = new ArrayList<>();
        String floor = System.getProperty(FLOOR);
        for (int r = 1; r <= rounds; r++) {
            System.err.printf("bench portal: round %d/%d: spin", r, rounds);
            long[][] spin = portal(InterruptThread.SPIN_FOREVER, samples, warmup);
            spinOneWay.add(spin[0]);
            spinRtt.add(spin[1]);
            System.err.print(", futex");
            long[][] futex = portal(0, samples, warmup);
            futexOneWay.add(futex[0]);
            futexRtt.add(futex[1]);
            System.err.print(", tcp");
            tcpRtt.add(tcp(samples, warmup));
            if (floor != null) {
                System.err.print(", C futex floor");
                floorOneWay.add(floor(floor, samples, warmup));
            }
            System.err.println();
        }
        report("one-way-spin", spinOneWay);
        report("one-way-futex", futexOneWay);
        report("round-trip-spin", spinRtt);
        report("round-trip-futex", futexRtt);
        report("round-trip-tcp-loopback", tcpRtt);
        if (floor != null) {
            report("one-way-futex-c-floor", floorOneWay);
        }
        System.out.printf(Locale.ROOT, "portal tcp-over-futex-round-trip-ratio %.1f x%n",
                median(tcpRtt) / median(futexRtt));
        System.out.printf(Locale.ROOT, "portal tcp-over-spin-round-trip-ratio %.1f x%n",
                median(tcpRtt) / median(spinRtt));
        if (floor != null) {
            System.out.printf(Locale.ROOT, "portal futex-over-c-floor-one-way-ratio %.2f x%n",
                    median(futexOneWay) / median(floorOneWay));
        }
    }

    /** One block of portal ping-pongs with a fresh cluster and child; returns {one-way, rtt}. */
    private long[][] portal(long spinNanos, int samples, int warmup) throws Exception {
        Path dir = Physmem.DEFAULT_DIRECTORY;
        String cluster = "bench-" + ProcessHandle.current().pid();
        long[] oneWay = new long[samples];
        long[] rtt = new long[samples];
        int total = warmup + samples;
        CountDownLatch done = new CountDownLatch(1);
        try (Kernel root = Kernel.boot(new Kernel.Config(dir, cluster, Nanokernel.ROOT, 16L << 20, spinNanos, 0,
                java.time.Duration.ofSeconds(5)));
                Bridge bench = root.bridges().open("bench", 4096)) {
            MemorySegment s = bench.segment();
            int[] i = {0};
            root.pipeline().attach(InterruptPipeline.KERNEL, PONG, (v, hits) -> {
                long received = System.nanoTime();
                long sent = Shm.getLongAcquire(s, SENT);
                long stamped = Shm.getLongAcquire(s, STAMPED);
                int n = i[0]++;
                if (n >= warmup) {
                    oneWay[n - warmup] = stamped - sent;
                    rtt[n - warmup] = received - sent;
                }
                if (n + 1 < total) {
                    Shm.setLongRelease(s, SENT, System.nanoTime());
                    root.portals().raise(1, PING);
                } else {
                    done.countDown();
                }
                return false;
            });
            Process child = child(List.of("echo", dir.toString(), cluster, Long.toString(spinNanos)));
            try {
                awaitLine(child, "ready");
                Shm.setLongRelease(s, SENT, System.nanoTime());
                root.portals().raise(1, PING);
                if (!done.await(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("ping-pong stalled after " + i[0] + " of " + total);
                }
            } finally {
                child.getOutputStream().close();
                if (!child.waitFor(10, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            }
        } finally {
            Files.deleteIfExists(Physmem.pathOf(dir, cluster));
        }
        return new long[][] {oneWay, rtt};
    }

    /** The child of a portal block: vnode 1, answering every ping. */
    private static void echo(Path dir, String cluster, long spinNanos) throws IOException {
        try (Kernel vnode = Kernel.boot(new Kernel.Config(dir, cluster, 1, 0, spinNanos, 0,
                java.time.Duration.ofSeconds(5)));
                Bridge bench = vnode.bridges().open("bench", 4096)) {
            MemorySegment s = bench.segment();
            vnode.pipeline().attach(InterruptPipeline.KERNEL, PING, (v, hits) -> {
                Shm.setLongRelease(s, STAMPED, System.nanoTime());
                vnode.portals().raise(Nanokernel.ROOT, PONG);
                return false;
            });
            System.out.println("ready");
            System.out.flush();
            System.in.read();
        }
    }

    /** A block of loopback TCP round trips of 8 bytes with a fresh child. */
    private long[] tcp(int samples, int warmup) throws Exception {
        long[] rtt = new long[samples];
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Process child = child(List.of("tcp-echo", Integer.toString(server.getLocalPort())));
            try (Socket socket = server.accept()) {
                socket.setTcpNoDelay(true);
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                DataInputStream in = new DataInputStream(socket.getInputStream());
                for (int n = 0; n < warmup + samples; n++) {
                    long sent = System.nanoTime();
                    out.writeLong(sent);
                    out.flush();
                    in.readLong();
                    long received = System.nanoTime();
                    if (n >= warmup) {
                        rtt[n - warmup] = received - sent;
                    }
                }
            } finally {
                child.getOutputStream().close();
                if (!child.waitFor(10, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            }
        }
        return rtt;
    }

    private static void tcpEcho(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            while (true) {
                long value;
                try {
                    value = in.readLong();
                } catch (java.io.EOFException e) {
                    return;
                }
                out.writeLong(value);
                out.flush();
            }
        }
    }

    /** A block of the C futex ping-pong (it pins itself to CPUs 0 and 1). */
    private static long[] floor(String binary, int samples, int warmup) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(binary, Integer.toString(samples), Integer.toString(warmup))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long[] oneWay;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            oneWay = out.lines().mapToLong(Long::parseLong).toArray();
        }
        if (p.waitFor() != 0 || oneWay.length != samples) {
            throw new IllegalStateException(binary + " exited " + p.exitValue() + " with " + oneWay.length + " samples");
        }
        return oneWay;
    }

    /** Starts this class in a child JVM pinned to CPU 1. */
    private static Process child(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of("taskset", "-c", "1",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), PortalBench.class.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void awaitLine(Process child, String line) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String got = out.readLine();
        if (!line.equals(got)) {
            throw new IllegalStateException("the child said '" + got + "' instead of '" + line + "'");
        }
    }

    /** Pins process {@code pid} (all its threads) to {@code cpu} with taskset. */
    private static void pin(long pid, int cpu) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", Integer.toString(cpu), Long.toString(pid))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("taskset could not pin pid " + pid + " to CPU " + cpu);
        }
    }

    private static void report(String figure, List<long[]> blocks) {
        long[] all = merge(blocks);
        System.out.printf(Locale.ROOT, "portal %s-median %.2f us%n", figure, percentile(all, 50) / 1000.0);
        System.out.printf(Locale.ROOT, "portal %s-p99 %.2f us%n", figure, percentile(all, 99) / 1000.0);
    }

    private static double median(List<long[]> blocks) {
        return percentile(merge(blocks), 50);
    }

    private static long[] merge(List<long[]> blocks) {
        long[] all = blocks.stream().flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(all);
        return all;
    }

    private static double percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
