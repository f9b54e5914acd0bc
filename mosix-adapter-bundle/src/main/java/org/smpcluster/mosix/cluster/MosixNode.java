package org.smpcluster.mosix.cluster;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.checkpoint.CheckpointFile;
import org.smpcluster.mosix.checkpoint.Checkpointer;
import org.smpcluster.mosix.checkpoint.Restarter;
import org.smpcluster.mosix.layout.ProcTableDescriptor;
import org.smpcluster.mosix.proc.OomKiller;
import org.smpcluster.mosix.proc.ProcPublisher;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.remote.Deputies;

/**
 * The MOSIX layer of one vnode, in plain Java (the DS component and the multi-process tests
 * both assemble it): this vnode's {@link ProcessTable} published in its {@code proc} bridge, the
 * {@link Deputies} that run processes across vnodes, and the {@link ClusterView} over every
 * vnode's table. Its {@link ProcessManager} face is the cluster's.
 */
public final class MosixNode implements ProcessManager, AutoCloseable {

    /** Entries of the {@code proc} table: live processes plus the ended ones kept for wait. */
    public static final int CAPACITY = 1024;

    private final Nanokernel nanokernel;
    private final int self;
    private final Bridge proc;
    private final ProcessTable table;
    private final Deputies deputies;
    private final ClusterView cluster;
    private final Checkpointer checkpointer;
    private final OomKiller oom;
    private final Restarter restarter;
    /** How checkpoint files' URIs become paths: host paths, and vfs: ones once a Vfs is bound. */
    private volatile Function<URI, Path> paths = CheckpointFile::hostPath;

    public MosixNode(Nanokernel nanokernel, BridgeManager bridges, Portals portals) {
        this.nanokernel = nanokernel;
        this.self = nanokernel.vnodeId();
        this.proc = bridges.open(self, ProcTableDescriptor.BRIDGE, ProcTableDescriptor.length(CAPACITY));
        ProcessTable t = null;
        try {
            ProcPublisher publisher = new ProcPublisher(proc.segment(), self, CAPACITY,
                    Runtime.getRuntime().availableProcessors());
            t = new ProcessTable(self, nanokernel::kernelThread, publisher);
            this.table = t;
            this.deputies = new Deputies(self, t, publisher, bridges, portals, this::up, nanokernel::kernelThread);
        } catch (RuntimeException e) {
            if (t != null) {
                t.close();
            }
            proc.close();
            throw e;
        }
        this.cluster = new ClusterView(self, new Local(), v -> bridges.peek(v, ProcTableDescriptor.BRIDGE), this::up);
        this.oom = new OomKiller(table);
        this.checkpointer = new Checkpointer(table, nanokernel::kernelThread);
        this.restarter = new Restarter(self, table, deputies, this::best, () -> paths);
        deputies.restarter(restarter);
        deputies.checkpoints(checkpointer::checkpoint);
    }

    /** Where checkpoint files' URIs resolve (the component sets the vfs's; null: host paths only). */
    public void paths(Function<URI, Path> p) {
        this.paths = p != null ? p : CheckpointFile::hostPath;
    }

    /** The portal {@link Deputies#VECTOR} arrived. */
    public void interrupt() {
        deputies.wake();
    }

    /** The vnodes that are up: the root, the joined ones, and this one. */
    private List<Integer> up() {
        List<Integer> out = new ArrayList<>();
        out.add(Nanokernel.ROOT);
        for (VnodeState v : nanokernel.vnodes()) {
            if (v.id() != Nanokernel.ROOT && VnodeState.JOINED.equals(v.state())) {
                out.add(v.id());
            }
        }
        if (!out.contains(self)) {
            out.add(self);
        }
        return out;
    }

    public ClusterView cluster() {
        return cluster;
    }

    /** The cluster-wide /proc's contents. */
    public ProcFs procFs() {
        return new ProcFs(this, cluster::loads);
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec) {
        return table.spawn(spec);
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec, Placement where) {
        int target = switch (where.vnode()) {
            case Placement.HOME_VNODE -> self;
            case Placement.BEST_VNODE -> best();
            default -> where.vnode();
        };
        ProcessInfo i = target == self ? table.spawn(spec) : deputies.spawn(target, spec);
        if (spec.checkpointFile() != null) {
            restarter.remember(i.pid(), spec.checkpointFile(), onExit(i.pid())); // for a restart if its vnode dies
        }
        return i;
    }

    /**
     * Checkpoints a process that runs on this vnode (see {@link Checkpointer}); {@code file} null:
     * its {@code -C} file. At its home the file is remembered for a restart if its vnode dies.
     */
    @Override
    public Path checkpoint(long pid, Path file) {
        if (!table.runs(pid) && deputies.isDeputy(pid) && ProcessManager.homeOf(pid) == self
                && info(pid).map(i -> i.state() != ProcessState.EXITED).orElse(false)) {
            Path written = deputies.checkpointThere(pid, file); // its home asks where it runs
            restarter.remember(pid, written, onExit(pid));
            return written;
        }
        if (!table.runs(pid)) {
            ProcessInfo i = info(pid).orElseThrow(() -> unknown(pid));
            if (i.state() == ProcessState.EXITED) {
                throw new IllegalArgumentException("pid=" + pid + " has ended: " + i.exit().orElse(null));
            }
            throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + i.currentVnode() + " with home vnode "
                    + i.homeVnode() + ": checkpoint it from its home or where it runs (mosix:checkpoint on vnode "
                    + i.homeVnode() + " or " + i.currentVnode() + ")");
        }
        Path written = checkpointer.checkpoint(pid, file);
        if (ProcessManager.homeOf(pid) == self) {
            restarter.remember(pid, written, table.onExit(pid));
        }
        return written;
    }

    /** Starts a process again from a checkpoint file; its PID as {@link Restarter} says. */
    @Override
    public ProcessInfo restart(Path file, Placement where) {
        return restart(file, where, null, null);
    }

    /** The same, with the restarted process's stdout and stderr (null: the vnode's). */
    public ProcessInfo restart(Path file, Placement where, java.io.OutputStream out, java.io.OutputStream err) {
        int target = switch (where.vnode()) {
            case Placement.HOME_VNODE -> self;
            case Placement.BEST_VNODE -> best();
            default -> where.vnode();
        };
        if (target != self && !up().contains(target)) {
            throw new IllegalArgumentException("vnode=" + target + " is not up (up: " + up() + ")");
        }
        return restarter.restart(file, target, out, err);
    }

    /** The vnode with the fewest runnable processes per CPU now; this one when it ties. */
    private int best() {
        return cluster.loads().stream()
                .min(Comparator.<ClusterView.Load>comparingDouble(l -> (double) l.runnable() / Math.max(1, l.cpus()))
                        .thenComparing(l -> l.vnode() != self))
                .map(ClusterView.Load::vnode).orElse(self);
    }

    /**
     * Moves a process between its home (this vnode) and another vnode: from here to there, or
     * back home. A process runs at most one hop from its home (its output goes home on the
     * channel of that pair), so a move elsewhere of a process away from home goes home first.
     */
    @Override
    public ProcessInfo migrate(long pid, Placement where) {
        int home = ProcessManager.homeOf(pid);
        int target = switch (where.vnode()) {
            case Placement.HOME_VNODE -> home;
            case Placement.BEST_VNODE -> best();
            default -> where.vnode();
        };
        if (table.runs(pid)) {
            if (target == self) {
                throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + self + " already");
            }
            if (home != self) {
                throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + self + " away from its home vnode "
                        + home + ": migrate it from its home (mosix:migrate on vnode " + home + ")");
            }
            return deputies.emigrate(pid, target);
        } else if (deputies.isDeputy(pid)) {
            ProcessInfo i = info(pid).orElseThrow(() -> unknown(pid));
            if (i.state() == ProcessState.EXITED) {
                throw new IllegalArgumentException("pid=" + pid + " has ended: " + i.exit().orElse(null));
            }
            if (target == i.currentVnode()) {
                throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + target + " already");
            }
            if (target != self) {
                throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + i.currentVnode() + ": a process"
                        + " moves between its home and one other vnode; migrate it home first, then to vnode " + target);
            }
            deputies.bringHome(pid);
            return table.info(pid).orElseThrow(() -> unknown(pid));
        } else {
            ProcessInfo i = info(pid).orElseThrow(() -> unknown(pid));
            throw new IllegalArgumentException("pid=" + pid + " has home vnode " + i.homeVnode() + ": migrate it from"
                    + " there (mosix:migrate on vnode " + i.homeVnode() + ")");
        }
    }

    @Override
    public List<ProcessInfo> processes() {
        return cluster.processes();
    }

    @Override
    public Optional<ProcessInfo> info(long pid) {
        return cluster.info(pid);
    }

    @Override
    public void signal(long pid, Signal signal) {
        if (table.runs(pid)) {
            table.signal(pid, signal);
            return;
        }
        Optional<ProcessInfo> p = info(pid);
        if (p.isEmpty()) {
            throw unknown(pid);
        }
        ProcessInfo i = p.get();
        if (i.state() == ProcessState.EXITED || i.currentVnode() == self) {
            return; // ended (or ending here): nothing to do, as for a local process
        }
        deputies.signal(pid, i.currentVnode(), signal);
    }

    @Override
    public CompletableFuture<ExitStatus> onExit(long pid) {
        CompletableFuture<ExitStatus> deputy = deputies.onExit(pid);
        if (deputy != null) {
            return deputy;
        }
        if (table.info(pid).isPresent()) {
            return table.onExit(pid);
        }
        if (info(pid).isEmpty()) {
            throw unknown(pid);
        }
        // Neither its home nor where it runs: its end shows in the tables; watch them.
        CompletableFuture<ExitStatus> f = new CompletableFuture<>();
        Thread.ofVirtual().name("mosix wait " + pid).start(() -> {
            while (!f.isDone()) {
                Optional<ProcessInfo> now = info(pid);
                if (now.isEmpty()) {
                    f.complete(new ExitStatus(255, "lost: no vnode's table has it any more"));
                } else if (now.get().exit().isPresent()) {
                    f.complete(now.get().exit().get());
                } else {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            }
        });
        return f;
    }

    private IllegalArgumentException unknown(long pid) {
        return new IllegalArgumentException("pid=" + pid + " is not a process of the cluster (mosix:ps lists them)");
    }

    @Override
    public void close() {
        try {
            oom.close();
            checkpointer.close();
            deputies.close();
            table.close();
        } finally {
            proc.close();
        }
    }

    /** This vnode's own entries for the cluster view: its table and its deputies. */
    private final class Local implements ProcessManager {
        @Override
        public ProcessInfo spawn(ProcessSpec spec) {
            return table.spawn(spec);
        }

        @Override
        public List<ProcessInfo> processes() {
            List<ProcessInfo> all = new ArrayList<>(table.processes());
            all.addAll(deputies.deputies());
            return all;
        }

        @Override
        public Optional<ProcessInfo> info(long pid) {
            Optional<ProcessInfo> here = table.info(pid);
            return here.isPresent() ? here : deputies.deputies().stream().filter(d -> d.pid() == pid).findFirst();
        }

        @Override
        public void signal(long pid, Signal signal) {
            table.signal(pid, signal);
        }

        @Override
        public CompletableFuture<ExitStatus> onExit(long pid) {
            return table.onExit(pid);
        }
    }
}
