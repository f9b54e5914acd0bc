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
    private final BalancerAgent balancer;

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
        deputies.admission(this::takesOneMore);
        this.balancer = new BalancerAgent(self, !"off".equalsIgnoreCase(System.getProperty(BALANCE_PROPERTY, "on")),
                this::balancerNodes, this::balancerCandidates, (pid, to) -> moveFromHere(pid, to, true),
                nanokernel::kernelThread);
    }

    /** The framework (or system) property that turns the balancer off at boot: {@code off}; on by default. */
    public static final String BALANCE_PROPERTY = "smpcluster.mosix.balance";

    /** The balancer of this vnode: on or off, its moves ({@code mosix:balance}). */
    public BalancerAgent balancer() {
        return balancer;
    }

    /** This vnode's own processes that run here (exact, not as last sampled). */
    private int runnableHere() {
        return (int) table.residents().stream()
                .filter(r -> r.info().state() == ProcessState.RUNNING).count();
    }

    /** The loads the balancer weighs: the others' as their tables say, this vnode's exact. */
    private List<Balancer.Node> balancerNodes() {
        List<Balancer.Node> out = new ArrayList<>();
        Runtime rt = Runtime.getRuntime();
        for (ClusterView.Load l : cluster.loads()) {
            out.add(l.vnode() == self
                    ? new Balancer.Node(self, runnableHere(), l.cpus(), rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()),
                            rt.maxMemory())
                    : new Balancer.Node(l.vnode(), l.runnable(), l.cpus(), l.freeBytes(), 0));
        }
        return out;
    }

    /** What the balancer may move: running here, migratable, not locked (mosrun -L). */
    private List<Balancer.Candidate> balancerCandidates() {
        return table.residents().stream()
                .filter(r -> r.info().state() == ProcessState.RUNNING && r.info().cantMove().isEmpty() && !r.locked())
                .map(r -> new Balancer.Candidate(r.info().pid(), r.info().allocatedBytes(), r.arrived(), r.sinceNanos()))
                .toList();
    }

    /** Whether a balancer's move may come here: not beyond this vnode's share of the cluster's load. */
    private boolean takesOneMore() {
        int total = 0;
        int cpus = 0;
        int mine = runnableHere();
        int myCpus = 1;
        for (ClusterView.Load l : cluster.loads()) {
            total += l.vnode() == self ? mine : l.runnable();
            cpus += Math.max(1, l.cpus());
            if (l.vnode() == self) {
                myCpus = l.cpus();
            }
        }
        return Balancer.share(mine, myCpus, total, cpus);
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
     * Moves a process from wherever it runs to {@code where} (a vnode, its home, or the best vnode
     * now): from here when it runs here, else asked of the vnode where it runs (through its
     * channel to it), whichever vnode this is. Its deputy stays at its home; a move between two
     * vnodes that are not its home re-routes its stdio to the (home, new vnode) channel.
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
            return moveFromHere(pid, target, false);
        }
        ProcessInfo i = info(pid).orElseThrow(() -> unknown(pid));
        if (i.state() == ProcessState.EXITED) {
            throw new IllegalArgumentException("pid=" + pid + " has ended: " + i.exit().orElse(null));
        }
        int there = i.currentVnode();
        if (target == there) {
            throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + target + " already"
                    + (where.vnode() == Placement.BEST_VNODE ? " (the best vnode now)" : ""));
        }
        deputies.request(pid, there, target);
        return at(i, target);
    }

    /** Moves {@code pid}, which runs here, to {@code target}. */
    private ProcessInfo moveFromHere(long pid, int target, boolean balancing) {
        if (target == self) {
            throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + self + " already");
        }
        if (ProcessManager.homeOf(pid) == self) {
            return deputies.emigrate(pid, target, balancing);
        }
        ProcessInfo before = table.info(pid).orElseThrow(() -> unknown(pid));
        deputies.moveAway(pid, target, balancing);
        return at(before, target);
    }

    private static ProcessInfo at(ProcessInfo i, int vnode) {
        return new ProcessInfo(i.pid(), i.parent(), i.name(), i.homeVnode(), vnode, i.state(), i.cpuNanos(),
                i.allocatedBytes(), i.startedMillis(), i.exit(), i.cantMove());
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
            balancer.close();
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
