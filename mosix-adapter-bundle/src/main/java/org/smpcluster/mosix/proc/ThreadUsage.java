package org.smpcluster.mosix.proc;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * CPU time and allocated bytes of one process: the sum over its threads, ended ones included.
 *
 * <p>The JVM answers only for live threads, so the process keeps what it last saw of each
 * thread, and moves a thread's figures into the ended totals once the thread is gone. It sees a
 * thread's final figures exactly when the thread ends through the process's code that can tell:
 * the main thread (its runner) and every thread that ends with an exception (the thread group's
 * {@code uncaughtException}, which is how every thread of a killed process ends). A thread that
 * returns normally from {@code run()} is seen last by the sampler, at most one sampling period
 * ({@link ProcessTable#SAMPLE_MILLIS}) before it ended: that is the error.
 */
final class ThreadUsage {

    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static {
        if (MX.isThreadCpuTimeSupported() && !MX.isThreadCpuTimeEnabled()) {
            MX.setThreadCpuTimeEnabled(true);
        }
        if (MX.isThreadAllocatedMemorySupported() && !MX.isThreadAllocatedMemoryEnabled()) {
            MX.setThreadAllocatedMemoryEnabled(true);
        }
    }

    /** tid -> {cpu nanos, allocated bytes} as last seen, for threads not yet known to be gone. */
    private final Map<Long, long[]> seen = new HashMap<>();
    private long endedCpu;
    private long endedAlloc;

    /** The calling thread's final figures, as it ends. */
    void recordCurrent() {
        long tid = Thread.currentThread().threadId();
        record(tid, MX.getCurrentThreadCpuTime(), MX.getCurrentThreadAllocatedBytes());
    }

    private synchronized void record(long tid, long cpu, long alloc) {
        long[] s = seen.computeIfAbsent(tid, k -> new long[2]);
        s[0] = Math.max(s[0], cpu);
        s[1] = Math.max(s[1], alloc);
    }

    /** Samples the process's live threads; forgets (into the ended totals) those no longer among them. */
    synchronized void sample(Thread[] live, int count) {
        long[] ids = new long[count];
        for (int k = 0; k < count; k++) {
            ids[k] = live[k].threadId();
        }
        long[] cpu = MX.getThreadCpuTime(ids);
        long[] alloc = MX.getThreadAllocatedBytes(ids);
        Set<Long> alive = new HashSet<>();
        for (int k = 0; k < count; k++) {
            if (cpu[k] >= 0) {
                alive.add(ids[k]);
                long[] s = seen.computeIfAbsent(ids[k], t -> new long[2]);
                s[0] = Math.max(s[0], cpu[k]);
                s[1] = Math.max(s[1], alloc[k]);
            }
        }
        var it = seen.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!alive.contains(e.getKey())) {
                endedCpu += e.getValue()[0];
                endedAlloc += Math.max(0, e.getValue()[1]);
                it.remove();
            }
        }
    }

    synchronized long cpuNanos() {
        long sum = endedCpu;
        for (long[] s : seen.values()) {
            sum += s[0];
        }
        return sum;
    }

    synchronized long allocatedBytes() {
        long sum = endedAlloc;
        for (long[] s : seen.values()) {
            sum += Math.max(0, s[1]);
        }
        return sum;
    }
}
