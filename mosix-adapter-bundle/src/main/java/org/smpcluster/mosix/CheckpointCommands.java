package org.smpcluster.mosix;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.vfs.Vfs;

/**
 * {@code mosix:checkpoint PID [FILE]} and {@code mosix:restart FILE [-n VNODE|-h|-b]}. Files are
 * host paths (relative to the shell's directory) or {@code vfs:/...} paths when this vnode has
 * the cluster filesystem (any vnode can then restart the checkpoint).
 */
@Component(service = CheckpointCommands.class, configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        "osgi.command.scope=mosix",
        "osgi.command.function=checkpoint",
        "osgi.command.function=restart"})
public final class CheckpointCommands {

    static final String CHECKPOINT_USAGE = """
            usage: mosix:checkpoint PID [FILE]
              freezes a migratable process at its next safe point, writes its state and what it needs
              to start again to FILE (default: the file of its -C), and lets it run on. Run it on the
              vnode where the process runs (mosix:where PID). FILE: a host path or vfs:/PATH; the
              old checkpoint is replaced only once the new one is complete.""";
    static final String RESTART_USAGE = """
            usage: mosix:restart FILE [-n VNODE | -h | -b]
              starts a process again from a checkpoint, going on from its state, with this vnode as
              its home: on vnode VNODE (-n), here (-h, the default) or on the best vnode now (-b).
              It keeps its PID when this vnode is its home and no table here remembers that PID;
              otherwise it gets a new one. Its output goes to this vnode's console; it has no stdin.""";

    private final ProcessManager processes;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Vfs vfs;

    @Activate
    public CheckpointCommands(@Reference ProcessManager processes) {
        this.processes = processes;
    }

    @Descriptor("checkpoint a migratable process to a file (host path or vfs:/...) and let it run on")
    public String checkpoint(CommandSession session, @Descriptor("PID [FILE] (or --help)") String... args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            return CHECKPOINT_USAGE;
        }
        if (args.length > 2) {
            throw new IllegalArgumentException("mosix:checkpoint takes PID [FILE], got " + Arrays.toString(args));
        }
        long pid = ProcessCommands.pid(args[0]);
        Path file = args.length == 2 ? path(args[1], session) : null;
        return pid + ": checkpoint written to " + processes.checkpoint(pid, file);
    }

    @Descriptor("start a process again from a checkpoint file, here or on another vnode")
    public String restart(CommandSession session, @Descriptor("FILE [-n VNODE | -h | -b] (or --help)") String... args) {
        if (args.length == 0 || args[0].equals("--help")) {
            return RESTART_USAGE;
        }
        Path file = path(args[0], session);
        Placement where = Placement.HOME;
        for (int k = 1; k < args.length; k++) {
            switch (args[k]) {
                case "-n", "--node" -> {
                    if (++k >= args.length) {
                        throw new IllegalArgumentException("option=-n needs a VNODE (mosix:restart --help)");
                    }
                    where = Placement.parse(args[k]);
                }
                case "-h", "--home" -> where = Placement.HOME;
                case "-b", "--best" -> where = Placement.BEST;
                default -> throw new IllegalArgumentException("option=" + args[k] + " is not one of -n --node -h --home"
                        + " -b --best (mosix:restart --help)");
            }
        }
        ProcessInfo i;
        if (processes instanceof ProcessManagerComponent c && session != null) {
            PrintStream out = session.getConsole();
            i = c.restart(file, where, out, out);
        } else {
            i = processes.restart(file, where);
        }
        return "[" + i.pid() + "] " + i.name() + " restarted on vnode " + i.currentVnode() + " from " + file;
    }

    /** A host path (relative to the shell's directory) or a {@code vfs:} one. */
    Path path(String s, CommandSession session) {
        if (s.startsWith(Vfs.SCHEME + ":")) {
            Vfs v = vfs;
            if (v == null) {
                throw new IllegalArgumentException("file=" + s + ": this vnode has no cluster filesystem (vfs bundle);"
                        + " give a host path");
            }
            return v.path(URI.create(s));
        }
        Path cwd = session == null ? Path.of("").toAbsolutePath() : session.currentDir();
        return cwd.resolve(s);
    }
}
