package org.smpcluster.mosix.proc;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;

/**
 * This vnode's processes: the live ones, and the last {@link #ENDED_KEPT} that ended (only their
 * final {@link ProcessInfo} and status: nothing that keeps their class loaders). Plain Java, so
 * that tests run it without a framework; {@code ProcessManagerComponent} is its DS face.
 */
public final class ProcessTable implements ProcessManager, AutoCloseable {

    /** How often the sampler reads the threads' CPU time and allocation (see {@link ThreadUsage}). */
    static final long SAMPLE_MILLIS = 100;
    /** Ended processes kept for {@code wait} and {@code ps}. */
    static final int ENDED_KEPT = 256;

    private record Ended(ProcessInfo info, CompletableFuture<ExitStatus> exit) {
    }

    /**
     * Told of every change of the table, as it happens (spawn, state change, end, a drop of an
     * ended process) and at each sample: how the vnode's {@code proc} bridge is kept current.
     * Called on the thread that made the change; must not block for long.
     */
    public interface Listener {
        void changed(ProcessInfo p);

        void dropped(long pid);

        /** After each sample: how many processes are runnable now. */
        default void sampled(int runnable) {
        }
    }

    private static final Listener NOBODY = new Listener() {
        @Override
        public void changed(ProcessInfo p) {
        }

        @Override
        public void dropped(long pid) {
        }
    };

    private final int vnode;
    private final Listener listener;
    /** Every process's thread group is made under this one, whoever spawns it (a shell's pipe thread, say). */
    private final ThreadGroup processGroups = new ThreadGroup("mosix processes");
    private final Map<Long, VProcess> live = new ConcurrentHashMap<>();
    private final Map<Long, Ended> ended = new LinkedHashMap<>(); // guarded by itself, oldest first
    private final Set<Long> reserved = new HashSet<>(); // guarded by this: PIDs of processes being loaded
    private final Thread sampler;
    private volatile boolean closed;
    private long next = 1; // guarded by this

    /**
     * @param vnode   this vnode's id (the PIDs' high part)
     * @param threads makes the sampler's thread (the vnode's kernel threads, in the bundle)
     */
    public ProcessTable(int vnode, BiFunction<String, Runnable, Thread> threads) {
        this(vnode, threads, NOBODY);
    }

    /** @param listener told of each change (the {@code proc} bridge's publisher) */
    public ProcessTable(int vnode, BiFunction<String, Runnable, Thread> threads, Listener listener) {
        this.vnode = vnode;
        this.listener = listener;
        this.sampler = threads.apply("mosix sampler", this::sampleLoop);
        sampler.start();
    }

    int vnode() {
        return vnode;
    }

    ThreadGroup processGroups() {
        return processGroups;
    }

    private void sampleLoop() {
        while (!closed) {
            int runnable = 0;
            for (VProcess p : live.values()) {
                if (p.moved()) {
                    continue; // where it runs now publishes it
                }
                ProcessInfo i = p.info(); // samples
                listener.changed(i);
                if (i.state() == org.smpcluster.api.process.ProcessState.RUNNING) {
                    runnable++;
                }
            }
            listener.sampled(runnable);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS));
        }
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec) {
        if (closed) {
            throw new IllegalStateException("the process table of vnode " + vnode + " is closed");
        }
        long pid = reservePid();
        return start(pid, () -> new VProcess(this, pid, spec));
    }

    /**
     * Starts a process here for a home elsewhere: its PID is the home's (its deputy's), and it
     * ends up in this table like any of this vnode's.
     *
     * @throws IllegalArgumentException as {@link #spawn}, or when the PID is taken here
     */
    public ProcessInfo spawnFor(long pid, int home, ProcessSpec spec) {
        if (closed) {
            throw new IllegalStateException("the process table of vnode " + vnode + " is closed");
        }
        synchronized (this) {
            if (live.containsKey(pid) || !reserved.add(pid)) {
                throw new IllegalArgumentException("pid=" + pid + " already runs on vnode " + vnode);
            }
        }
        return start(pid, () -> new VProcess(this, pid, home, spec));
    }

    /** Makes and starts the process of a reserved {@code pid}, then lets the reservation go. */
    private ProcessInfo start(long pid, java.util.function.Supplier<VProcess> process) {
        try {
            VProcess p = process.get();
            live.put(pid, p);
            p.start();
            ProcessInfo i = p.info();
            listener.changed(i);
            return i;
        } finally {
            synchronized (this) {
                reserved.remove(pid);
            }
        }
    }

    /**
     * Starts a process that moved here from another vnode, with its PID, going on from
     * {@code resume}. At its home the PID is its deputy's, reserved already; that is fine.
     *
     * @throws IllegalArgumentException as {@link #spawn}, or when the PID runs here already
     */
    public ProcessInfo spawnMoved(long pid, int home, ProcessSpec spec, Resume resume) {
        if (closed) {
            throw new IllegalStateException("the process table of vnode " + vnode + " is closed");
        }
        synchronized (this) {
            VProcess there = live.get(pid);
            if (there != null && !there.moved()) { // a copy that moved away and is ending here is no obstacle
                throw new IllegalArgumentException("pid=" + pid + " already runs on vnode " + vnode);
            }
            reserved.add(pid);
        }
        try {
            VProcess p = new VProcess(this, pid, home, spec, resume);
            live.put(pid, p);
            p.start();
            ProcessInfo i = p.info();
            listener.changed(i);
            return i;
        } finally {
            synchronized (this) {
                reserved.remove(pid);
            }
        }
    }

    /**
     * Freezes a live process at a safe point and takes its state (see {@link VProcess#freeze}).
     *
     * @throws IllegalArgumentException why it cannot move; it runs on then
     */
    public Frozen freeze(long pid, long nanos) {
        VProcess p = live.get(pid);
        if (p == null) {
            throw unknown(pid);
        }
        return p.freeze(nanos);
    }

    /** A move failed: the frozen process goes on here. */
    public void thaw(long pid) {
        VProcess p = live.get(pid);
        if (p != null) {
            p.thaw();
        }
    }

    /**
     * A move succeeded: the frozen process's threads and loader end here, with no exit reported;
     * its PID stays reserved when this is its home (its deputy holds it), and whoever waits for it
     * here gets {@code next}'s status.
     */
    public void vanish(long pid, CompletableFuture<ExitStatus> next) {
        VProcess p = live.get(pid);
        if (p == null) {
            throw unknown(pid);
        }
        if (ProcessManager.homeOf(pid) == vnode) {
            synchronized (this) {
                reserved.add(pid);
            }
        }
        p.vanish(next);
    }

    /** The reaper of a process that moved away: gone from here, not ended. */
    void moved(VProcess p) {
        if (live.remove(p.pid(), p) && !live.containsKey(p.pid()) && ProcessManager.homeOf(p.pid()) != vnode) {
            listener.dropped(p.pid()); // at its home its deputy's entry has the PID's slot
        }
    }

    /**
     * A PID of this vnode for a deputy (a process of this home that runs elsewhere); it stays
     * taken until {@link #releasePid}.
     */
    public long reserveDeputyPid() {
        return reservePid();
    }

    /** A deputy's PID is free again. */
    public synchronized void releasePid(long pid) {
        reserved.remove(pid);
    }

    /**
     * A process that runs here, as the balancer weighs it: its info, whether it is locked
     * ({@code mosrun -L}), whether it moved here, and since when its copy runs here.
     */
    public record Resident(ProcessInfo info, boolean locked, boolean arrived, long sinceNanos) {
    }

    /** The live processes that run here now (not a frozen copy that moved away). */
    public List<Resident> residents() {
        List<Resident> out = new ArrayList<>();
        for (VProcess p : live.values()) {
            if (!p.moved()) {
                out.add(new Resident(p.info(), p.locked(), p.arrived(), p.hereSinceNanos()));
            }
        }
        return out;
    }

    /** Whether a live process of this table has {@code pid}. */
    public boolean runs(long pid) {
        VProcess p = live.get(pid);
        return p != null && !p.moved();
    }

    /**
     * Takes {@code pid} (of this vnode) for a process that starts again with its old PID (a
     * restart from a checkpoint at its home); false when a live, ended or reserved process has it.
     */
    public synchronized boolean reserve(long pid) {
        boolean used;
        synchronized (ended) {
            used = ended.containsKey(pid);
        }
        return !live.containsKey(pid) && !used && reserved.add(pid);
    }

    /** The specs of the processes that run here now (the checkpointer reads their -C/-A). */
    public Map<Long, ProcessSpec> specs() {
        Map<Long, ProcessSpec> out = new java.util.HashMap<>();
        for (VProcess p : live.values()) {
            if (!p.moved()) {
                out.put(p.pid(), p.spec());
            }
        }
        return out;
    }

    /** The live process here that allocated most, as last sampled; 0 when none runs. */
    long heaviest() {
        long pid = 0;
        long most = -1;
        for (VProcess p : live.values()) {
            long a = p.allocatedSoFar();
            if (!p.moved() && !p.dying() && a > most) {
                most = a;
                pid = p.pid();
            }
        }
        return pid;
    }

    /** Bytes a live process here allocated, as last sampled; -1 when it does not run here. */
    long allocatedSoFar(long pid) {
        VProcess p = live.get(pid);
        return p == null ? -1 : p.allocatedSoFar();
    }

    /**
     * Ends a process at once as SIGKILL does, with {@code why} as its status (the OOM killer's).
     *
     * @throws IllegalArgumentException when it does not run here
     */
    public void kill(long pid, ExitStatus why) {
        VProcess p = live.get(pid);
        if (p == null || p.moved()) {
            throw unknown(pid);
        }
        p.kill(why); // not published here: info() samples, which allocates; the sampler shows it within 100 ms
    }

    private synchronized long reservePid() {
        for (long tries = 0; tries < PID_RANGE; tries++) {
            long n = next;
            next = next + 1 >= PID_RANGE ? 1 : next + 1;
            long pid = vnode * PID_RANGE + n;
            boolean used;
            synchronized (ended) {
                used = ended.containsKey(pid);
            }
            if (!live.containsKey(pid) && !used && reserved.add(pid)) {
                return pid;
            }
        }
        throw new IllegalStateException("vnode " + vnode + " has " + (PID_RANGE - 1) + " processes: no PID is free");
    }

    void ended(VProcess p, ProcessInfo last) {
        List<Long> dropped = new ArrayList<>();
        synchronized (ended) {
            ended.put(last.pid(), new Ended(last, p.onExit()));
            while (ended.size() > ENDED_KEPT) {
                Long oldest = ended.keySet().iterator().next();
                ended.remove(oldest);
                dropped.add(oldest);
            }
        }
        live.remove(last.pid());
        listener.changed(last);
        dropped.forEach(listener::dropped);
    }

    @Override
    public List<ProcessInfo> processes() {
        List<ProcessInfo> all = new ArrayList<>();
        synchronized (ended) {
            ended.values().forEach(e -> all.add(e.info()));
        }
        for (VProcess p : live.values()) {
            if (!p.moved()) { // its frozen copy ending here: where it runs now shows it
                all.add(p.info());
            }
        }
        all.sort(Comparator.comparingLong(ProcessInfo::pid));
        // A process that ended while we listed it shows once, as ended.
        List<ProcessInfo> out = new ArrayList<>();
        for (ProcessInfo i : all) {
            if (!out.isEmpty() && out.getLast().pid() == i.pid()) {
                continue;
            }
            out.add(i);
        }
        return out;
    }

    @Override
    public Optional<ProcessInfo> info(long pid) {
        VProcess p = live.get(pid);
        if (p != null && !p.moved()) {
            return Optional.of(p.info());
        }
        synchronized (ended) {
            Ended e = ended.get(pid);
            return e == null ? Optional.empty() : Optional.of(e.info());
        }
    }

    @Override
    public void signal(long pid, Signal signal) {
        VProcess p = live.get(pid);
        if (p != null) {
            p.signal(signal);
            listener.changed(p.info());
            return;
        }
        synchronized (ended) {
            if (ended.containsKey(pid)) {
                return;
            }
        }
        throw unknown(pid);
    }

    @Override
    public CompletableFuture<ExitStatus> onExit(long pid) {
        VProcess p = live.get(pid);
        if (p != null) {
            return p.onExit();
        }
        synchronized (ended) {
            Ended e = ended.get(pid);
            if (e != null) {
                return e.exit();
            }
        }
        throw unknown(pid);
    }

    private IllegalArgumentException unknown(long pid) {
        return new IllegalArgumentException("pid=" + pid + " is not a process of vnode " + vnode
                + " (mosix:ps lists them)");
    }

    /** For tests: the process's class loader, weakly, to see that it is collected once the process ends. */
    WeakReference<ClassLoader> loaderOf(long pid) {
        VProcess p = live.get(pid);
        if (p == null) {
            throw unknown(pid);
        }
        return p.loaderReference();
    }

    /** Kills what still runs and waits (bounded) for it to end. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(sampler);
        List<CompletableFuture<ExitStatus>> exits = new ArrayList<>();
        for (VProcess p : live.values()) {
            p.signal(Signal.SIGKILL);
            if (p.moved()) {
                continue; // its exit is where it went
            }
            exits.add(p.onExit());
        }
        try {
            CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            System.err.println("mosix: vnode " + vnode + ": processes still ending after 5 s: " + live.keySet());
        }
    }
}
