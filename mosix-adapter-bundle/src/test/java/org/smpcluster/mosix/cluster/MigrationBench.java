package org.smpcluster.mosix.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.smpcluster.mosix.proc.TestSupport;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;

/**
 * Issue 12's migration figure: a {@code Ballast} process with 1 MiB, then 64 MiB, of state,
 * started at home on vnode 1 and moved to vnode 2 and back, {@code ROUNDS} moves each; each
 * move timed at its home from the call (the freeze begins) to the target's answer that it runs
 * there (restored, its thread started). A root in this JVM, vnodes 1 and 2 in theirs on CPUs 1
 * and 0, as the multi-process tests have them; every child and the physmem file go, pass or fail.
 *
 * <pre>java -cp TEST_CLASSPATH org.smpcluster.mosix.cluster.MigrationBench [ROUNDS]</pre>
 * (from the module: {@code ./mvnw -B -o verify -pl mosix-adapter-bundle -DskipTests}, then
 * the classpath Surefire uses; the README says how).
 */
public final class MigrationBench {

    private MigrationBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        String cluster = "mosix-bench-" + ProcessHandle.current().pid();
        Path shm = MultiProcessTest.SHM;
        Path programs = TestSupport.programs();
        List<Process> children = new ArrayList<>();
        Kernel root = Kernel.boot(Kernel.Config.root(shm, cluster, 64L << 20));
        try {
            MultiProcessTest.Child one = start(children, shm, cluster, 1);
            start(children, shm, cluster, 2);
            for (int mib : new int[] {1, 64}) {
                long pid = Long.parseLong(one.ask("spawn home " + programs + " Ballast " + mib).substring(4));
                String ready = one.output();
                if (!ready.endsWith("ready " + (mib << 20) + " true")) {
                    throw new IllegalStateException("Ballast " + mib + " said " + ready);
                }
                List<Long> nanos = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    String to = r % 2 == 0 ? "2" : "home";
                    String[] at = one.ask("timed-migrate " + pid + " " + to).split(" ");
                    if (!at[0].equals("at")) {
                        throw new IllegalStateException("migrate " + pid + " " + to + ": " + String.join(" ", at));
                    }
                    nanos.add(Long.parseLong(at[2]));
                }
                one.ask("kill " + pid + " KILL");
                one.ask("wait " + pid);
                Collections.sort(nanos);
                List<Long> sorted = nanos.subList(Math.min(2, nanos.size() - 1), nanos.size()); // first moves warm up
                System.out.printf(Locale.ROOT, "mosix migration-%dMiB-median %.1f ms%nmosix migration-%dMiB-p99 %.1f ms"
                        + "  (%d moves, 1 <-> 2)%n", mib, sorted.get(sorted.size() / 2) / 1e6, mib,
                        sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1e6,
                        nanos.size());
            }
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

    private static MultiProcessTest.Child start(List<Process> children, Path shm, String cluster, int vnode)
            throws Exception {
        List<String> command = List.of("taskset", "-c", Integer.toString(vnode % 2),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), MosixVnode.class.getName(), shm.toString(),
                cluster, Integer.toString(vnode));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        MultiProcessTest.Child c = new MultiProcessTest.Child(p);
        c.expect("ready");
        return c;
    }
}
