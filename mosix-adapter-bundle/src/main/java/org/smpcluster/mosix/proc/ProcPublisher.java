package org.smpcluster.mosix.proc;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.mosix.layout.ProcTableDescriptor;

/**
 * Keeps a vnode's {@code proc} bridge in step with its {@link ProcessTable}: one entry per
 * process, live or ended, until the table drops it. The only writer of the bridge.
 */
public final class ProcPublisher implements ProcessTable.Listener {

    /** Decay of the load per sample ({@link ProcessTable#SAMPLE_MILLIS}): about a 1 s mean life, as MOSIX's is short. */
    static final double DECAY = 0.9;

    private record Published(int slot, ProcessState state) {
    }

    private final MemorySegment segment;
    private final int capacity;
    private final int cpus;
    private final Map<Long, Published> slots = new HashMap<>(); // guarded by this
    private final Deque<Integer> free = new ArrayDeque<>(); // guarded by this
    private double load; // guarded by this
    private boolean fullSaid; // guarded by this

    /** Lays out an empty table in {@code segment}, for vnode {@code vnode}. */
    public ProcPublisher(MemorySegment segment, int vnode, int capacity, int cpus) {
        ProcTableDescriptor.initialise(segment, vnode, capacity, cpus);
        this.segment = segment;
        this.capacity = capacity;
        this.cpus = Math.max(1, cpus);
        for (int i = 0; i < capacity; i++) {
            free.add(i);
        }
    }

    @Override
    public synchronized void changed(ProcessInfo p) {
        Published was = slots.get(p.pid());
        if (was != null && was.state() == ProcessState.EXITED && p.state() != ProcessState.EXITED) {
            return; // a sample taken before the end, arriving after it
        }
        int slot;
        if (was != null) {
            slot = was.slot();
        } else if (!free.isEmpty()) {
            slot = free.poll();
        } else {
            if (!fullSaid) {
                fullSaid = true;
                System.err.println("mosix: the proc table (capacity=" + capacity + ") is full: pid " + p.pid()
                        + " and later ones are not shown to other vnodes until entries free up");
            }
            return;
        }
        ProcTableDescriptor.write(segment, capacity, slot, p);
        slots.put(p.pid(), new Published(slot, p.state()));
    }

    @Override
    public synchronized void dropped(long pid) {
        Published was = slots.remove(pid);
        if (was != null) {
            ProcTableDescriptor.free(segment, capacity, was.slot());
            free.add(was.slot());
            fullSaid = false;
        }
    }

    @Override
    public synchronized void sampled(int runnable) {
        load = load * DECAY + (runnable * 1000.0 / cpus) * (1 - DECAY);
        ProcTableDescriptor.writeLoad(segment, runnable, Math.round(load), Runtime.getRuntime().maxMemory()
                - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()), System.currentTimeMillis());
    }
}
