package org.smpcluster.mosix.cluster;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.remote.Deputies;
import org.smpcluster.nanokernel.Kernel;

/**
 * A joiner vnode with the MOSIX layer, in its own JVM, for the multi-process tests:
 * {@code MosixVnode DIR CLUSTER VNODE}. One answer line per command on stdin: {@code spawn
 * VNODE CLASSPATH CLASS ARGS...} ({@code pid N}; each line the process prints comes as
 * {@code stdout PID LINE} or {@code stderr PID LINE}), {@code ps}, {@code info PID}, {@code kill PID
 * SIGNAL}, {@code wait PID}, {@code migrate PID VNODE|home} ({@code at VNODE}), {@code timed-migrate PID
 * VNODE|home} ({@code at VNODE NANOS}), {@code spawnck VNODE CLASSPATH CLASS FILE MILLIS ARGS...} (a spawn
 * with checkpoints to FILE every MILLIS), {@code checkpoint PID FILE} ({@code file FILE}), {@code restart
 * FILE VNODE|home|best} ({@code pid N at VNODE}),
 * {@code balance on|off}, {@code moves} ({@code moves N}: the
 * balancer's), {@code history} ({@code history PID:TO:WHY,...}), {@code spawn-locked ...} (as spawn, mosrun -L), {@code spawn-stdin ...} (as spawn, with a stdin that
 * {@code stdin PID TEXT} types a line into), {@code deputy-bench VNODE LINES} ({@code bench DEPUTY_MEDIAN
 * DEPUTY_P99 HOME_MEDIAN HOME_P99}, ns).
 */
public final class MosixVnode {

    static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        int vnode = Integer.parseInt(args[2]);
        Kernel kernel = Kernel.boot(Kernel.Config.joiner(Path.of(args[0]), args[1], vnode));
        MosixNode node = new MosixNode(kernel, kernel.bridges(), kernel.portals());
        node.balancer().enabled(false); // the tests that want it say "balance on"
        kernel.pipeline().attach(InterruptPipeline.KERNEL, Deputies.VECTOR, (v, hits) -> {
            node.interrupt();
            return true;
        });
        say("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.split(" ");
            long began = System.nanoTime();
            try {
                switch (w[0]) {
                    case "spawn", "spawn-locked", "spawn-stdin" -> {
                        ProcessSpec spec = ProcessSpec.of(w[3], Path.of(w[2])).withArgs(Arrays.copyOfRange(w, 4, w.length))
                                .withLocked(w[0].equals("spawn-locked"));
                        Keyboard keys = w[0].equals("spawn-stdin") ? new Keyboard() : null;
                        spec = spec.withStdin(keys);
                        long[] pid = new long[1];
                        spec = spec.withStdout(lines("stdout", pid)).withStderr(lines("stderr", pid));
                        ProcessInfo p;
                        try {
                            p = node.spawn(spec, Placement.parse(w[1]));
                        } catch (RuntimeException e) {
                            synchronized (pid) {
                                pid[0] = -1;
                            }
                            throw e;
                        }
                        synchronized (pid) {
                            pid[0] = p.pid();
                        }
                        if (keys != null) {
                            KEYBOARDS.put(p.pid(), keys);
                        }
                        say("pid " + p.pid());
                        spec.stdout().flush();
                        spec.stderr().flush();
                    }
                    case "spawnck" -> {
                        // spawnck VNODE CLASSPATH CLASS FILE MILLIS ARGS...: with -C FILE -A MILLIS
                        ProcessSpec spec = ProcessSpec.of(w[3], Path.of(w[2])).withArgs(Arrays.copyOfRange(w, 6, w.length))
                                .withCheckpoints(Path.of(w[4]), java.time.Duration.ofMillis(Long.parseLong(w[5])));
                        long[] pid = new long[1];
                        spec = spec.withStdout(lines("stdout", pid)).withStderr(lines("stderr", pid));
                        ProcessInfo p = node.spawn(spec, Placement.parse(w[1]));
                        synchronized (pid) {
                            pid[0] = p.pid();
                        }
                        say("pid " + p.pid());
                        spec.stdout().flush();
                        spec.stderr().flush();
                    }
                    case "checkpoint" -> say("file " + node.checkpoint(Long.parseLong(w[1]), Path.of(w[2])));
                    case "restart" -> {
                        long[] pid = new long[1];
                        OutputStream out = lines("stdout", pid);
                        OutputStream err = lines("stderr", pid);
                        ProcessInfo p = node.restart(Path.of(w[1]), Placement.parse(w[2]), out, err);
                        synchronized (pid) {
                            pid[0] = p.pid();
                        }
                        say("pid " + p.pid() + " at " + p.currentVnode());
                        out.flush();
                        err.flush();
                    }
                    case "timed-migrate" -> {
                        long t0 = System.nanoTime();
                        int at = node.migrate(Long.parseLong(w[1]), Placement.parse(w[2])).currentVnode();
                        say("at " + at + " " + (System.nanoTime() - t0));
                    }
                    case "migrate" -> say("at " + node.migrate(Long.parseLong(w[1]), Placement.parse(w[2])).currentVnode());
                    case "lat" -> say("lat " + latencies());
                    case "balance" -> {
                        node.balancer().enabled(w[1].equals("on"));
                        say("balance " + (node.balancer().enabled() ? "on" : "off"));
                    }
                    case "moves" -> say("moves " + node.balancer().moves());
                    case "history" -> say("history " + node.balancer().history().stream()
                            .map(m -> m.pid() + ":" + m.to() + ":" + m.why()).collect(Collectors.joining(",")));
                    case "stdin" -> {
                        KEYBOARDS.get(Long.parseLong(w[1])).type(String.join(" ", Arrays.copyOfRange(w, 2, w.length)) + "\n");
                        say("ok");
                    }
                    case "deputy-bench" -> {
                        DeputyBench.Figures f = DeputyBench.measure(node, Integer.parseInt(w[1]),
                                DeputyBench.codeSource(), Integer.parseInt(w[2]));
                        say("bench " + f.deputyMedian() + " " + f.deputyP99() + " " + f.homeMedian() + " " + f.homeP99());
                    }
                    case "proc" -> say("proc " + node.procFs().read(w[1]).strip().replace('\n', '|'));
                    case "ps" -> say("ps " + show(node.processes()));
                    case "info" -> say("info " + node.info(Long.parseLong(w[1])).map(MosixVnode::show).orElse("none"));
                    case "kill" -> {
                        node.signal(Long.parseLong(w[1]), Signal.parse(w[2]));
                        say("ok");
                    }
                    case "wait" -> say("status " + node.onExit(Long.parseLong(w[1])).get(20, TimeUnit.SECONDS));
                    default -> say("err no command " + w[0]);
                }
            } catch (Exception e) {
                say("err " + e.getClass().getSimpleName() + " " + e.getMessage());
            }
            System.err.println("vnode " + vnode + ": '" + w[0] + "' took " + (System.nanoTime() - began) / 1_000_000 + " ms");
        }
        node.close();
        kernel.close();
    }

    static String show(List<ProcessInfo> all) {
        return all.stream().map(MosixVnode::show).collect(Collectors.joining(","));
    }

    static String show(ProcessInfo p) {
        return p.pid() + ":" + p.homeVnode() + ":" + p.currentVnode() + ":" + p.state()
                + p.exit().map(x -> "(" + x.code() + ")").orElse("");
    }

    /**
     * Each line written is said as {@code TAG PID LINE}; lines that come before the PID is
     * known (the program runs before the spawn returns) wait in order, without blocking the
     * writer (the deputies' thread, which must go on to read the spawn's answer).
     */
    static OutputStream lines(String tag, long[] pid) {
        return new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();
            private final java.util.List<String> early = new java.util.ArrayList<>();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    String l = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (l.startsWith("t ")) {
                        // a stamped line (the Stamps program): how long from its write to here, its
                        // home; counted, not said, so that the harness's own output does not queue them
                        stamp(System.nanoTime() - Long.parseLong(l.split(" ")[1]));
                        return;
                    }
                    early.add(l);
                    flush();
                } else {
                    line.write(b);
                }
            }

            @Override
            public synchronized void flush() {
                long p;
                synchronized (pid) {
                    p = pid[0];
                }
                if (p > 0) {
                    early.forEach(l -> say(tag + " " + p + " " + l));
                    early.clear();
                }
            }
        };
    }

    private static final java.util.Map<Long, Keyboard> KEYBOARDS = new java.util.concurrent.ConcurrentHashMap<>();

    /** A process's stdin that the harness types into ({@code stdin PID TEXT}); available() says what is typed. */
    static final class Keyboard extends java.io.InputStream {
        private final java.util.concurrent.LinkedBlockingQueue<Integer> typed = new java.util.concurrent.LinkedBlockingQueue<>();

        void type(String s) {
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                typed.add(b & 0xff);
            }
        }

        @Override
        public int read() throws java.io.IOException {
            try {
                return typed.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws java.io.IOException {
            if (len == 0) {
                return 0;
            }
            b[off] = (byte) read();
            int n = 1;
            for (Integer next; n < len && (next = typed.poll()) != null; n++) {
                b[off + n] = (byte) (int) next;
            }
            return n;
        }

        @Override
        public int available() {
            return typed.size();
        }
    }

    private static final java.util.List<Long> LATENCIES = new java.util.ArrayList<>();

    static void stamp(long nanos) {
        synchronized (LATENCIES) {
            LATENCIES.add(nanos);
        }
    }

    /** {@code MEDIAN P99 COUNT} in nanoseconds of the stamped lines since the last call, the first 100 left out (warm-up). */
    static String latencies() {
        synchronized (LATENCIES) {
            java.util.List<Long> l = new java.util.ArrayList<>(LATENCIES.subList(Math.min(100, LATENCIES.size()),
                    LATENCIES.size()));
            LATENCIES.clear();
            if (l.isEmpty()) {
                return "0 0 0";
            }
            java.util.Collections.sort(l);
            return l.get(l.size() / 2) + " " + l.get(Math.min(l.size() - 1, (int) (l.size() * 0.99))) + " " + l.size();
        }
    }

    static synchronized void say(String s) {
        OUT.println(s);
    }
}
