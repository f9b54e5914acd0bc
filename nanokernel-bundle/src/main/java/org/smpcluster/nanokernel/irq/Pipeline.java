package org.smpcluster.nanokernel.irq;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

import org.smpcluster.api.nanokernel.DomainInfo;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Portals;

/**
 * A vnode's interrupt pipeline (Adeos/I-pipe semantics).
 *
 * <p>One interrupt is in the pipeline at a time, as on one CPU: {@link #dispatch} holds the
 * pipeline lock while the interrupt walks the stages from the highest priority down. At each
 * stage: a stalled domain logs the interrupt and the walk ends; otherwise the domain's handlers
 * for the vector run, and the walk goes on unless one of them ended the propagation. Unstalling
 * a domain replays its log (vectors in order of first arrival, with their counts) from that
 * stage down, still under the lock, so the log goes before any new interrupt.
 */
public final class Pipeline implements InterruptPipeline {

    private static final System.Logger LOG = System.getLogger(Pipeline.class.getName());

    private final ReentrantLock lock = new ReentrantLock();
    /** Highest priority first; replaced whole when a domain is added. */
    private volatile List<Domain> stages = List.of();

    public Pipeline() {
        addDomain(NANOKERNEL, 200);
        addDomain(KERNEL, 100);
    }

    @Override
    public void addDomain(String name, int priority) {
        Objects.requireNonNull(name, "name");
        lock.lock();
        try {
            if (find(name) != null) {
                throw new IllegalArgumentException("domain '" + name + "' exists already");
            }
            List<Domain> next = new ArrayList<>(stages);
            next.add(new Domain(name, priority));
            next.sort(Comparator.comparingInt((Domain d) -> d.priority).reversed());
            stages = List.copyOf(next);
        } finally {
            lock.unlock();
        }
    }

    /** Attaches {@code handler} for {@code vector} in {@code domain}; returns how to detach it. */
    public Runnable attach(String domain, int vector, InterruptHandler handler) {
        checkVector(vector);
        Domain d = domain(domain);
        d.handlers(vector).add(handler);
        return () -> d.handlers(vector).remove(handler);
    }

    @Override
    public Stall stall(String domain) {
        Domain d = domain(domain);
        lock.lock();
        try {
            d.stallDepth++;
        } finally {
            lock.unlock();
        }
        AtomicBoolean open = new AtomicBoolean(true);
        return () -> {
            if (open.compareAndSet(true, false)) {
                unstall(d);
            }
        };
    }

    @Override
    public void trigger(int vector) {
        dispatch(vector, 1);
    }

    /** Delivers {@code hits} occurrences of {@code vector} into the pipeline. */
    public void dispatch(int vector, long hits) {
        checkVector(vector);
        if (hits <= 0) {
            throw new IllegalArgumentException("hits=" + hits + ": an interrupt has at least one hit");
        }
        lock.lock();
        try {
            walk(stages, 0, vector, hits);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<DomainInfo> domains() {
        lock.lock();
        try {
            List<DomainInfo> infos = new ArrayList<>();
            for (Domain d : stages) {
                Map<Integer, Long> handled = new LinkedHashMap<>();
                for (int v = 0; v < Portals.VECTORS; v++) {
                    long n = d.handled.get(v);
                    if (n != 0) {
                        handled.put(v, n);
                    }
                }
                infos.add(new DomainInfo(d.name, d.priority, d.stallDepth, handled, d.log));
            }
            return infos;
        } finally {
            lock.unlock();
        }
    }

    private void unstall(Domain d) {
        lock.lock();
        try {
            if (--d.stallDepth > 0) {
                return;
            }
            List<Domain> snapshot = stages;
            int stage = snapshot.indexOf(d);
            // Replay may run handlers that stall this domain again: then the rest stays logged.
            while (d.stallDepth == 0 && !d.log.isEmpty()) {
                Map.Entry<Integer, Long> first = d.log.entrySet().iterator().next();
                d.log.remove(first.getKey());
                deliver(snapshot, stage, first.getKey(), first.getValue());
            }
        } finally {
            lock.unlock();
        }
    }

    private void walk(List<Domain> snapshot, int from, int vector, long hits) {
        for (int i = from; i < snapshot.size(); i++) {
            Domain d = snapshot.get(i);
            if (d.stallDepth > 0) {
                d.log.merge(vector, hits, Long::sum);
                return;
            }
            if (!runHandlers(d, vector, hits)) {
                return;
            }
        }
    }

    /** Runs {@code d}'s handlers (it is not stalled), then the stages below it. */
    private void deliver(List<Domain> snapshot, int stage, int vector, long hits) {
        if (runHandlers(snapshot.get(stage), vector, hits)) {
            walk(snapshot, stage + 1, vector, hits);
        }
    }

    /** Returns whether the interrupt goes on to the next stage. */
    private static boolean runHandlers(Domain d, int vector, long hits) {
        List<InterruptHandler> handlers = d.handlers(vector);
        if (handlers.isEmpty()) {
            return true;
        }
        d.handled.addAndGet(vector, hits);
        boolean propagate = true;
        for (InterruptHandler handler : handlers) {
            try {
                propagate &= handler.handle(vector, hits);
            } catch (RuntimeException e) {
                // A broken driver must not take the vnode's interrupts down with it.
                LOG.log(Level.ERROR, "interrupt handler " + handler + " for vector " + vector + " in domain "
                        + d.name + " failed", e);
            }
        }
        return propagate;
    }

    private Domain domain(String name) {
        Domain d = find(name);
        if (d == null) {
            throw new IllegalArgumentException("no interrupt domain '" + name + "'; domains are "
                    + stages.stream().map(s -> s.name).toList());
        }
        return d;
    }

    private Domain find(String name) {
        for (Domain d : stages) {
            if (d.name.equals(name)) {
                return d;
            }
        }
        return null;
    }

    static void checkVector(int vector) {
        if (vector < 0 || vector >= Portals.VECTORS) {
            throw new IllegalArgumentException("vector=" + vector + " is outside 0.." + (Portals.VECTORS - 1));
        }
    }

    /** One stage. Its mutable state is guarded by the pipeline lock, but for the handler lists. */
    private static final class Domain {
        final String name;
        final int priority;
        int stallDepth;
        /** Logged hits per vector, in order of first arrival. */
        final LinkedHashMap<Integer, Long> log = new LinkedHashMap<>();
        final AtomicLongArray handled = new AtomicLongArray(Portals.VECTORS);
        private final List<List<InterruptHandler>> handlers = new ArrayList<>(Portals.VECTORS);

        Domain(String name, int priority) {
            this.name = name;
            this.priority = priority;
            for (int v = 0; v < Portals.VECTORS; v++) {
                handlers.add(new CopyOnWriteArrayList<>());
            }
        }

        List<InterruptHandler> handlers(int vector) {
            return handlers.get(vector);
        }
    }
}
