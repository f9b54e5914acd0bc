package org.smpcluster.mosix.cluster;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.mosix.layout.ProcTableDescriptor;

/**
 * The cluster-wide process table (the paper's unique /proc): this vnode's own processes, and
 * every other vnode's as its {@code proc} bridge shows them, read through peeks. A process that
 * runs away from home shows in two tables (its deputy at home, itself where it runs): the entry
 * of the vnode where it runs wins, as it is the one with its CPU time and state.
 */
public final class ClusterView {

    /** A vnode's load as its table says. */
    public record Load(int vnode, int runnable, int cpus, long loadMillis, long freeBytes) {
    }

    private final int self;
    private final ProcessManager local;
    private final IntFunction<Optional<Bridge>> peek;
    private final Supplier<List<Integer>> vnodes;
    private final Map<Integer, Bridge> peeks = new HashMap<>(); // guarded by this

    /**
     * @param self   this vnode
     * @param local  this vnode's own table
     * @param peek   a peek at vnode n's {@code proc} bridge ({@code BridgeManager.peek})
     * @param vnodes the vnodes that are up now (this one included)
     */
    public ClusterView(int self, ProcessManager local, IntFunction<Optional<Bridge>> peek, Supplier<List<Integer>> vnodes) {
        this.self = self;
        this.local = local;
        this.peek = peek;
        this.vnodes = vnodes;
    }

    /** Every process of the cluster, in PID order. */
    public List<ProcessInfo> processes() {
        Map<Long, Seen> all = new HashMap<>();
        for (ProcessInfo p : local.processes()) {
            merge(all, self, p);
        }
        for (int v : vnodes.get()) {
            MemorySegment s = v == self ? null : segment(v);
            if (s != null) {
                for (ProcessInfo p : ProcTableDescriptor.readAll(s, v)) {
                    merge(all, v, p);
                }
            }
        }
        List<ProcessInfo> out = new ArrayList<>(all.values().stream().map(Seen::info).toList());
        out.sort(Comparator.comparingLong(ProcessInfo::pid));
        return out;
    }

    /** An entry and the table it came from. */
    private record Seen(int from, ProcessInfo info) {
        boolean whereItRuns() {
            return info.currentVnode() == from;
        }
    }

    private static void merge(Map<Long, Seen> all, int from, ProcessInfo p) {
        Seen had = all.get(p.pid());
        Seen now = new Seen(from, p);
        if (had == null || (!had.whereItRuns() && now.whereItRuns())) {
            all.put(p.pid(), now);
        }
    }

    /** One process of the cluster: asked of its home (read off the PID), then of everyone. */
    public Optional<ProcessInfo> info(long pid) {
        int home = ProcessManager.homeOf(pid);
        Optional<ProcessInfo> atHome = home == self ? local.info(pid) : find(table(home), pid);
        if (atHome.isPresent() && atHome.get().currentVnode() == home) {
            return atHome;
        }
        if (atHome.isPresent()) {
            int where = atHome.get().currentVnode();
            Optional<ProcessInfo> there = where == self ? local.info(pid) : find(table(where), pid);
            return there.isPresent() ? there : atHome;
        }
        return processes().stream().filter(p -> p.pid() == pid).findFirst();
    }

    private static Optional<ProcessInfo> find(List<ProcessInfo> table, long pid) {
        return table.stream().filter(p -> p.pid() == pid).findFirst();
    }

    /** The loads of the vnodes that have a table now, this one included. */
    public List<Load> loads() {
        List<Load> out = new ArrayList<>();
        for (int v : vnodes.get()) {
            MemorySegment s = segment(v);
            if (s != null && ProcTableDescriptor.readyCapacity(s, v) > 0) {
                out.add(new Load(v, ProcTableDescriptor.runnable(s), ProcTableDescriptor.cpus(s),
                        ProcTableDescriptor.load(s), ProcTableDescriptor.freeMemory(s)));
            }
        }
        return out;
    }

    /** Vnode {@code v}'s processes as its bridge shows them; empty when it has no table (now). */
    public List<ProcessInfo> table(int v) {
        if (!vnodes.get().contains(v)) {
            return List.of(); // down: what its memory still holds is not a process table any more
        }
        MemorySegment s = segment(v);
        return s == null ? List.of() : ProcTableDescriptor.readAll(s, v);
    }

    private synchronized MemorySegment segment(int v) {
        Bridge b = peeks.get(v);
        if (b != null) {
            try {
                return b.segment();
            } catch (IllegalStateException gone) {
                // its vnode died or closed it (a new life of the vnode has a new bridge): look again
                peeks.remove(v);
                b.close();
            }
        }
        Optional<Bridge> now = peek.apply(v);
        if (now.isEmpty()) {
            return null;
        }
        peeks.put(v, now.get());
        try {
            return now.get().segment();
        } catch (IllegalStateException gone) {
            peeks.remove(v);
            return null;
        }
    }
}
