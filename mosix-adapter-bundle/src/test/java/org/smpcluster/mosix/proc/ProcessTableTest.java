package org.smpcluster.mosix.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.proc.Programs.Capture;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessTableTest {

    private ProcessTable table;
    private Path programs;

    @BeforeEach
    void setUp() throws IOException {
        table = new ProcessTable(3, (name, body) -> {
            Thread t = new Thread(body, name);
            t.setDaemon(true);
            return t;
        });
        programs = Programs.classes();
    }

    @AfterEach
    void tearDown() {
        table.close();
    }

    private ProcessSpec spec(String main, Capture out, Capture err) {
        return ProcessSpec.of(main, programs).withStdout(out).withStderr(err);
    }

    private ExitStatus await(long pid) throws Exception {
        return table.onExit(pid).get(20, TimeUnit.SECONDS);
    }

    private static void waitFor(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(2_000_000);
        }
    }

    private long cpu(long pid) {
        return table.info(pid).orElseThrow().cpuNanos();
    }

    private static boolean threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    @Test
    void shouldRunTwoUnmodifiedProgramsSideBySideWithTheirOwnStdoutAndEndEachOnItsOwn() throws Exception {
        Capture out1 = new Capture();
        Capture out2 = new Capture();
        ProcessInfo exit3 = table.spawn(spec("Exit3", out1, new Capture()));
        ProcessInfo spin = table.spawn(spec("Spin", out2, new Capture()).withName("spinner"));
        assertEquals(3, ProcessManager.homeOf(exit3.pid()), "PIDs say their vnode");
        assertEquals("not migratable", spin.cantMove());

        ExitStatus s = await(exit3.pid());
        assertEquals(new ExitStatus(3, "exited"), s, "System.exit(3) ends the process with 3, not the JVM");
        assertEquals("exit3 here\n", out1.text().replace("\r", ""));
        waitFor("the spinner's output", () -> out2.text().contains("spinning"));
        assertFalse(out2.text().contains("exit3"), "each process has its own stdout");
        assertEquals(ProcessState.EXITED, table.info(exit3.pid()).orElseThrow().state());
        assertEquals(ProcessState.RUNNING, table.info(spin.pid()).orElseThrow().state());

        // SIGSTOP freezes it: its CPU time stops growing.
        waitFor("the spinner to use CPU", () -> cpu(spin.pid()) > 20_000_000);
        table.signal(spin.pid(), Signal.SIGSTOP);
        assertEquals(ProcessState.STOPPED, table.info(spin.pid()).orElseThrow().state());
        long[] last = {cpu(spin.pid())};
        long[] stableSince = {System.nanoTime()};
        waitFor("the stopped spinner's CPU time to stay put for 300 ms", () -> {
            long c = cpu(spin.pid());
            if (c > last[0] + 2_000_000) {
                last[0] = c;
                stableSince[0] = System.nanoTime();
            }
            return System.nanoTime() - stableSince[0] > 300_000_000;
        });
        long stopped = cpu(spin.pid());
        assertTrue(stopped - last[0] < 5_000_000, "stopped: CPU " + last[0] + " -> " + stopped + " ns");

        // SIGCONT: it grows again.
        table.signal(spin.pid(), Signal.SIGCONT);
        waitFor("the continued spinner to use CPU again", () -> cpu(spin.pid()) > stopped + 50_000_000);

        // SIGKILL ends the loop at once; its threads and class loader are gone after.
        WeakReference<ClassLoader> loader = table.loaderOf(spin.pid());
        long t0 = System.nanoTime();
        table.signal(spin.pid(), Signal.SIGKILL);
        ExitStatus killed = table.onExit(spin.pid()).get(5, TimeUnit.SECONDS);
        long micros = (System.nanoTime() - t0) / 1000;
        System.out.println("mosix sigkill-to-exit " + micros + " us");
        assertEquals(new ExitStatus(137, "killed by SIGKILL"), killed);
        assertTrue(micros <= 100_000, "SIGKILL took " + micros + " us to end a while (true) {} (at most 100 ms)");
        assertFalse(threadsNamed("spinner"), "the spinner's main thread is gone");
        assertEquals(ProcessState.EXITED, table.info(spin.pid()).orElseThrow().state());
        waitFor("the spinner's class loader to be collected", () -> {
            System.gc();
            return loader.get() == null;
        });
    }

    @Test
    void shouldGiveStatusOneAndTheStackTraceOnItsStderrWhenMainThrows() throws Exception {
        Capture err = new Capture();
        ProcessInfo p = table.spawn(spec("Thrower", new Capture(), err));
        ExitStatus s = await(p.pid());
        assertEquals(1, s.code());
        assertEquals("uncaught java.lang.IllegalStateException: boom", s.why());
        String e = err.text();
        assertTrue(e.contains("about to throw"), e);
        assertTrue(e.contains("Exception in thread \"Thrower\" java.lang.IllegalStateException: boom"), e);
        assertTrue(e.contains("at Thrower.main(Thrower.java"), e);
        // The table (and the JVM) are fine: another process runs.
        assertEquals(3, await(table.spawn(spec("Exit3", new Capture(), new Capture())).pid()).code());
    }

    @Test
    void shouldRefuseAnUnknownClassANonJarAndAMissingJarWithNothingLeftRunning(@TempDir Path dir) throws IOException {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> table.spawn(ProcessSpec.of("NoSuchClass", programs)));
        assertTrue(unknown.getMessage().contains("class=NoSuchClass is not on classpath="), unknown.getMessage());

        Path notJar = Files.writeString(dir.resolve("notes.jar"), "this is not a zip file");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> table.spawn(ProcessSpec.jar(notJar)));
        assertTrue(bad.getMessage().contains("classpath entry=" + notJar + " is not a jar"), bad.getMessage());

        Path missing = dir.resolve("missing.jar");
        IllegalArgumentException gone = assertThrows(IllegalArgumentException.class,
                () -> table.spawn(ProcessSpec.jar(missing)));
        assertTrue(gone.getMessage().contains("classpath entry=" + missing + " does not exist"), gone.getMessage());

        IllegalArgumentException noMain = assertThrows(IllegalArgumentException.class,
                () -> table.spawn(ProcessSpec.of("Programs", programs)));
        assertTrue(noMain.getMessage().contains("is not on classpath") || noMain.getMessage().contains("no main"),
                noMain.getMessage());

        IllegalArgumentException noManifest = assertThrows(IllegalArgumentException.class,
                () -> table.spawn(ProcessSpec.jar(programs)));
        assertTrue(noManifest.getMessage().startsWith("no main class"), noManifest.getMessage());

        assertTrue(table.processes().isEmpty(), "nothing in the table: " + table.processes());
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getThreadGroup() != null && t.getThreadGroup().getName().startsWith("pid ")),
                "no thread of a process left behind");
        IllegalArgumentException pid = assertThrows(IllegalArgumentException.class, () -> table.signal(3000999, Signal.SIGKILL));
        assertEquals("pid=3000999 is not a process of vnode 3 (mosix:ps lists them)", pid.getMessage());
        assertThrows(IllegalArgumentException.class, () -> table.onExit(42));
    }

    @Test
    void shouldRunAJarsMainClassAndAnInstanceMain(@TempDir Path dir) throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(ProcessSpec.jar(Programs.jar(dir, "Exit3")).withStdout(out));
        assertEquals(3, await(p.pid()).code());
        assertEquals("Exit3", p.name());
        Capture out2 = new Capture();
        assertEquals(9, await(table.spawn(spec("Instance", out2, new Capture())).pid()).code());
        assertEquals("instance main\n", out2.text().replace("\r", ""));
    }

    @Test
    void shouldLoadAProgramFromAPathOfAnotherFileSystem(@TempDir Path dir) throws Exception {
        // The seam for vfs: paths: a directory and a jar inside a zip file system, read through Files.
        Path outer = dir.resolve("volume.zip");
        try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(outer, Map.of("create", "true"))) {
            Path classes = zip.getPath("/classes");
            Files.createDirectories(classes);
            Files.copy(programs.resolve("Exit3.class"), classes.resolve("Exit3.class"));
            Files.copy(Programs.jar(dir, "Echo"), zip.getPath("/echo.jar"));
        }
        try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(outer)) {
            Capture out = new Capture();
            assertEquals(3, await(table.spawn(ProcessSpec.of("Exit3", zip.getPath("/classes")).withStdout(out)).pid()).code());
            assertEquals("exit3 here\n", out.text().replace("\r", ""));
            Capture out2 = new Capture();
            ProcessInfo p = table.spawn(ProcessSpec.jar(zip.getPath("/echo.jar")).withArgs("nested").withStdout(out2));
            assertEquals(0, await(p.pid()).code());
            assertEquals("args=[nested]\n", out2.text().replace("\r", ""));
        }
    }

    @Test
    void shouldRunShutdownHooksOnExitAndReturnButNotOnHalt() throws Exception {
        Capture halt = new Capture();
        assertEquals(5, await(table.spawn(spec("Halter", halt, new Capture()).withArgs("halt")).pid()).code());
        assertEquals("", halt.text(), "Runtime.halt runs no hook and ends main");

        Capture exit = new Capture();
        assertEquals(6, await(table.spawn(spec("Halter", exit, new Capture()).withArgs("exit")).pid()).code());
        assertEquals("hook ran\n", exit.text().replace("\r", ""));

        Capture ref = new Capture();
        assertEquals(8, await(table.spawn(spec("Halter", ref, new Capture()).withArgs("ref")).pid()).code(),
                "System::exit as a method reference ends the process too");
        assertEquals("hook ran\n", ref.text().replace("\r", ""));

        Capture ret = new Capture();
        assertEquals(0, await(table.spawn(spec("Halter", ret, new Capture())).pid()).code());
        assertEquals("main returns\nhook ran\n", ret.text().replace("\r", ""));
    }

    @Test
    void shouldGiveTheProcessItsOwnStdioEnvironmentAndWorkingDirectory(@TempDir Path cwd) throws Exception {
        Capture out = new Capture();
        Capture err = new Capture();
        ProcessSpec s = spec("Stdio", out, err).withEnvironment(Map.of("FOO", "bar"))
                .withWorkingDirectory(cwd).withStdin(new ByteArrayInputStream("typed\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, await(table.spawn(s).pid()).code(), err.text());
        assertEquals("FOO=bar env=1\ncwd=" + cwd.toAbsolutePath() + "\nconsole=null\nread=typed\n",
                out.text().replace("\r", ""));
        assertTrue(err.text().startsWith("to err via setOut\njava.io.IOException: printed"), err.text());
        assertNull(System.getenv("FOO"), "the vnode's environment is untouched");
        assertFalse(out.closed, "System.out.close() in a program leaves the stream it was given open");
    }

    @Test
    void shouldKillEveryThreadOfAProcessAtOnce() throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(spec("Workers", out, new Capture()).withArgs("4"));
        waitFor("the workers", () -> out.text().contains("started 4"));
        waitFor("the workers to use CPU", () -> cpu(p.pid()) > 50_000_000);
        // SIGSTOP parks every one of its threads: the process's CPU time stays put.
        table.signal(p.pid(), Signal.SIGSTOP);
        long[] last = {cpu(p.pid())};
        long[] stableSince = {System.nanoTime()};
        waitFor("the stopped workers' CPU time to stay put for 300 ms", () -> {
            long c = cpu(p.pid());
            if (c > last[0] + 2_000_000) {
                last[0] = c;
                stableSince[0] = System.nanoTime();
            }
            return System.nanoTime() - stableSince[0] > 300_000_000;
        });
        table.signal(p.pid(), Signal.SIGCONT);
        long resumed = cpu(p.pid());
        waitFor("the workers to run again", () -> cpu(p.pid()) > resumed + 50_000_000);
        long t0 = System.nanoTime();
        table.signal(p.pid(), Signal.SIGKILL);
        assertEquals(137, table.onExit(p.pid()).get(5, TimeUnit.SECONDS).code());
        long micros = (System.nanoTime() - t0) / 1000;
        System.out.println("mosix sigkill-6-threads-to-exit " + micros + " us");
        for (int k = 0; k < 4; k++) {
            assertFalse(threadsNamed("worker-" + k), "worker-" + k + " is gone");
        }
        assertFalse(threadsNamed("sleeper"));
        assertFalse(out.text().contains("sleeper interrupted"), "SIGKILL lets no handler of the program run");
        ProcessInfo ended = table.info(p.pid()).orElseThrow();
        assertTrue(ended.cpuNanos() > 50_000_000, "CPU of ended threads is kept: " + ended);
        assertTrue(ended.allocatedBytes() > 0, "allocation is counted: " + ended);
    }

    @Test
    void shouldEndAProcessWhoseThreadIsStuckOutsideItsCodeAndSaySo() throws Exception {
        // A read that ignores interrupts: the thread is in vnode code, where no poll reaches it.
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        java.util.concurrent.locks.Condition released = lock.newCondition();
        boolean[] release = {false};
        java.io.InputStream stuck = new java.io.InputStream() {
            @Override
            public int read() {
                reading.countDown();
                lock.lock();
                try {
                    while (!release[0]) {
                        released.awaitUninterruptibly();
                    }
                } finally {
                    lock.unlock();
                }
                return -1;
            }
        };
        ProcessInfo p = table.spawn(spec("Stdio", new Capture(), new Capture()).withStdin(stuck));
        assertTrue(reading.await(10, TimeUnit.SECONDS));
        table.signal(p.pid(), Signal.SIGKILL);
        ExitStatus s = table.onExit(p.pid()).get(10, TimeUnit.SECONDS);
        assertEquals(new ExitStatus(137, "killed by SIGKILL; 1 thread(s) blocked outside the program did not end"), s);
        lock.lock();
        try {
            release[0] = true;
            released.signalAll();
        } finally {
            lock.unlock();
        }
        waitFor("the stuck thread to end at its next poll", () -> !threadsNamed("Stdio"));
    }

    @Test
    void shouldKillAProgramThatCatchesThrowableInItsLoop() throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(spec("CatchAll", out, new Capture()));
        waitFor("it to run", () -> out.text().contains("catching everything"));
        table.signal(p.pid(), Signal.SIGKILL);
        assertEquals(137, table.onExit(p.pid()).get(5, TimeUnit.SECONDS).code());
        assertFalse(threadsNamed("CatchAll"));
    }

    @Test
    void shouldEndWith143OnSigtermByDefaultAndRunTheProgramsHandlerWhenItHasOne() throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(spec("Sleeper", out, new Capture()));
        waitFor("it to sleep", () -> out.text().contains("sleeping"));
        table.signal(p.pid(), Signal.SIGTERM);
        assertEquals(new ExitStatus(143, "killed by SIGTERM"), table.onExit(p.pid()).get(5, TimeUnit.SECONDS));
        assertTrue(out.text().contains("hook ran"), "SIGTERM runs the shutdown hooks, as the JVM does");

        Capture out2 = new Capture();
        ProcessInfo h = table.spawn(spec("Sleeper", out2, new Capture()).withArgs("handle"));
        waitFor("it to sleep", () -> out2.text().contains("sleeping"));
        assertTrue(out2.text().contains("installed=true"), out2.text());
        table.signal(h.pid(), Signal.SIGTERM);
        assertEquals(7, table.onExit(h.pid()).get(5, TimeUnit.SECONDS).code());
        assertTrue(out2.text().contains("caught SIGTERM in pid " + h.pid()), out2.text());
    }

    @Test
    void shouldHoldACatchableSignalToAStoppedProcessUntilItContinues() throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(spec("Spin", out, new Capture()));
        waitFor("it to spin", () -> out.text().contains("spinning"));
        table.signal(p.pid(), Signal.SIGSTOP);
        table.signal(p.pid(), Signal.SIGINT);
        assertEquals(ProcessState.STOPPED, table.info(p.pid()).orElseThrow().state());
        table.signal(p.pid(), Signal.SIGCONT);
        assertEquals(new ExitStatus(130, "killed by SIGINT"), table.onExit(p.pid()).get(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldKillAStoppedProcess() throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(spec("Spin", out, new Capture()));
        waitFor("it to spin", () -> out.text().contains("spinning"));
        table.signal(p.pid(), Signal.SIGSTOP);
        table.signal(p.pid(), Signal.SIGKILL);
        assertEquals(137, table.onExit(p.pid()).get(5, TimeUnit.SECONDS).code());
    }

    @Test
    void shouldKeepLoopsSwitchesHandlersAndMonitorsValidThroughTheRewrite() throws Exception {
        Capture out = new Capture();
        Capture err = new Capture();
        assertEquals(0, await(table.spawn(spec("Looper", out, err)).pid()).code(), err.text());
        assertEquals("sum=17000 k=100\n", out.text().replace("\r", ""), "the same result as java -cp gives");
    }

    @Test
    void shouldSayAMigratableProgramCanMove() throws Exception {
        Capture out = new Capture();
        ProcessInfo p = table.spawn(spec("Movable", out, new Capture()));
        waitFor("it to declare its state", () -> out.text().contains("declared=true"));
        assertEquals("", table.info(p.pid()).orElseThrow().cantMove());
        table.signal(p.pid(), Signal.SIGKILL);
        await(p.pid());
    }

    @Test
    void shouldGiveOutPidsOfItsVnodeInOrder() throws Exception {
        long a = table.spawn(spec("Exit3", new Capture(), new Capture())).pid();
        long b = table.spawn(spec("Exit3", new Capture(), new Capture())).pid();
        assertEquals(3_000_001L, a);
        assertEquals(3_000_002L, b);
        await(a);
        await(b);
        assertEquals(2, table.processes().size());
    }
}
