package org.smpcluster.console;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Callable;

import org.apache.felix.gogo.runtime.Parser;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * The vnode's front end on the JVM's main thread: once the image is up, either the
 * interactive Gogo shell on the process's terminal, or the commands given to
 * {@code ./smpcluster -c 'CMD; CMD'}, whose output it prints and whose outcome becomes the
 * process's exit status.
 *
 * <p>It registers a {@code Callable<Integer>} with {@code main.thread=true}: the bnd launcher
 * calls it on the main thread, stops the framework when it returns and exits with the value it
 * returned. Owning the shell here (the Gogo shell bundle runs {@code --nointeractive}) is what
 * makes a clean exit 0 and a failed command non-zero; when Gogo's own shell stopped the
 * framework the launcher would report that as an abnormal stop.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true)
public final class MainShell {

    /** Framework property holding the commands to run instead of the interactive shell. */
    public static final String SCRIPT = "smpcluster.script";
    /** Framework property: commands run once the image is up, before the shell or the script. */
    public static final String STARTUP = "smpcluster.startup";
    /** Framework property: how long to wait for the image's components, in milliseconds. */
    public static final String READY_TIMEOUT = "smpcluster.ready.timeout.ms";

    static final int OK = 0;
    static final int COMMAND_FAILED = 1;
    static final int USAGE = 2;
    static final int NOT_READY = 3;
    static final int STARTUP_FAILED = 4;

    private final ServiceRegistration<?> registration;

    @Activate
    public MainShell(BundleContext context,
            @Reference CommandProcessor processor,
            @Reference ServiceComponentRuntime scr) {
        String timeout = context.getProperty(READY_TIMEOUT);
        Duration readyTimeout = Duration.ofMillis(timeout == null ? 10_000 : Long.parseLong(timeout.strip()));
        Callable<Integer> main = new MainThread(context, processor, scr, context.getProperty(STARTUP),
                context.getProperty(SCRIPT), context.getProperty(RunProgram.PROPERTY), readyTimeout);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("main.thread", Boolean.TRUE);
        registration = context.registerService(Callable.class, main, props);
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregisters everything when it stops; nothing left to undo
        }
    }

    /**
     * The launcher's main-thread service. A named class, not a lambda: the bnd launcher reads
     * {@code Callable<Integer>} off the class's generic interfaces before it will call it.
     */
    private record MainThread(BundleContext context, CommandProcessor processor, ServiceComponentRuntime scr,
            String startup, String script, String program, Duration readyTimeout) implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            List<String> unready = new Readiness(context, scr).await(readyTimeout);
            PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
            if (!unready.isEmpty()) {
                err.println("smpcluster: the image did not come up within " + readyTimeout.toMillis() + " ms:");
                unready.forEach(problem -> err.println("  " + problem));
                return NOT_READY;
            }
            // The process's own descriptors, as Gogo's shell does: once Gogo runs, System.out is
            // its per-thread redirection, and a session writing to it would write to itself.
            PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
            if (startup != null && !startup.isBlank()) {
                // A program's stdout is its own: the boot's report is shown only when it failed.
                java.io.ByteArrayOutputStream report = new java.io.ByteArrayOutputStream();
                PrintStream startupOut = program == null ? out
                        : new PrintStream(report, true, java.nio.charset.StandardCharsets.UTF_8);
                int status = run(processor, startup, startupOut, err);
                if (status != OK) {
                    err.print(report.toString(java.nio.charset.StandardCharsets.UTF_8));
                    err.println("smpcluster: the startup commands failed; shutting down");
                    return status == USAGE ? USAGE : STARTUP_FAILED;
                }
            }
            if (program != null) {
                return RunProgram.run(context, program, readyTimeout, new FileInputStream(FileDescriptor.in),
                        new FileOutputStream(FileDescriptor.out), err);
            }
            return script == null
                    ? interactive(processor, new FileInputStream(FileDescriptor.in), out, err)
                    : run(processor, script, out, err);
        }
    }

    /** Gogo's interactive shell on this process's terminal, until end of input or {@code exit}. */
    static int interactive(CommandProcessor processor, InputStream in, PrintStream out,
            PrintStream err) throws Exception {
        // ^C on this terminal is the terminal's SIGINT to the whole root JVM: it must not end the
        // cluster, only interrupt the command typed at the prompt (mosix:run sends its program
        // SIGINT, then SIGKILL), as a shell's foreground job gets it.
        ForegroundInterrupt foreground = new ForegroundInterrupt();
        sun.misc.Signal interrupt = new sun.misc.Signal("INT");
        sun.misc.SignalHandler previous = sun.misc.Signal.handle(interrupt, signal -> {
            if (!foreground.interrupt()) {
                err.println("\n(^C does not stop the root: Ctrl-D at the prompt does; ^C interrupts a command"
                        + " running at this prompt)");
            }
        });
        try (CommandSession session = processor.createSession(in, out, err)) {
            session.setJobListener(foreground);
            session.execute("gosh --login --noshutdown");
            return OK;
        } finally {
            sun.misc.Signal.handle(interrupt, previous);
        }
    }

    /** Runs each statement of the script in order; stops at the first that fails. */
    static int run(CommandProcessor processor, String script, PrintStream out, PrintStream err) throws Exception {
        List<String> commands;
        try {
            commands = statements(script);
        } catch (RuntimeException e) {
            err.println("smpcluster: cannot parse the commands: " + describe(e));
            return USAGE;
        }
        try (CommandSession session = processor.createSession(InputStream.nullInputStream(), out, err)) {
            for (String command : commands) {
                try {
                    Object result = session.execute(command);
                    if (result != null) {
                        out.println(session.format(result, Converter.INSPECT));
                    }
                    out.flush();
                } catch (Exception e) {
                    out.flush();
                    err.println("smpcluster: " + command + ": " + describe(e));
                    return COMMAND_FAILED;
                }
            }
            return OK;
        }
    }

    /**
     * The top-level statements of a Gogo script, in order, as source text: Gogo itself prints
     * only the value of a line's last statement, and a script's user wants every command's
     * output and to know which command failed.
     */
    static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        // Gogo's program is a list of pipelines and operators; ';' and newlines end a statement,
        // while '&&', '||' and '&' bind their neighbours into one.
        int start = -1;
        int end = -1;
        for (Parser.Executable executable : new Parser(script).program().tokens()) {
            String text = executable.toString();
            if (executable instanceof Parser.Operator && (text.equals(";") || text.equals("\n"))) {
                addStatement(statements, script, start, end);
                start = -1;
                continue;
            }
            if (start < 0) {
                start = executable.start();
            }
            end = executable.start() + executable.length();
        }
        addStatement(statements, script, start, end);
        return statements;
    }

    private static void addStatement(List<String> statements, String script, int start, int end) {
        if (start >= 0) {
            String statement = script.substring(start, end).strip();
            if (!statement.isEmpty()) {
                statements.add(statement);
            }
        }
    }

    /** The message a person needs, without a stack trace for ordinary command errors. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getName();
        }
        return e instanceof IllegalArgumentException || e.getClass().getName().startsWith("org.apache.felix.gogo")
                ? message
                : e.getClass().getSimpleName() + ": " + message;
    }
}
