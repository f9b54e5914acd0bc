package org.smpcluster.mosix.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.smpcluster.mosix.proc.TestSupport;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;

/**
 * Issue 12's balancing figure, in the harness: {@code N} {@code Crunch} processes (each
 * {@code MS} ms of CPU, migratable) started at home on vnode 1 of two vnodes on distinct CPUs
 * (1 on CPU 1, 2 on CPU 0), wall time from the first spawn to the last exit, with the balancer
 * off and on, beside the ideal {@code ceil(N/2) * T} where T is one alone, in the same run. Every
 * child and the physmem file go, pass or fail.
 *
 * <pre>java -cp TEST_CLASSPATH org.smpcluster.mosix.cluster.BalanceBench [N] [MS]</pre>
 */
public final class BalanceBench {

    private BalanceBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int ms = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        String cluster = "mosix-balance-" + ProcessHandle.current().pid();
        Path shm = MultiProcessTest.SHM;
        Path programs = TestSupport.programs();
        List<Process> children = new ArrayList<>();
        Kernel root = Kernel.boot(Kernel.Config.root(shm, cluster, 64L << 20));
        try {
            MultiProcessTest.Child one = start(children, shm, cluster, 1);
            MultiProcessTest.Child two = start(children, shm, cluster, 2);
            double t = run(one, programs, 1, ms);
            double unbalanced = run(one, programs, n, ms);
            two.ask("balance on");
            one.ask("balance on");
            double balanced = run(one, programs, n, ms);
            String moves = one.ask("moves");
            double ideal = Math.ceil(n / 2.0) * t;
            System.out.printf(Locale.ROOT, "mosix balanced-over-ideal-ratio %.3f x    (%d x %d ms on vnode 1 of 2: %.0f ms,"
                    + " ideal %.0f ms, one alone %.0f ms, %s)%nmosix unbalanced-over-ideal-ratio %.3f x  (%.0f ms)%n",
                    balanced / ideal, n, ms, balanced, ideal, t, moves, unbalanced / ideal, unbalanced);
        } finally {
            children.forEach(Process::destroyForcibly);
            for (Process p : children) {
                p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            try {
                root.close();
            } finally {
                Files.deleteIfExists(Physmem.pathOf(shm, cluster));
            }
        }
    }

    /** Wall ms from the first spawn to the last exit of {@code n} Crunch processes started at home on {@code c}. */
    private static double run(MultiProcessTest.Child c, Path programs, int n, int ms) throws InterruptedException {
        long t0 = System.nanoTime();
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = c.ask("spawn home " + programs + " Crunch " + ms);
            if (!p.startsWith("pid ")) {
                throw new IllegalStateException("spawn: " + p);
            }
            pids.add(Long.parseLong(p.substring(4)));
        }
        for (long pid : pids) {
            String s = c.ask("wait " + pid);
            if (!s.startsWith("status 0")) {
                throw new IllegalStateException("pid " + pid + ": " + s);
            }
        }
        for (int i = 0; i < n; i++) {
            c.output(); // "done" from each
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private static MultiProcessTest.Child start(List<Process> children, Path shm, String cluster, int vnode)
            throws Exception {
        List<String> command = List.of("taskset", "-c", Integer.toString(vnode % 2),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), MosixVnode.class.getName(), shm.toString(),
                cluster, Integer.toString(vnode));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(new java.io.File(System.getProperty("bench.log", "/dev/null")))).start();
        children.add(p);
        MultiProcessTest.Child c = new MultiProcessTest.Child(p);
        c.expect("ready");
        return c;
    }
}
