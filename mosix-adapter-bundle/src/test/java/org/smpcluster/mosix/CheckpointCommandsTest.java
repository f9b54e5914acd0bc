package org.smpcluster.mosix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.checkpoint.CheckpointFile;
import org.smpcluster.mosix.checkpoint.Checkpointer;
import org.smpcluster.mosix.proc.Frozen;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.proc.TestPrograms;
import org.smpcluster.mosix.proc.TestSupport;

/** mosix:checkpoint, mosix:restart and mosix:run's -C/-A through a real Gogo runtime. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CheckpointCommandsTest {

    private CommandProcessorImpl gogo;
    private ProcessTable table;
    private Checkpointer checkpointer;
    private CommandSession session;
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private Path programs;

    /** One vnode's manager without a cluster: its table, checkpoints, and restarts here with a new PID. */
    private final class Local implements ProcessManager {
        @Override
        public ProcessInfo spawn(ProcessSpec spec) {
            return table.spawn(spec);
        }

        @Override
        public Path checkpoint(long pid, Path file) {
            return checkpointer.checkpoint(pid, file);
        }

        @Override
        public ProcessInfo restart(Path file, Placement where) {
            Frozen f = CheckpointFile.read(file, CheckpointFile::hostPath).frozen();
            return table.spawnMoved(table.reserveDeputyPid(), 0, f.spec().withStdout(session.getConsole()), f.resume());
        }

        @Override
        public List<ProcessInfo> processes() {
            return table.processes();
        }

        @Override
        public Optional<ProcessInfo> info(long pid) {
            return table.info(pid);
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

    @BeforeEach
    void setUp() throws Exception {
        gogo = new CommandProcessorImpl(SharedThreadIO.get());
        table = new ProcessTable(0, TestSupport::daemon);
        checkpointer = new Checkpointer(table, TestSupport::daemon);
        CheckpointCommands commands = new CheckpointCommands(new Local());
        gogo.addCommand("mosix", commands, "checkpoint");
        gogo.addCommand("mosix", commands, "restart");
        gogo.addCommand("mosix", new ProcessCommands(new Local()), "run");
        PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8);
        session = gogo.createSession(InputStream.nullInputStream(), out, out);
        programs = TestPrograms.classes();
    }

    @AfterEach
    void tearDown() {
        session.close();
        checkpointer.close();
        table.close();
    }

    private String screen() {
        synchronized (screen) {
            return screen.toString(StandardCharsets.UTF_8).replace("\r", "");
        }
    }

    private void waitForScreen(String text) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!screen().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for '" + text + "' on the screen:\n" + screen());
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    @Test
    void shouldParseCheckpointOptionsOfRun() {
        Path cwd = Path.of("/w");
        ProcessSpec s = ProcessCommands.Run.parse(List.of("-C", "c.ckpt", "-A", "0.2", "-cp", "p", "M", "-C", "x"), cwd)
                .spec();
        assertEquals(Path.of("/w/c.ckpt"), s.checkpointFile());
        assertEquals(Duration.ofMillis(200), s.checkpointInterval());
        assertEquals(List.of("-C", "x"), s.args(), "the program's own -C is its own");
        ProcessSpec onDemand = ProcessCommands.Run.parse(List.of("-C", "/c", "-cp", "p", "M"), cwd).spec();
        assertEquals(Path.of("/c"), onDemand.checkpointFile());
        assertEquals(null, onDemand.checkpointInterval());
        IllegalArgumentException alone = assertThrows(IllegalArgumentException.class,
                () -> ProcessCommands.Run.parse(List.of("-A", "5", "-cp", "p", "M"), cwd));
        assertEquals("option=-A needs -C FILE: where the checkpoints go (mosix:run --help)", alone.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ProcessCommands.Run.parse(List.of("-C", "f", "-A", "-1", "-cp", "p", "M"), cwd));
        assertEquals("seconds=-1 is not a positive number of seconds (-A 60, -A 0.5)", bad.getMessage());
        IllegalArgumentException vfs = assertThrows(IllegalArgumentException.class,
                () -> ProcessCommands.Run.parse(List.of("-C", "vfs:/tmp/c", "-cp", "p", "M"), cwd));
        assertTrue(vfs.getMessage().startsWith("file=vfs:/tmp/c: mosix:run -C takes a host path"), vfs.getMessage());
    }

    @Test
    void shouldCheckpointAndRestartFromThePrompt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.ckpt");
        Object started = session.execute("mosix:run -d -C " + file + " -cp " + programs + " Summer 100000");
        long pid = Long.parseLong(String.valueOf(started).replaceAll("^\\[(\\d+)\\].*", "$1"));
        waitForScreen("at 200\n");
        assertEquals(pid + ": checkpoint written to " + file, session.execute("mosix:checkpoint " + pid));
        assertTrue(Files.exists(file));
        session.execute("mosix:run -cp " + programs + " Exit3"); // the screen goes on; the first one runs on
        table.signal(pid, Signal.SIGKILL);
        table.onExit(pid).get(20, TimeUnit.SECONDS);
        String restarted = String.valueOf(session.execute("mosix:restart " + file));
        assertTrue(restarted.matches("\\[\\d+\\] Summer restarted on vnode 0 from " + file), restarted);
        waitForScreen("restored at ");
        long again = Long.parseLong(restarted.replaceAll("^\\[(\\d+)\\].*", "$1"));
        table.signal(again, Signal.SIGKILL);
        table.onExit(again).get(20, TimeUnit.SECONDS);
    }

    @Test
    void shouldSayWhatIsWrongWithTheirInput(@TempDir Path dir) throws Exception {
        assertTrue(String.valueOf(session.execute("mosix:checkpoint --help")).startsWith("usage: mosix:checkpoint"));
        assertTrue(String.valueOf(session.execute("mosix:restart --help")).startsWith("usage: mosix:restart"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:restart " + dir.resolve("none")));
        assertEquals("file=" + dir.resolve("none") + ": no such checkpoint file", missing.getMessage());
        Files.writeString(dir.resolve("junk"), "not a checkpoint, just text");
        IllegalArgumentException junk = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:restart " + dir.resolve("junk")));
        assertTrue(junk.getMessage().endsWith(": not a checkpoint (wrong magic, expected \"MOSXCKPT\")"), junk.getMessage());
        IllegalArgumentException opt = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:restart f -x"));
        assertTrue(opt.getMessage().startsWith("option=-x is not one of"), opt.getMessage());
        IllegalArgumentException vfs = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:checkpoint 1 vfs:/tmp/x"));
        assertTrue(vfs.getMessage().startsWith("file=vfs:/tmp/x: this vnode has no cluster filesystem"), vfs.getMessage());
        IllegalArgumentException pid = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:checkpoint abc"));
        assertTrue(pid.getMessage().startsWith("pid=abc is not a PID"), pid.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> session.execute("mosix:checkpoint 424242 " + dir.resolve("x")));
        assertTrue(unknown.getMessage().contains("pid=424242 is not a process of vnode 0"), unknown.getMessage());
    }
}
