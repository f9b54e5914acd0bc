package org.smpcluster.mosix.proc;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryNotificationInfo;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

import org.smpcluster.api.process.ExitStatus;

/**
 * Linux's OOM killer for a vnode's heap. The JVM is asked to tell us, after a collection, when a
 * heap pool is still above {@link #DEFAULT_FRACTION} of its maximum (the collection-usage
 * threshold of the memory pool MXBeans: what is left after a GC is live, so this is not a guess
 * from a transient peak); then the process of this vnode that has allocated most (the table's
 * per-process accounting: bytes allocated by its threads over its life, the best figure the JVM
 * gives per thread; it has no per-loader live size) is killed with a status that says so, e.g.
 * {@code 137 (killed by SIGKILL: out of memory, vnode 1 heap 115.2M of 128.0M after GC; it had
 * allocated 3.1G)}. One victim at a time: the next may die only once the last has ended and a
 * full collection has taken back what it held (its loader, its classes' statics).
 */
public final class OomKiller implements AutoCloseable {

    /** After a GC, the heap pool's use over this share of its maximum wakes the killer. */
    public static final double DEFAULT_FRACTION = 0.85;
    static final int RESERVE_BYTES = 4 << 20;

    private static final System.Logger LOG = System.getLogger(OomKiller.class.getName());

    private final ProcessTable table;
    private final List<MemoryPoolMXBean> pools = new ArrayList<>();
    private final NotificationEmitter emitter;
    private final NotificationListener listener = this::notified;
    private volatile CompletableFuture<?> victim = CompletableFuture.completedFuture(null);

    public OomKiller(ProcessTable table) {
        this(table, DEFAULT_FRACTION);
    }

    public OomKiller(ProcessTable table, double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("fraction=" + fraction + " is not in (0, 1)");
        }
        this.table = table;
        // The pool that holds what survives (G1's old gen, Parallel's and Serial's tenured): the
        // heap pool with the largest maximum. Not eden or survivor spaces: a full survivor space
        // (3 MiB under Serial, which a one-CPU vnode gets) says nothing about the heap.
        MemoryPoolMXBean old = null;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            long max = p.getUsage() == null ? -1 : p.getUsage().getMax();
            String name = p.getName().toLowerCase(java.util.Locale.ROOT);
            if (p.getType() == MemoryType.HEAP && p.isCollectionUsageThresholdSupported() && max > 0
                    && !name.contains("eden") && !name.contains("survivor")
                    && (old == null || max > old.getUsage().getMax())) {
                old = p;
            }
        }
        if (old != null) {
            old.setCollectionUsageThreshold((long) (old.getUsage().getMax() * fraction));
            pools.add(old);
        }
        this.emitter = (NotificationEmitter) ManagementFactory.getMemoryMXBean();
        emitter.addNotificationListener(listener, null, null);
        if (pools.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "vnode " + table.vnode() + ": no heap pool takes a collection-usage"
                    + " threshold: the OOM killer never wakes");
        }
    }

    /**
     * Heap held back for the kill itself: when the heap is short, the killer (and a process's
     * OutOfMemoryError handler) lets it go first, so choosing and killing a victim and its status's
     * text do not fail for want of memory. Taken again once the victim's memory is back.
     */
    private static volatile byte[] reserve = new byte[RESERVE_BYTES];

    static void releaseReserve() {
        reserve = null;
    }

    private void notified(Notification n, Object handback) {
        if (!MemoryNotificationInfo.MEMORY_COLLECTION_THRESHOLD_EXCEEDED.equals(n.getType())) {
            return;
        }
        releaseReserve();
        try {
            MemoryNotificationInfo info = MemoryNotificationInfo.from((CompositeData) n.getUserData());
            if (pools.stream().anyMatch(p -> p.getName().equals(info.getPoolName()))) {
                outOfMemory(info.getUsage());
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            // The JMX thread prints what a listener throws, again and again; say it once here.
            LOG.log(System.Logger.Level.ERROR, "vnode " + table.vnode() + ": the OOM killer failed", e);
        }
    }

    /** The heap is short after a GC: kill the process that allocated most, unless one is dying for it already. */
    void outOfMemory(MemoryUsage after) {
        synchronized (this) {
            if (!victim.isDone()) {
                return; // its memory is not free yet: killing another would be one too many
            }
            // From the table's last samples: sampling now would allocate, with the heap short.
            long pid = table.heaviest();
            if (pid == 0) {
                LOG.log(System.Logger.Level.WARNING, "vnode " + table.vnode() + ": heap " + mib(after.getUsed()) + " of "
                        + mib(after.getMax()) + " after GC, and no process to kill: the kernel itself holds it");
                return;
            }
            ExitStatus why = new ExitStatus(137, "killed by SIGKILL: out of memory, vnode " + table.vnode() + " heap "
                    + mib(after.getUsed()) + " of " + mib(after.getMax()) + " after GC; it had allocated "
                    + mib(table.allocatedSoFar(pid)));
            try {
                CompletableFuture<Void> reclaimed = new CompletableFuture<>();
                victim = reclaimed;
                table.onExit(pid).whenComplete((st, failure) -> {
                    // Its loader and what it held are garbage now, but the old generation keeps them
                    // until it is collected: one full collection before anyone else is judged, or the
                    // next young GC's notification would take the victim's memory for another's.
                    Thread t = new Thread(() -> {
                        System.gc();
                        reserve = new byte[RESERVE_BYTES];
                        reclaimed.complete(null);
                    }, "mosix oom reclaim");
                    t.setDaemon(true);
                    t.start();
                });
                table.kill(pid, why);
                LOG.log(System.Logger.Level.WARNING, "vnode " + table.vnode() + ": pid " + pid + " " + why);
            } catch (IllegalArgumentException gone) {
                // it ended between the choice and the kill: its memory is on its way back
                victim = CompletableFuture.completedFuture(null);
            }
        }
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1fM", bytes / (1024.0 * 1024.0));
    }

    @Override
    public void close() {
        try {
            emitter.removeNotificationListener(listener);
        } catch (ListenerNotFoundException e) {
            LOG.log(System.Logger.Level.DEBUG, "the OOM killer's listener was gone already", e);
        }
        for (MemoryPoolMXBean p : pools) {
            p.setCollectionUsageThreshold(0); // 0 disables it again (the JVM's own default)
        }
    }
}
