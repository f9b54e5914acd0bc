package org.smpcluster.mosix;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.cluster.MosixNode;
import org.smpcluster.mosix.cluster.ProcFiles;

/**
 * This vnode's {@link ProcessManager}: its {@link MosixNode} (the process table published in
 * the local bridge {@code proc}, deputies for processes run elsewhere, the cluster-wide view),
 * and the interrupt handler of the deputy channels' vector (whiteboard). Deactivation kills
 * what still runs.
 */
@Component(service = {ProcessManager.class, InterruptHandler.class}, configurationPolicy = ConfigurationPolicy.IGNORE,
        property = {
            // Deputies.VECTOR, Portals.FIRST_DRIVER_VECTOR + 5 (an annotation needs the literal)
            InterruptHandler.VECTOR + ":Integer=21",
            // the commands that need the cluster view, not just a ProcessManager
            "osgi.command.scope=mosix", "osgi.command.function=where", "osgi.command.function=proc",
            "osgi.command.function=nodes", "osgi.command.function=migrate"})
public final class ProcessManagerComponent implements ProcessManager, InterruptHandler {

    private final MosixNode node;
    /** The cluster-wide /proc as host files; null when they cannot be (said in the log). */
    private final ProcFiles files;

    @Activate
    public ProcessManagerComponent(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges,
            @Reference Portals portals) {
        this.node = new MosixNode(nanokernel, bridges, portals);
        // ConfigAdmin is not wired yet: a framework property turns the balancer off (MosixNode.BALANCE_PROPERTY)
        org.osgi.framework.Bundle bundle = org.osgi.framework.FrameworkUtil.getBundle(MosixNode.class);
        String balance = bundle == null || bundle.getBundleContext() == null ? null
                : bundle.getBundleContext().getProperty(MosixNode.BALANCE_PROPERTY);
        if (balance != null) {
            node.balancer().enabled(!"off".equalsIgnoreCase(balance));
        }
        this.files = procFiles(nanokernel);
    }

    /** For the bundle's other commands (mosix:balance, mosix:mon). */
    MosixNode node() {
        return node;
    }

    private ProcFiles procFiles(Nanokernel nanokernel) {
        java.nio.file.Path dir = ProcFiles.directoryOf(nanokernel.physmemPath());
        try {
            return new ProcFiles(node, nanokernel.vnodeId(), dir, nanokernel::kernelThread);
        } catch (java.io.IOException | RuntimeException e) {
            // The process space works without its files: say why they are missing.
            System.getLogger(ProcessManagerComponent.class.getName()).log(System.Logger.Level.WARNING,
                    "mosix: no /proc files in " + dir + ": " + e);
            return null;
        }
    }

    @Deactivate
    void deactivate() {
        try {
            if (files != null) {
                files.close();
            }
        } finally {
            node.close();
        }
    }

    @Descriptor("show where a process of the cluster runs, and its home")
    public String where(@Descriptor("PID (or --help)") String pid) {
        if (pid.equals("--help") || pid.equals("-h")) {
            return "usage: mosix:where PID\n  the vnode the process runs on now, and its home (where its deputy is)";
        }
        long p = ProcessCommands.pid(pid);
        ProcessInfo i = node.info(p).orElseThrow(() -> new IllegalArgumentException("pid=" + p
                + " is not a process of the cluster (mosix:ps lists them)"));
        return p + ": vnode " + i.currentVnode() + (i.currentVnode() == i.homeVnode() ? " (its home)"
                : " (home: vnode " + i.homeVnode() + ")") + (i.exit().isPresent() ? ", ended " + i.exit().get() : "");
    }

    @Descriptor("show a file of the cluster-wide /proc: /proc/PID/{where,migrate,stat,status,cantmove}, /proc/hpc/nodes/N/{load,cpus,mem,status}")
    public String proc(@Descriptor("PATH (or --help)") String path) {
        if (path.equals("--help") || path.equals("-h")) {
            return "usage: mosix:proc PATH\n  /proc/PID/{where,migrate,stat,status,cantmove}  /proc/hpc/nodes/N/{load,cpus,mem,status}"
                    + (files == null ? "" : "\n  also files on the host: " + files.directory()
                    + " (echo VNODE > PID/migrate moves a process)");
        }
        return node.procFs().read(path).stripTrailing();
    }

    @Descriptor("show each vnode's load: runnable processes, CPUs, load (runnable per CPU x 1000, decayed), free heap")
    public String nodes(@Descriptor("--help only") String... args) {
        if (args.length > 0) {
            if (args[0].equals("--help") || args[0].equals("-h")) {
                return "usage: mosix:nodes\n  the load of every vnode that runs the MOSIX layer, from its proc table";
            }
            throw new IllegalArgumentException("mosix:nodes takes no arguments, got " + java.util.Arrays.toString(args));
        }
        StringBuilder b = new StringBuilder(String.format(java.util.Locale.ROOT, "%5s %8s %4s %8s %10s%n", "VNODE",
                "RUNNABLE", "CPUS", "LOAD", "FREE"));
        for (var l : node.cluster().loads()) {
            b.append(String.format(java.util.Locale.ROOT, "%5d %8d %4d %8d %10s%n", l.vnode(), l.runnable(), l.cpus(),
                    l.loadMillis(), ProcessCommands.bytes(l.freeBytes())));
        }
        return b.toString().stripTrailing();
    }

    @Descriptor("move a migratable process to a vnode, home, or the best vnode now, at its next safe point (on any vnode)")
    public String migrate(@Descriptor("PID VNODE|home|balance|best (or --help)") String... args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            return "usage: mosix:migrate PID VNODE|home|balance\n  freezes the process at its next safe point, ships its"
                    + " state, and resumes it there with the same PID; its stdio stays at home (its deputy).\n  Any"
                    + " vnode may ask: the move is made where the process runs. balance (or best): the least loaded"
                    + " vnode now.\n  A process that cannot move says why (mosix:proc /proc/PID/cantmove).";
        }
        if (args.length != 2) {
            throw new IllegalArgumentException("mosix:migrate takes PID VNODE|home|balance, got "
                    + java.util.Arrays.toString(args));
        }
        long p = ProcessCommands.pid(args[0]);
        // MOSIX's word for the best vnode now; Placement.parse knows best
        String to = args[1].strip().equalsIgnoreCase("balance") ? "best" : args[1];
        ProcessInfo i;
        try {
            i = node.migrate(p, Placement.parse(to));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("vnode=" + args[1] + " is not a vnode id")) {
                throw new IllegalArgumentException("vnode=" + args[1] + " is not a vnode id (0..), home or balance", e);
            }
            throw e;
        }
        return p + ": vnode " + i.currentVnode() + (i.currentVnode() == i.homeVnode() ? " (its home)"
                : " (home: vnode " + i.homeVnode() + ")");
    }

    @Override
    public ProcessInfo migrate(long pid, Placement where) {
        return node.migrate(pid, where);
    }

    @Override
    public java.nio.file.Path checkpoint(long pid, java.nio.file.Path file) {
        return node.checkpoint(pid, file);
    }

    @Override
    public ProcessInfo restart(java.nio.file.Path file, Placement where) {
        return node.restart(file, where);
    }

    /** mosix:restart: the restarted process's output to the command's console. */
    ProcessInfo restart(java.nio.file.Path file, Placement where, java.io.OutputStream out, java.io.OutputStream err) {
        return node.restart(file, where, out, err);
    }

    /** The cluster filesystem, when this vnode has one: checkpoints' vfs: paths resolve through it. */
    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    void bindVfs(org.smpcluster.api.vfs.Vfs vfs) {
        node.paths(uri -> org.smpcluster.api.vfs.Vfs.SCHEME.equals(uri.getScheme()) ? vfs.path(uri)
                : org.smpcluster.mosix.checkpoint.CheckpointFile.hostPath(uri));
    }

    void unbindVfs(org.smpcluster.api.vfs.Vfs vfs) {
        node.paths(null);
    }

    @Override
    public boolean handle(int vector, long hits) {
        node.interrupt();
        return true;
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec) {
        return node.spawn(files == null ? spec : files.withEnvironment(spec));
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec, Placement where) {
        return node.spawn(files == null ? spec : files.withEnvironment(spec), where);
    }

    @Override
    public List<ProcessInfo> processes() {
        return node.processes();
    }

    @Override
    public Optional<ProcessInfo> info(long pid) {
        return node.info(pid);
    }

    @Override
    public void signal(long pid, Signal signal) {
        node.signal(pid, signal);
    }

    @Override
    public CompletableFuture<ExitStatus> onExit(long pid) {
        return node.onExit(pid);
    }
}
