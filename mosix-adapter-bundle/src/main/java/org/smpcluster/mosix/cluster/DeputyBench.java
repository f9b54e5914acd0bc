package org.smpcluster.mosix.cluster;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.mosix.bench.DeputyStamps;

/**
 * Issue 12's deputy figure in a running cluster: {@link DeputyStamps} run on another vnode (its deputy
 * here) and here, each line timed from its write to its arrival at this vnode's stdout (the
 * deputy's), median and p99. Each side runs twice and the second run counts, so that both JVMs'
 * JIT has compiled the path (a first run measures the compiler threads that share the vnode's CPU).
 * For {@code mosix:bench} ({@code deputy-write-median}, {@code home-write-median}) and the tests.
 */
public final class DeputyBench {

    /** Nanoseconds from a 64-byte write to its arrival here: through a deputy, and at home. */
    public record Figures(long deputyMedian, long deputyP99, long homeMedian, long homeP99, int lines) {
    }

    private DeputyBench() {
    }

    /**
     * @param processes this vnode's process manager (its home for both runs)
     * @param remote    the vnode the deputy run runs on (not this one)
     * @param classPath a jar or directory with {@code org.smpcluster.mosix.bench.DeputyStamps} (the
     *                  bundle's own jar will do: {@link #codeSource()})
     * @param lines     lines per run (3000 is 0.6 s)
     */
    public static Figures measure(ProcessManager processes, int remote, Path classPath, int lines) {
        if (lines < 10) {
            throw new IllegalArgumentException("lines=" + lines + " is too few for a median; use 10 or more");
        }
        run(processes, Placement.on(remote), classPath, lines);
        long[] deputy = run(processes, Placement.on(remote), classPath, lines);
        run(processes, Placement.HOME, classPath, lines);
        long[] home = run(processes, Placement.HOME, classPath, lines);
        return new Figures(deputy[0], deputy[1], home[0], home[1], lines);
    }

    /** Where this class was loaded from (a jar or a classes directory), for {@link #measure}. */
    public static Path codeSource() {
        try {
            return Path.of(DeputyStamps.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot find the code source of " + DeputyStamps.class.getName()
                    + "; pass a class path that has it", e);
        }
    }

    /** {median, p99} of one run's lines. */
    private static long[] run(ProcessManager processes, Placement where, Path classPath, int lines) {
        List<Long> nanos = Collections.synchronizedList(new ArrayList<>(lines));
        ProcessSpec spec = ProcessSpec.of(DeputyStamps.class.getName(), classPath).withArgs(Integer.toString(lines))
                .withName("deputy-bench").withStdout(stamps(nanos)).withStderr(OutputStream.nullOutputStream());
        ProcessInfo p = processes.spawn(spec, where);
        ExitStatus s;
        try {
            s = processes.onExit(p.pid()).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the deputy bench's pid " + p.pid(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the deputy bench's pid " + p.pid() + " on " + where + " did not end: " + e, e);
        }
        if (s.code() != 0 || nanos.size() != lines) {
            throw new IllegalStateException("the deputy bench on " + where + " ended " + s + " with " + nanos.size()
                    + " of " + lines + " lines");
        }
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return new long[] {sorted.get(sorted.size() / 2), sorted.get(Math.min(sorted.size() - 1,
                (int) Math.ceil(sorted.size() * 0.99) - 1))};
    }

    /** Times each stamped line on arrival (the parse after the clock read). */
    private static OutputStream stamps(List<Long> nanos) {
        return new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream(64);

            @Override
            public synchronized void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    if (b[i] != '\n') {
                        line.write(b[i]);
                        continue;
                    }
                    long now = System.nanoTime();
                    String l = line.toString(StandardCharsets.US_ASCII);
                    line.reset();
                    if (l.startsWith("t ")) {
                        nanos.add(now - Long.parseLong(l.substring(2, l.indexOf(' ', 2))));
                    }
                }
            }
        };
    }
}
