package org.smpcluster.beowulf.mpj;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.smpcluster.beowulf.mpj.hub.Hub;
import org.smpcluster.beowulf.mpj.hub.RankLoader;

/**
 * Runs a job of ranks in this JVM, each a thread with its own {@link RankLoader} over the module's
 * classes (so the {@code mpi} statics really are per rank), meeting in the one hub. A rank program is
 * a static method returning a JDK value; a job that passes its deadline is aborted and fails.
 */
final class LocalJob {

    private LocalJob() {
    }

    static List<Object> run(int size, String program, Duration deadline) throws Exception {
        URL main = mpi.MPI.class.getProtectionDomain().getCodeSource().getLocation();
        URL tests = LocalJob.class.getProtectionDomain().getCodeSource().getLocation();
        String job = "test-" + UUID.randomUUID();
        Object[] results = new Object[size];
        Throwable[] failures = new Throwable[size];
        List<Thread> threads = new ArrayList<>();
        List<URLClassLoader> loaders = new ArrayList<>();
        int dot = program.lastIndexOf('.');
        String cls = "org.smpcluster.beowulf.mpj.programs." + program.substring(0, dot);
        String method = program.substring(dot + 1);
        for (int r = 0; r < size; r++) {
            int rank = r;
            URLClassLoader loader = RankLoader.create("rank-" + r, new URL[] {main, tests});
            loaders.add(loader);
            Thread t = new Thread(() -> {
                Hub.bind(Map.of("MPJ_JOB", job, "MPJ_RANK", "" + rank, "MPJ_SIZE", "" + size, "MPJ_DEV", "local"));
                Thread.currentThread().setContextClassLoader(loader);
                try {
                    Method m = Class.forName(cls, true, loader).getMethod(method);
                    results[rank] = m.invoke(null);
                } catch (InvocationTargetException e) {
                    failures[rank] = e.getCause();
                } catch (Throwable e) {
                    failures[rank] = e;
                } finally {
                    Hub.unbind();
                }
            }, job + "-rank-" + r);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        long end = System.nanoTime() + deadline.toNanos();
        try {
            // Wait for all, but stop early once a rank failed: the others may wait for it forever.
            while (System.nanoTime() < end && threads.stream().anyMatch(Thread::isAlive)
                    && java.util.Arrays.stream(failures).allMatch(f -> f == null)) {
                Thread alive = threads.stream().filter(Thread::isAlive).findFirst().orElse(null);
                if (alive != null) {
                    alive.join(20);
                }
            }
            for (int r = 0; r < size; r++) {
                if (failures[r] != null) {
                    Hub.job(job, size).abort(-1, -1, "rank " + r + " failed");
                    throw new AssertionError(program + " with " + size + " ranks: rank " + r + " failed: " + failures[r], failures[r]);
                }
            }
            List<Integer> hung = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                if (threads.get(r).isAlive()) {
                    hung.add(r);
                }
            }
            if (!hung.isEmpty()) {
                Hub.job(job, size).abort(-1, -1, "test deadline");
                for (Thread t : threads) {
                    t.join(2000);
                }
                throw new AssertionError(program + " with " + size + " ranks: ranks " + hung + " still running after " + deadline);
            }
            for (int r = 0; r < size; r++) {
                if (failures[r] != null) {
                    throw new AssertionError(program + " with " + size + " ranks: rank " + r + " failed: " + failures[r], failures[r]);
                }
            }
            return java.util.Arrays.asList(results);
        } finally {
            Hub.remove(job);
            for (URLClassLoader l : loaders) {
                l.close();
            }
        }
    }
}
