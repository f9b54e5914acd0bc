package org.smpcluster.mosix.proc;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
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

    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    /*
     * HotSpot's extension (com.sun.management.ThreadMXBean: batch CPU time, allocated bytes) is
     * reached through its interface as the bean implements it, looked up at run time: importing
     * com.sun.management would tie the bundle to a package no OSGi execution environment lists.
     */
    private static final MethodHandle CPU_BATCH;
    private static final MethodHandle ALLOC_BATCH;
    private static final MethodHandle ALLOC_CURRENT;

    static {
        if (MX.isThreadCpuTimeSupported() && !MX.isThreadCpuTimeEnabled()) {
            MX.setThreadCpuTimeEnabled(true);
        }
        MethodHandle cpu = null;
        MethodHandle alloc = null;
        MethodHandle current = null;
        for (Class<?> i : interfaces(MX.getClass())) {
            if (i.getName().equals("com.sun.management.ThreadMXBean")) {
                try {
                    MethodHandles.Lookup l = MethodHandles.publicLookup();
                    cpu = l.findVirtual(i, "getThreadCpuTime", MethodType.methodType(long[].class, long[].class));
                    alloc = l.findVirtual(i, "getThreadAllocatedBytes", MethodType.methodType(long[].class, long[].class));
                    current = l.findVirtual(i, "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class));
                    MethodHandle enabled = l.findVirtual(i, "isThreadAllocatedMemoryEnabled", MethodType.methodType(boolean.class));
                    if (!(boolean) enabled.invoke(MX)) {
                        l.findVirtual(i, "setThreadAllocatedMemoryEnabled", MethodType.methodType(void.class, boolean.class))
                                .invoke(MX, true);
                    }
                } catch (Throwable e) {
                    System.err.println("mosix: no per-thread allocation figures in this JVM: " + e);
                    cpu = alloc = current = null;
                }
            }
        }
        CPU_BATCH = cpu;
        ALLOC_BATCH = alloc;
        ALLOC_CURRENT = current;
    }

    private static List<Class<?>> interfaces(Class<?> c) {
        List<Class<?>> all = new ArrayList<>();
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                all.add(i);
                all.addAll(interfaces(i));
            }
        }
        return all;
    }

    private static long[] cpu(long[] ids) {
        if (CPU_BATCH != null) {
            try {
                return (long[]) CPU_BATCH.invoke(MX, ids);
            } catch (Throwable e) {
                throw new IllegalStateException("ThreadMXBean.getThreadCpuTime(long[]) failed", e);
            }
        }
        long[] out = new long[ids.length];
        for (int k = 0; k < ids.length; k++) {
            out[k] = MX.getThreadCpuTime(ids[k]);
        }
        return out;
    }

    private static long[] allocated(long[] ids) {
        if (ALLOC_BATCH == null) {
            return new long[ids.length];
        }
        try {
            return (long[]) ALLOC_BATCH.invoke(MX, ids);
        } catch (Throwable e) {
            throw new IllegalStateException("ThreadMXBean.getThreadAllocatedBytes(long[]) failed", e);
        }
    }

    private static long currentAllocated() {
        if (ALLOC_CURRENT == null) {
            return 0;
        }
        try {
            return (long) ALLOC_CURRENT.invoke(MX);
        } catch (Throwable e) {
            throw new IllegalStateException("ThreadMXBean.getCurrentThreadAllocatedBytes() failed", e);
        }
    }

    /** tid -> {cpu nanos, allocated bytes} as last seen, for threads not yet known to be gone. */
    private final Map<Long, long[]> seen = new HashMap<>();
    private long endedCpu;
    private long endedAlloc;

    /** The calling thread's final figures, as it ends. */
    void recordCurrent() {
        long tid = Thread.currentThread().threadId();
        record(tid, MX.getCurrentThreadCpuTime(), currentAllocated());
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
        long[] cpu = cpu(ids);
        long[] alloc = allocated(ids);
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
