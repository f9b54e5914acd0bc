package org.smpcluster.mosix.bench;

import java.io.ByteArrayOutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.mosix.proc.ProcessTable;

/**
 * What the rewrite costs: {@link Work}'s sort, matrix multiply and hash-map workloads run as
 * processes (rewritten: polls at method entries and loops) beside the same classes loaded
 * plainly by a fresh class loader of their own (so both pay the same class loading and JIT
 * warm-up), in the same JVM, interleaved (the order flips every round), median of the rounds.
 * The figure is plain time over process time (1.0: no cost; the bar is 0.9), in CPU time of the
 * thread that does the work (ThreadMXBean), which a loaded machine disturbs less than wall time;
 * the wall-time ratio is printed beside it.
 *
 * <pre>java -cp org.smpcluster.mosix.jar:org.smpcluster.api.jar org.smpcluster.mosix.bench.RewriteBench [ROUNDS]</pre>
 */
public final class RewriteBench {

    private static final String[] WORKLOADS = {"sort", "matmul", "hashmap"};

    private RewriteBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        Path jar = codeSource();
        System.out.println("mosix rewrite bench: " + rounds + " rounds of " + String.join(", ", WORKLOADS)
                + ", each as a process and plainly, interleaved, from " + jar);
        double product = 1;
        try (ProcessTable table = new ProcessTable(0, (name, body) -> {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            return t;
        })) {
            for (String w : WORKLOADS) {
                List<Double> cpuRatios = new ArrayList<>();
                List<Double> wallRatios = new ArrayList<>();
                List<Long> plainCpu = new ArrayList<>();
                List<Long> procCpu = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    long[] p;
                    long[] q;
                    if (r % 2 == 0) {
                        p = plain(jar, w);
                        q = process(table, jar, w);
                    } else {
                        q = process(table, jar, w);
                        p = plain(jar, w);
                    }
                    if (p[2] != q[2]) {
                        throw new IllegalStateException("workload=" + w + ": the process computed " + q[2] + ", plainly " + p[2]);
                    }
                    wallRatios.add((double) p[0] / q[0]);
                    cpuRatios.add((double) p[1] / q[1]);
                    plainCpu.add(p[1]);
                    procCpu.add(q[1]);
                }
                double m = median(cpuRatios);
                product *= m;
                System.out.printf(Locale.ROOT, "mosix rewrite-%s-plain-cpu-median %.1f ms%n", w, medianL(plainCpu) / 1e6);
                System.out.printf(Locale.ROOT, "mosix rewrite-%s-process-cpu-median %.1f ms%n", w, medianL(procCpu) / 1e6);
                System.out.printf(Locale.ROOT, "mosix rewrite-%s-wall-speed-ratio %.3f x%n", w, median(wallRatios));
                System.out.printf(Locale.ROOT, "mosix rewrite-%s-speed-ratio %.3f x%n", w, m);
            }
        }
        try (ProcessTable table = new ProcessTable(0, (name, body) -> {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            return t;
        })) {
            // What a process costs to start and end: spawn (open the jar, load and rewrite the
            // main class) to onExit completed, for a program that does nothing.
            List<Long> ns = new ArrayList<>();
            for (int r = 0; r < 50; r++) {
                long t0 = System.nanoTime();
                long pid = table.spawn(ProcessSpec.of(Work.class.getName(), jar).withArgs("sort", "0")
                        .withStdout(new ByteArrayOutputStream())).pid();
                table.onExit(pid).get(1, TimeUnit.MINUTES);
                ns.add(System.nanoTime() - t0);
            }
            System.out.printf(Locale.ROOT, "mosix spawn-to-exit-median %.2f ms%n", medianL(ns) / 1e6);
        }
        // The geometric mean of the three medians: no workload weighs more for running longer.
        System.out.printf(Locale.ROOT, "mosix rewrite-speed-ratio %.3f x%n", Math.pow(product, 1.0 / WORKLOADS.length));
    }

    private static Path codeSource() throws URISyntaxException {
        return Path.of(Work.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** The same class, unrewritten, from a loader of its own. */
    private static long[] plain(Path jar, String w) throws Exception {
        try (URLClassLoader l = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> c = l.loadClass(Work.class.getName());
            return (long[]) c.getMethod("run", String.class, int.class).invoke(null, w, reps(w));
        }
    }

    /** About a second of work each (on an idle core of the development machine). */
    private static int reps(String w) {
        return switch (w) {
            case "sort" -> 20;
            case "matmul" -> 300;
            default -> 50;
        };
    }

    private static long[] process(ProcessTable table, Path jar, String w) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long pid = table.spawn(ProcessSpec.of(Work.class.getName(), jar).withArgs(w, Integer.toString(reps(w)))
                .withStdout(out).withStderr(System.err).withName("bench-" + w)).pid();
        ExitStatus s = table.onExit(pid).get(5, TimeUnit.MINUTES);
        String[] f = out.toString(StandardCharsets.UTF_8).strip().split(" ");
        if (s.code() != 0 || f.length != 4) {
            throw new IllegalStateException("workload=" + w + " as a process ended " + s + " printing " + out);
        }
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])};
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }

    private static long medianL(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }
}
