package org.smpcluster.mosix;

import java.io.File;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;

/**
 * {@code mosix:run}, {@code ps}, {@code kill}: processes of this vnode from its shell
 * ({@code wait} is {@link WaitCommand}). The options are parsed here, not by Gogo, so that a program's own arguments
 * ({@code -v}, {@code -cp}) after its class reach the program untouched.
 */
@Component(service = ProcessCommands.class, configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        "osgi.command.scope=mosix",
        "osgi.command.function=run",
        "osgi.command.function=ps",
        "osgi.command.function=kill"})
public final class ProcessCommands {

    static final String RUN_USAGE = """
            usage: mosix:run [-d] [-n VNODE | -h | -b] [-L] [--name NAME] [-C FILE [-A SECONDS]] (-cp CLASSPATH CLASS | -jar JAR) [ARGS...]
              runs a Java program as a process with this vnode as its home (its own class loader,
              thread group, stdio and exit status); in the foreground its stdio is this terminal's,
              ^C sends it SIGINT (a second ^C SIGKILL), and the command ends with it. Run elsewhere,
              its deputy here forwards its stdio, signals and exit status
              -n, --node VNODE      run it on vnode VNODE
              -h, --home            run it here (the default)
              -b, --best            run it on the vnode with the lowest load now
              -L, --locked          never move it automatically (the balancer leaves it; migrate still moves it)
              -cp, --class-path CP  jars and directories, separated by '%s'
              -jar JAR              run the jar's Main-Class
              -d, --detach          run in the background: print its PID and return
              --name NAME           the name mosix:ps shows (default: the main class's)
              -C FILE               checkpoints of it go to FILE (mosix:checkpoint PID; a restart if its vnode dies)
              -A SECONDS            checkpoint it every SECONDS (with -C; a migratable program only)""".formatted(File.pathSeparator);
    static final String KILL_USAGE = """
            usage: mosix:kill [-SIGNAL] PID...
              sends a signal (default TERM) to the process wherever it runs in the cluster:
              -9 -KILL -STOP -CONT -INT -TERM -HUP -USR1 -USR2""";

    private final ProcessManager processes;

    @Activate
    public ProcessCommands(@Reference ProcessManager processes) {
        this.processes = processes;
    }

    @Descriptor("run a Java program as a process, here or on another vnode (--help for the options)")
    public Object run(CommandSession session,
            @Descriptor("[-d] [-n VNODE | -h | -b] [-L] [--name NAME] [-C FILE [-A SECONDS]] (-cp CLASSPATH CLASS | -jar JAR) [ARGS...]") String... args)
            throws InterruptedException {
        Run r = Run.parse(List.of(args), session == null ? Path.of("").toAbsolutePath() : session.currentDir());
        if (r == null) {
            return RUN_USAGE;
        }
        ProcessSpec spec = r.spec();
        PrintStream out = current(System.out, session == null ? System.out : session.getConsole());
        PrintStream err = current(System.err, out);
        spec = spec.withStdout(out).withStderr(err);
        if (!r.detach()) {
            spec = spec.withStdin(currentIn(System.in, session == null ? InputStream.nullInputStream() : session.getKeyboard()));
        }
        ProcessInfo p = processes.spawn(spec, r.where());
        if (r.detach()) {
            return "[" + p.pid() + "] " + p.name();
        }
        ExitStatus s = foreground(p.pid());
        return s.code() == 0 ? null : "exit " + s;
    }

    /** Waits for the foreground process; ^C (an interrupt of this command) is SIGINT, then SIGKILL. */
    private ExitStatus foreground(long pid) throws InterruptedException {
        CompletableFuture<ExitStatus> exit = processes.onExit(pid);
        int interrupts = 0;
        while (true) {
            try {
                return exit.get();
            } catch (InterruptedException e) {
                interrupts++;
                processes.signal(pid, interrupts == 1 ? Signal.SIGINT : Signal.SIGKILL);
                if (interrupts > 2) {
                    throw e;
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("pid=" + pid + " ended without a status: " + e.getCause(), e.getCause());
            }
        }
    }

    /**
     * The stream this command thread really writes to (Gogo's {@code System.out} is one per
     * thread: a pipe, or the session's terminal), for the process's threads, which Gogo does not
     * know. Found through its public {@code getCurrent()} without importing Gogo's runtime.
     */
    @SuppressWarnings("unchecked")
    private static <T> T current(T stream, T otherwise) {
        try {
            Method m = stream.getClass().getMethod("getCurrent");
            Object s = m.invoke(stream);
            return s == null ? otherwise : (T) s;
        } catch (NoSuchMethodException e) {
            return otherwise;
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot find this command's own stdio in " + stream.getClass(), e);
        }
    }

    /**
     * The same for stdin, whose Gogo stream has no public {@code getCurrent()}: its ThreadIO's
     * current marker, read reflectively ({@code echo x | mosix:run ...} pipes into the process).
     * Any other runtime (or a Gogo without those members) gets the session's keyboard.
     */
    private static InputStream currentIn(InputStream in, InputStream otherwise) {
        try {
            java.lang.reflect.Field f = in.getClass().getDeclaredField("io");
            f.setAccessible(true);
            Object io = f.get(in);
            Method current = io.getClass().getDeclaredMethod("current");
            current.setAccessible(true);
            Object marker = current.invoke(io);
            Object s = marker == null ? null : marker.getClass().getMethod("getIn").invoke(marker);
            return s instanceof InputStream i ? i : otherwise;
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Not Gogo's ThreadInputStream (or not the one we know): the keyboard is right then.
            return otherwise;
        }
    }

    record Run(ProcessSpec spec, boolean detach, Placement where) {

        /** Null for --help. */
        static Run parse(List<String> args, Path cwd) {
            boolean detach = false;
            boolean locked = false;
            Placement where = Placement.HOME;
            String name = null;
            Path checkpoints = null;
            java.time.Duration every = null;
            List<Path> cp = null;
            boolean jar = false;
            int k = 0;
            // Options come before the program; everything after its class (or jar) is its own.
            while (!jar && k < args.size() && args.get(k).startsWith("-")) {
                String a = args.get(k++);
                switch (a) {
                    case "--help" -> {
                        return null;
                    }
                    case "-d", "--detach" -> detach = true;
                    case "-n", "--node" -> where = Placement.on(vnode(value(args, k++, a)));
                    case "-h", "--home" -> where = Placement.HOME;
                    case "-b", "--best" -> where = Placement.BEST;
                    case "-L", "--locked" -> locked = true;
                    case "--name" -> name = value(args, k++, a);
                    case "-C", "--checkpoint-file" -> checkpoints = checkpointFile(value(args, k++, a), cwd);
                    case "-A", "--checkpoint-every" -> every = seconds(value(args, k++, a));
                    case "-cp", "-classpath", "--class-path" -> cp = classPath(value(args, k++, a), cwd);
                    case "-jar" -> {
                        cp = List.of(cwd.resolve(value(args, k++, a)));
                        jar = true;
                    }
                    default -> throw new IllegalArgumentException("option=" + a + " is not one of -d --detach -n --node"
                            + " -h --home -b --best -L --locked --name -C -A -cp --class-path -jar --help (mosix:run --help)");
                }
            }
            if (cp == null) {
                throw new IllegalArgumentException("no program: give -cp CLASSPATH CLASS or -jar JAR (mosix:run --help)");
            }
            String main = null;
            if (!jar) {
                if (k >= args.size()) {
                    throw new IllegalArgumentException("no class: give the main class after -cp CLASSPATH");
                }
                main = args.get(k++);
            }
            ProcessSpec spec = new ProcessSpec(cp, main, args.subList(k, args.size()), cwd, null, null, null, null,
                    name, 0, false, null, null);
            if (locked) {
                spec = spec.withLocked(true);
            }
            if (every != null && checkpoints == null) {
                throw new IllegalArgumentException("option=-A needs -C FILE: where the checkpoints go (mosix:run --help)");
            }
            if (checkpoints != null) {
                spec = spec.withCheckpoints(checkpoints, every);
            }
            return new Run(spec, detach, where);
        }

        /** -C FILE: a host path (relative to the shell's directory). */
        private static Path checkpointFile(String s, Path cwd) {
            if (s.startsWith("vfs:")) {
                // not resolved here (this command has no Vfs); mosix:checkpoint and the API take them
                throw new IllegalArgumentException("file=" + s + ": mosix:run -C takes a host path (vfs: paths: mosix:checkpoint"
                        + " PID vfs:/..., or ProcessSpec.withCheckpoints)");
            }
            return cwd.resolve(s);
        }

        /** -A SECONDS: a positive number, fractions allowed (0.2 is 200 ms). */
        private static java.time.Duration seconds(String s) {
            try {
                double v = Double.parseDouble(s.strip());
                if (v > 0 && v < 1e9) {
                    return java.time.Duration.ofMillis(Math.max(1, Math.round(v * 1000)));
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException("seconds=" + s + " is not a positive number of seconds (-A 60, -A 0.5)");
        }

        private static int vnode(String s) {
            try {
                int v = Integer.parseInt(s.strip());
                if (v >= 0) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException("vnode=" + s + " is not a vnode id (0, 1, ...; nk:vnodes lists them)");
        }

        private static String value(List<String> args, int k, String option) {
            if (k >= args.size()) {
                throw new IllegalArgumentException("option=" + option + " needs a value");
            }
            return args.get(k);
        }

        private static List<Path> classPath(String cp, Path cwd) {
            List<Path> out = new ArrayList<>();
            for (String e : cp.split(File.pathSeparator)) {
                if (!e.isEmpty()) {
                    out.add(cwd.resolve(e));
                }
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("classpath=" + cp + " names no jar or directory");
            }
            return out;
        }
    }

    @Descriptor("list every process of the cluster: PID, NAME, HOME, WHERE, STATE, CPU (s), MEM (bytes allocated)")
    public String ps(@Descriptor("--help only") String... args) {
        if (args.length > 0) {
            if (args[0].equals("--help") || args[0].equals("-h")) {
                return "usage: mosix:ps\n  lists every process of the cluster (each vnode's proc table), running and recently ended";
            }
            throw new IllegalArgumentException("mosix:ps takes no arguments, got " + Arrays.toString(args));
        }
        return table(processes.processes());
    }

    static String table(List<ProcessInfo> all) {
        StringBuilder b = new StringBuilder();
        String row = "%-9s %-20s %4s %5s %-12s %9s %8s%n";
        b.append(String.format(Locale.ROOT, row, "PID", "NAME", "HOME", "WHERE", "STATE", "CPU", "MEM"));
        for (ProcessInfo p : all) {
            String state = p.state() == ProcessState.EXITED && p.exit().isPresent()
                    ? "EXITED(" + p.exit().get().code() + ")" : p.state().name();
            String name = p.name().length() > 20 ? p.name().substring(0, 19) + "~" : p.name();
            b.append(String.format(Locale.ROOT, row, p.pid(), name, p.homeVnode(), p.currentVnode(), state,
                    String.format(Locale.ROOT, "%.2f", p.cpuNanos() / 1e9), bytes(p.allocatedBytes())));
        }
        return b.toString().stripTrailing();
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + "B";
        }
        String units = "KMGTPE";
        int u = -1;
        double v = n;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f%c" : "%.0f%c", v, units.charAt(u));
    }

    @Descriptor("send a signal to processes, wherever in the cluster they run (default TERM; --help for the signals)")
    public String kill(@Descriptor("[-SIGNAL] PID...: -9 -KILL -STOP -CONT -INT -TERM -HUP -USR1 -USR2") String... args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            return KILL_USAGE;
        }
        Signal s = Signal.SIGTERM;
        int k = 0;
        if (args[0].startsWith("-")) {
            s = Signal.parse(args[0].substring(1));
            k = 1;
        }
        if (k >= args.length) {
            throw new IllegalArgumentException("no PID: mosix:kill [-SIGNAL] PID... (mosix:ps lists them)");
        }
        List<Long> pids = new ArrayList<>();
        for (; k < args.length; k++) {
            pids.add(pid(args[k]));
        }
        for (long pid : pids) {
            processes.signal(pid, s);
        }
        return null;
    }

    static long pid(String s) {
        try {
            long p = Long.parseLong(s.strip());
            if (p > 0) {
                return p;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("pid=" + s + " is not a PID (a positive number; mosix:ps lists them)");
    }
}
