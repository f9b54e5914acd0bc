package org.smpcluster.console;

import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.BundleContext;
import org.osgi.util.tracker.ServiceTracker;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;

/**
 * {@code ./smpcluster run [-n VNODE | -h | -b] [-L] [--name NAME] (-cp CP CLASS | -jar JAR) [ARGS...]}:
 * one program run as a foreground process of the root, its stdio the JVM's own (so the script's),
 * and its status the JVM's exit status. The script hands the arguments over in the framework
 * property {@link #PROPERTY}, separated by {@link #SEPARATOR} (a character no shell argument
 * a person types contains, and which a command line carries: a NUL cannot be in one).
 *
 * <p>Statuses, as a shell gives them: the program's own (0..255, {@code 128 + N} for a signal);
 * 127 when there is nothing to run (a class path entry that does not exist, a class not on the
 * class path), 126 when what is there cannot be run (not a jar, no {@code Main-Class}, no
 * {@code main}, no process manager in the image), 2 for options that do not parse.
 */
final class RunProgram {

    /** Framework property: the program to run instead of the shell, its arguments separated by {@link #SEPARATOR}. */
    static final String PROPERTY = "smpcluster.run";
    /** ASCII's unit separator. */
    static final char SEPARATOR = '\u001f';

    static final int CANNOT_EXECUTE = 126;
    static final int NOT_FOUND = 127;

    /** What to run and where; {@code help} for {@code --help}. */
    record Request(ProcessSpec spec, Placement where, boolean help) {
    }

    static final String USAGE = """
            usage: ./smpcluster run [OPTIONS] [-n VNODE | -h | -b] [-L] [--name NAME] (-cp CLASSPATH CLASS | -jar JAR) [ARGS...]
              boots the cluster, runs one Java program as a process whose home is the root (its stdin,
              stdout and stderr are this command's), and exits with its status once it ends, shutting
              the cluster down. ^C sends it SIGINT, a second ^C SIGKILL.
              -n, --node VNODE      run it on vnode VNODE (its deputy, at the root, forwards its stdio)
              -h, --home            run it on the root (the default)
              -b, --best            run it on the vnode with the lowest load now
              -L, --locked          never move it automatically (mosrun -L)
              -cp, --class-path CP  jars and directories, separated by '%s'
              -jar JAR              run the jar's Main-Class
              --name NAME           the name mosix:ps shows (default: the main class's)
              OPTIONS: --config FILE, --cluster NAME, --physmem SIZE, --no-vnodes, --no-build, --rebuild
            exit status: the program's (0..255; 128+N when signal N ended it: 130 for SIGINT, 137 for
              SIGKILL); 127 when there is nothing to run (a class path entry or class that is not
              there), 126 when it cannot run (not a jar, no Main-Class, no main method); 2 for bad
              options; 3 or 4 when the cluster did not come up (stderr says so)""".formatted(File.pathSeparator);

    private RunProgram() {
    }

    /** The script's arguments out of the property's value. */
    static List<String> split(String property) {
        return List.of(property.split(String.valueOf(SEPARATOR), -1));
    }

    /**
     * Parses mosrun's options, as {@code mosix:run} has them: options come before the program,
     * everything after its class (or jar) is its own.
     *
     * @throws IllegalArgumentException naming the option and what is allowed
     */
    static Request parse(List<String> args, Path cwd) {
        Placement where = Placement.HOME;
        boolean locked = false;
        String name = null;
        List<Path> cp = null;
        boolean jar = false;
        int k = 0;
        while (!jar && k < args.size() && args.get(k).startsWith("-")) {
            String a = args.get(k++);
            switch (a) {
                case "--help" -> {
                    return new Request(null, null, true);
                }
                case "-n", "--node" -> where = Placement.on(vnode(value(args, k++, a)));
                case "-h", "--home" -> where = Placement.HOME;
                case "-b", "--best" -> where = Placement.BEST;
                case "-L", "--locked" -> locked = true;
                case "--name" -> name = value(args, k++, a);
                case "-cp", "-classpath", "--class-path" -> cp = classPath(value(args, k++, a), cwd);
                case "-jar" -> {
                    cp = List.of(cwd.resolve(value(args, k++, a)));
                    jar = true;
                }
                default -> throw new IllegalArgumentException("option=" + a + " is not one of -n --node -h --home"
                        + " -b --best -L --locked --name -cp --class-path -jar --help (./smpcluster run --help)");
            }
        }
        if (cp == null) {
            throw new IllegalArgumentException("no program: give -cp CLASSPATH CLASS or -jar JAR (./smpcluster run --help)");
        }
        String main = null;
        if (!jar) {
            if (k >= args.size()) {
                throw new IllegalArgumentException("no class: give the main class after -cp CLASSPATH");
            }
            main = args.get(k++);
        }
        ProcessSpec spec = new ProcessSpec(cp, main, args.subList(k, args.size()), cwd, null, null, null, null, name,
                0, locked, null, null);
        return new Request(spec, where, false);
    }

    /**
     * Runs the program in the foreground and returns its status: looks up the root's
     * {@link ProcessManager} (waiting for it up to {@code timeout}), spawns with this JVM's own
     * stdio, forwards ^C (SIGINT to this JVM) as SIGINT, then SIGKILL, and waits.
     */
    static int run(BundleContext context, String property, Duration timeout, InputStream in, OutputStream out,
            PrintStream err) throws InterruptedException {
        Request r;
        try {
            r = parse(split(property), Path.of("").toAbsolutePath());
        } catch (IllegalArgumentException e) {
            err.println("smpcluster: run: " + e.getMessage());
            return MainShell.USAGE;
        }
        if (r.help()) {
            err.println(USAGE);
            return MainShell.OK;
        }
        ServiceTracker<ProcessManager, ProcessManager> tracker = new ServiceTracker<>(context, ProcessManager.class, null);
        tracker.open();
        try {
            ProcessManager processes = tracker.waitForService(timeout.toMillis());
            if (processes == null) {
                err.println("smpcluster: run: no ProcessManager service within " + timeout.toMillis()
                        + " ms: the image has no process space (org.smpcluster.mosix)");
                return CANNOT_EXECUTE;
            }
            return foreground(processes, r, in, out, err);
        } finally {
            tracker.close();
        }
    }

    static int foreground(ProcessManager processes, Request r, InputStream in, OutputStream out, PrintStream err)
            throws InterruptedException {
        // The terminal's ^C is SIGINT to this whole JVM (the vnodes run in sessions of their own):
        // here it is the program's, as a shell's foreground job gets it. The handler goes in
        // before the spawn: a ^C as the program starts must not end the JVM the default way; one
        // that comes before the PID is known is delivered once it is.
        Foreground job = new Foreground(processes);
        sun.misc.Signal sigint = new sun.misc.Signal("INT");
        sun.misc.SignalHandler previous = sun.misc.Signal.handle(sigint, signal -> job.interrupt());
        try {
            ProcessInfo p;
            try {
                p = processes.spawn(r.spec().withStdin(in).withStdout(out).withStderr(err), r.where());
            } catch (IllegalArgumentException e) {
                err.println("smpcluster: run: " + e.getMessage());
                return statusOfRefusal(e.getMessage());
            } catch (IllegalStateException e) {
                err.println("smpcluster: run: " + e.getMessage());
                return CANNOT_EXECUTE;
            }
            long pid = p.pid();
            CompletableFuture<ExitStatus> exit = processes.onExit(pid);
            job.started(pid);
            ExitStatus status = exit.get();
            out.flush();
            return status.code();
        } catch (ExecutionException e) {
            err.println("smpcluster: run: the program ended without a status: " + e.getCause());
            return CANNOT_EXECUTE;
        } catch (java.io.IOException e) {
            err.println("smpcluster: run: cannot flush the program's output: " + e.getMessage());
            return CANNOT_EXECUTE;
        } finally {
            sun.misc.Signal.handle(sigint, previous);
        }
    }

    /** The program's ^Cs: the first is SIGINT, the next ones SIGKILL; held until its PID is known. */
    private static final class Foreground {
        private final ProcessManager processes;
        private long pid = -1; // guarded by this
        private int pending; // guarded by this
        private final AtomicInteger interrupts = new AtomicInteger();

        Foreground(ProcessManager processes) {
            this.processes = processes;
        }

        void interrupt() {
            long p;
            synchronized (this) {
                if (pid < 0) {
                    pending++;
                    return;
                }
                p = pid;
            }
            send(p);
        }

        void started(long p) {
            int n;
            synchronized (this) {
                pid = p;
                n = pending;
                pending = 0;
            }
            for (int i = 0; i < n; i++) {
                send(p);
            }
        }

        private void send(long p) {
            Signal s = interrupts.incrementAndGet() == 1 ? Signal.SIGINT : Signal.SIGKILL;
            try {
                processes.signal(p, s);
            } catch (IllegalArgumentException gone) {
                // it ended and left the table between the ^C and now: nothing to interrupt
            }
        }
    }

    /**
     * A shell's status for a program that did not start: 127 when nothing is there to run, 126
     * when what is there cannot run. Read off the process manager's message (the API says only
     * that it is an {@code IllegalArgumentException} naming what is wrong).
     */
    static int statusOfRefusal(String message) {
        String m = message == null ? "" : message;
        return m.contains("does not exist") || m.contains("is not on classpath") ? NOT_FOUND : CANNOT_EXECUTE;
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
        throw new IllegalArgumentException("vnode=" + s + " is not a vnode id (0, 1, ...)");
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
