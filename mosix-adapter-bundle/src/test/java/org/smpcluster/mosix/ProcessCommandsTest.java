package org.smpcluster.mosix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.proc.TestPrograms;

/** The commands through a real Gogo runtime, as a person at a vnode's prompt types them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessCommandsTest {

    private CommandProcessorImpl gogo;
    private ProcessTable table;
    private CommandSession session;
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private Path programs;

    @BeforeEach
    void setUp() throws Exception {
        gogo = new CommandProcessorImpl(SharedThreadIO.get());
        table = new ProcessTable(0, (name, body) -> {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            return t;
        });
        ProcessCommands commands = new ProcessCommands(table);
        for (String f : new String[] {"run", "ps", "kill"}) {
            gogo.addCommand("mosix", commands, f);
        }
        gogo.addCommand("mosix", new WaitCommand(table), "wait");
        gogo.addCommand("test", new Echo(), "echo");
        PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8);
        session = gogo.createSession(InputStream.nullInputStream(), out, out);
        programs = TestPrograms.classes();
    }

    @AfterEach
    void tearDown() {
        session.close();
        table.close();
    }

    private String screen() {
        synchronized (screen) {
            return screen.toString(StandardCharsets.UTF_8).replace("\r", "");
        }
    }

    private static void waitFor(String what, BooleanSupplier c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(2_000_000);
        }
    }

    @Test
    void shouldRunAProgramInTheForegroundWithTheSessionsStdioAndReportItsStatus() throws Exception {
        Object r = session.execute("mosix:run -cp " + programs + " Exit3");
        assertEquals("exit 3 (exited)", r);
        assertTrue(screen().contains("exit3 here\n"), screen());
        assertEquals(null, session.execute("mosix:run -cp " + programs + " Halter"), "status 0 says nothing");
        assertTrue(screen().contains("main returns\nhook ran\n"), screen());
    }

    @Test
    void shouldRunDetachedListStopKillAndWait() throws Exception {
        String started = String.valueOf(session.execute("mosix:run -d --name spinner -cp " + programs + " Spin"));
        assertTrue(started.matches("\\[\\d+\\] spinner"), started);
        long pid = Long.parseLong(started.substring(1, started.indexOf(']')));
        String ps = String.valueOf(session.execute("mosix:ps"));
        assertTrue(ps.startsWith("PID       NAME                 HOME WHERE STATE              CPU      MEM"), ps);
        assertTrue(ps.lines().anyMatch(l -> l.startsWith(pid + " ") && l.contains("spinner") && l.contains("RUNNING")), ps);

        session.execute("mosix:kill -STOP " + pid);
        assertEquals(ProcessState.STOPPED, table.info(pid).orElseThrow().state());
        session.execute("mosix:kill -CONT " + pid);
        assertEquals(ProcessState.RUNNING, table.info(pid).orElseThrow().state());
        session.execute("mosix:kill -9 " + pid);
        assertEquals(pid + ": 137 (killed by SIGKILL)", session.execute("mosix:wait " + pid));
        waitFor("ps to show it ended", () -> {
            try {
                return String.valueOf(session.execute("mosix:ps")).contains("EXITED(137)");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void shouldSendSigintToTheForegroundProcessOnAnInterrupt() throws Exception {
        java.util.concurrent.CompletableFuture<Object> result = new java.util.concurrent.CompletableFuture<>();
        Thread shell = new Thread(() -> {
            try {
                result.complete(session.execute("mosix:run -cp " + programs + " Sleeper"));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "shell");
        shell.start();
        waitFor("the program to sleep", () -> screen().contains("sleeping"));
        long pid = table.processes().getFirst().pid();
        session.foregroundJob().interrupt(); // what the console does on ^C
        // Gogo ends the job at once ("interrupted" at the prompt); the command has sent SIGINT.
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> result.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof InterruptedException, e.toString());
        assertEquals("130 (killed by SIGINT)", table.onExit(pid).get(10, TimeUnit.SECONDS).toString());
        assertTrue(screen().contains("hook ran"), "SIGINT runs the hooks: " + screen());
    }

    /** A stand-in for the shell's echo, to pipe from. */
    public static final class Echo {
        public String echo(String s) {
            return s;
        }
    }

    @Test
    void shouldPipeIntoAndOutOfAProcess() throws Exception {
        session.execute("test:echo typed | mosix:run -cp " + programs + " Stdio");
        assertTrue(screen().contains("read=typed\n"), screen());
    }

    @Test
    void shouldPassTheProgramsOwnOptionsThrough() throws Exception {
        session.execute("mosix:run -cp " + programs + " Echo -cp -d --name x");
        assertTrue(screen().contains("args=[-cp, -d, --name, x]"), screen());
    }

    @Test
    void shouldParseWhereToRunAndSayWhatIsWrongWithIt() {
        Path cwd = Path.of("/w");
        assertEquals(org.smpcluster.api.process.Placement.on(2),
                ProcessCommands.Run.parse(List.of("-n", "2", "-cp", "p", "Main", "-n", "3"), cwd).where());
        assertEquals(List.of("-n", "3"), ProcessCommands.Run.parse(List.of("-n", "2", "-cp", "p", "Main", "-n", "3"), cwd)
                .spec().args(), "the program's own -n is its own");
        assertEquals(org.smpcluster.api.process.Placement.HOME, ProcessCommands.Run.parse(List.of("-cp", "p", "M"), cwd).where());
        assertEquals(org.smpcluster.api.process.Placement.HOME,
                ProcessCommands.Run.parse(List.of("-h", "-cp", "p", "M"), cwd).where());
        assertEquals(org.smpcluster.api.process.Placement.BEST,
                ProcessCommands.Run.parse(List.of("--best", "-cp", "p", "M"), cwd).where());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProcessCommands.Run.parse(List.of("-n", "x", "-cp", "p", "M"), cwd));
        assertEquals("vnode=x is not a vnode id (0, 1, ...; nk:vnodes lists them)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProcessCommands.Run.parse(List.of("-n"), cwd));
    }

    @Test
    void shouldSayWhatIsWrongWithBadInput() throws Exception {
        IllegalArgumentException pid = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:kill -9 424242"));
        assertEquals("pid=424242 is not a process of vnode 0 (mosix:ps lists them)", pid.getMessage());
        IllegalArgumentException sig = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:kill -FOO 1"));
        assertTrue(sig.getMessage().startsWith("signal=FOO is not one of"), sig.getMessage());
        IllegalArgumentException notPid = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:wait abc"));
        assertTrue(notPid.getMessage().startsWith("pid=abc is not a PID"), notPid.getMessage());
        IllegalArgumentException cls = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:run -cp " + programs + " NoSuch"));
        assertTrue(cls.getMessage().startsWith("class=NoSuch is not on classpath="), cls.getMessage());
        IllegalArgumentException opt = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:run -x -cp " + programs + " Exit3"));
        assertTrue(opt.getMessage().startsWith("option=-x is not one of"), opt.getMessage());
        assertTrue(String.valueOf(session.execute("mosix:run --help")).startsWith("usage: mosix:run"));
        assertTrue(String.valueOf(session.execute("mosix:kill --help")).startsWith("usage: mosix:kill"));
        assertTrue(String.valueOf(session.execute("mosix:wait --help")).startsWith("usage: mosix:wait"));
        assertTrue(String.valueOf(session.execute("mosix:ps --help")).startsWith("usage: mosix:ps"));
    }
}
