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
        this.files = procFiles(nanokernel);
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

    @Descriptor("move a migratable process to a vnode, or home, at its next safe point (from its home vnode)")
    public String migrate(@Descriptor("PID VNODE|home|best (or --help)") String... args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            return "usage: mosix:migrate PID VNODE|home|best\n  freezes the process at its next safe point, ships its"
                    + " state, and resumes it there with the same PID; its stdio stays at home (its deputy).\n  A process"
                    + " that cannot move says why (mosix:proc /proc/PID/cantmove).";
        }
        if (args.length != 2) {
            throw new IllegalArgumentException("mosix:migrate takes PID VNODE|home|best, got " + java.util.Arrays.toString(args));
        }
        long p = ProcessCommands.pid(args[0]);
        ProcessInfo i = node.migrate(p, Placement.parse(args[1]));
        return p + ": vnode " + i.currentVnode() + (i.currentVnode() == i.homeVnode() ? " (its home)"
                : " (home: vnode " + i.homeVnode() + ")");
    }

    @Override
    public ProcessInfo migrate(long pid, Placement where) {
        return node.migrate(pid, where);
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
