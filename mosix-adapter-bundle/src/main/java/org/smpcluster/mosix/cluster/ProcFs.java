package org.smpcluster.mosix.cluster;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;

/**
 * The cluster-wide /proc in openMosix's layout, as the contents of its files:
 * {@code /proc/PID/{where,migrate,stat,status,cantmove}} for any process of the cluster,
 * {@code /proc/hpc/nodes/N/{load,cpus,mem,status}} for any vnode. {@link ProcFiles} writes them
 * as files on the host.
 */
public final class ProcFs {

    static final Pattern PROCESS = Pattern.compile("/proc/(\\d+)/(where|migrate|stat|status|cantmove)");
    static final Pattern NODE = Pattern.compile("/proc/hpc/nodes/(\\d+)/(load|cpus|mem|status)");

    private final ProcessManager processes;
    private final Supplier<List<ClusterView.Load>> loads;

    public ProcFs(ProcessManager processes, Supplier<List<ClusterView.Load>> loads) {
        this.processes = processes;
        this.loads = loads;
    }

    /**
     * The contents of {@code path}, newline-terminated.
     *
     * @throws IllegalArgumentException for a path that is not one of the files, an unknown PID or a vnode that is not up
     */
    public String read(String path) {
        Matcher m = PROCESS.matcher(path);
        if (m.matches()) {
            long pid = Long.parseLong(m.group(1));
            ProcessInfo p = processes.info(pid).orElseThrow(() -> new IllegalArgumentException("path=" + path
                    + ": pid=" + pid + " is not a process of the cluster (mosix:ps lists them)"));
            return switch (m.group(2)) {
                case "where", "migrate" -> where(p);
                case "stat" -> stat(p);
                case "status" -> status(p);
                default -> cantmove(p);
            };
        }
        m = NODE.matcher(path);
        if (m.matches()) {
            int vnode = Integer.parseInt(m.group(1));
            Optional<ClusterView.Load> l = loads.get().stream().filter(x -> x.vnode() == vnode).findFirst();
            if (m.group(2).equals("status")) {
                return (l.isPresent() ? "up" : "down") + "\n";
            }
            ClusterView.Load load = l.orElseThrow(() -> new IllegalArgumentException("path=" + path + ": vnode="
                    + vnode + " is not up (or runs no MOSIX layer)"));
            return switch (m.group(2)) {
                case "load" -> load.loadMillis() + "\n";
                case "cpus" -> load.cpus() + "\n";
                default -> load.freeBytes() + "\n";
            };
        }
        throw new IllegalArgumentException("path=" + path + " is not one of /proc/PID/{where,migrate,stat,status,cantmove}"
                + " /proc/hpc/nodes/N/{load,cpus,mem,status}");
    }

    /** The vnode it runs on; also what its {@code migrate} file reads. */
    static String where(ProcessInfo p) {
        return p.currentVnode() + "\n";
    }

    static String cantmove(ProcessInfo p) {
        return (p.cantMove().isEmpty() ? "can move" : p.cantMove()) + "\n";
    }

    /** Like Linux's one line: pid (name) state ppid, then home, where, CPU ns, bytes allocated, start. */
    static String stat(ProcessInfo p) {
        return String.format(Locale.ROOT, "%d (%s) %c %d %d %d %d %d %d%n", p.pid(), p.name(), state(p), p.parent(),
                p.homeVnode(), p.currentVnode(), p.cpuNanos(), p.allocatedBytes(), p.startedMillis());
    }

    static String status(ProcessInfo p) {
        StringBuilder b = new StringBuilder();
        b.append("Name:\t").append(p.name()).append('\n');
        b.append("State:\t").append(state(p)).append(" (").append(p.state().name().toLowerCase(Locale.ROOT)).append(")\n");
        b.append("Pid:\t").append(p.pid()).append('\n');
        b.append("PPid:\t").append(p.parent()).append('\n');
        b.append("Home:\t").append(p.homeVnode()).append('\n');
        b.append("Where:\t").append(p.currentVnode()).append('\n');
        b.append("Cpu:\t").append(String.format(Locale.ROOT, "%.3f s", p.cpuNanos() / 1e9)).append('\n');
        b.append("Allocated:\t").append(p.allocatedBytes()).append(" bytes\n");
        p.exit().ifPresent(x -> b.append("Exit:\t").append(x).append('\n'));
        return b.toString();
    }

    private static char state(ProcessInfo p) {
        return switch (p.state()) {
            case RUNNING -> 'R';
            case STOPPED -> 'T';
            case EXITING -> 'X';
            case EXITED -> 'Z';
        };
    }
}
