package org.smpcluster.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./smpcluster run}: one program on a freshly booted cluster, its stdio the script's, its
 * status the script's. Each test boots a cluster of its own (a few seconds; without vnodes
 * unless the test needs one).
 */
class RunIT {

    private static final long DEADLINE_SECONDS = 60;
    private static final Path SCRIPT = Path.of("..", "smpcluster").toAbsolutePath().normalize();

    /** Small programs a person would run, compiled once. */
    private static final String EXIT3 = """
            public class Exit3 {
                public static void main(String[] args) {
                    System.out.println("exit3 here");
                    System.exit(3);
                }
            }""";
    private static final String CAT = """
            public class Cat {
                public static void main(String[] args) throws Exception {
                    System.in.transferTo(System.out);
                    System.out.println("args=" + String.join("|", args));
                }
            }""";
    private static final String WHERE = """
            public class Where {
                public static void main(String[] args) {
                    // A vnode's JVM runs the boot stub; the root's runs the image's launcher.
                    String cmd = ProcessHandle.current().info().commandLine().orElse("?");
                    System.out.println(cmd.contains("VnodeBoot") ? "on a vnode JVM" : "on the root JVM");
                    System.out.println("proc=" + System.getenv("SMPCLUSTER_PROC"));
                }
            }""";
    private static final String SPIN = """
            public class Spin {
                public static void main(String[] args) {
                    System.out.println("spinning");
                    while (true) {
                    }
                }
            }""";

    /** Handles SIGINT (through the API a program may use): only a second ^C, SIGKILL, ends it. */
    private static final String STUBBORN = """
            import org.smpcluster.api.process.Signal;
            import org.smpcluster.api.process.ThisProcess;

            public class Stubborn {
                public static void main(String[] args) {
                    ThisProcess.handle(Signal.SIGINT, () -> System.out.println("not stopping for SIGINT"));
                    System.out.println("stubborn");
                    while (true) {
                    }
                }
            }""";

    @TempDir
    static Path programs;

    @TempDir
    Path tmp;

    private final String cluster = "runit-" + ProcessHandle.current().pid() + "-" + System.nanoTime();

    @BeforeAll
    static void compile() throws IOException {
        compile(programs);
        Files.writeString(programs.resolve("notajar.jar"), "this is text, not a zip\n");
    }

    /** Compiles Exit3, Cat, Where and Spin into {@code programs} (TerminalIT runs them too). */
    static void compile(Path programs) throws IOException {
        // The API on the class path: Stubborn uses it, as a program that handles signals does.
        List<String> args = new ArrayList<>(List.of("-d", programs.toString(), "-cp",
                System.getProperty("java.class.path")));
        for (String source : List.of(EXIT3, CAT, WHERE, SPIN, STUBBORN)) {
            String name = source.substring(source.indexOf("public class ") + 13, source.indexOf(" {"));
            Path file = programs.resolve(name + ".java");
            Files.writeString(file, source);
            args.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        assertEquals(0, javac.run(null, diag, diag, args.toArray(String[]::new)), diag::toString);
    }

    @AfterEach
    void removeLeftovers() throws IOException {
        String physmem = "/dev/shm/smpcluster-" + cluster;
        SmpclusterCommandIT.vnodeProcesses(physmem).forEach(pid -> ProcessHandle.of(pid)
                .ifPresent(ProcessHandle::destroyForcibly));
        Files.deleteIfExists(Path.of(physmem));
        for (Path p : List.of(Path.of(physmem + ".proc"),
                Path.of(System.getProperty("java.io.tmpdir"), "smpcluster-kmb-" + cluster))) {
            if (Files.exists(p)) {
                try (var files = Files.walk(p)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }

    record Run(int exit, String out, String err) {
    }

    @Test
    void shouldExitWithTheProgramsStatusAndPrintItsOutput() throws Exception {
        Run run = smpcluster("", "--no-vnodes", "-cp", programs.toString(), "Exit3");

        assertEquals(3, run.exit(), run::toString);
        assertEquals("exit3 here\n", run.out(), "only the program's output on stdout: " + run);
        assertTrue(!Files.exists(Path.of("/dev/shm/smpcluster-" + cluster)), "the cluster was shut down");
        assertTrue(!Files.exists(Path.of("/dev/shm/smpcluster-" + cluster + ".proc")), "its /proc files went with it");
    }

    @Test
    void shouldForwardStdinAndHandTheProgramItsArguments() throws Exception {
        Run run = smpcluster("hi\nthere\n", "--no-vnodes", "-cp", programs.toString(), "Cat", "-n", "1", "a b", "");

        assertEquals(0, run.exit(), run::toString);
        assertEquals("hi\nthere\nargs=-n|1|a b|\n", run.out(), run::toString);
    }

    @Test
    void shouldSayWhatIsMissingWithAShellsStatus() throws Exception {
        Run unknown = smpcluster("", "--no-vnodes", "-cp", programs.toString(), "NoSuchMain");
        assertEquals(127, unknown.exit(), unknown::toString);
        assertTrue(unknown.err().contains("smpcluster: run: class=NoSuchMain is not on classpath="), unknown::toString);

        Run notAJar = smpcluster("", "--no-vnodes", "-jar", programs.resolve("notajar.jar").toString());
        assertEquals(126, notAJar.exit(), notAJar::toString);
        assertTrue(notAJar.err().contains("is not a jar"), notAJar::toString);
    }

    @Test
    void shouldRefuseBadOptionsWithoutBooting() throws Exception {
        Run bad = smpcluster("", "-x", "-cp", programs.toString(), "Exit3");
        assertEquals(2, bad.exit(), bad::toString);
        assertTrue(bad.err().contains("run: unknown option '-x'"), bad::toString);

        Run none = smpcluster("", "-L");
        assertEquals(2, none.exit(), none::toString);
        assertTrue(none.err().contains("no program: give -cp CLASSPATH CLASS or -jar JAR"), none::toString);
    }

    @Test
    void shouldRunOnTheVnodeNamedWithItsOutputAtHome() throws Exception {
        Run there = smpcluster("", "-n", "1", "-cp", programs.toString(), "Where");

        assertEquals(0, there.exit(), there::toString);
        assertEquals("on a vnode JVM\nproc=/dev/shm/smpcluster-" + cluster + ".proc\n", there.out(), there::toString);
    }

    @Test
    void shouldTurnACtrlCIntoTheProgramsSigint() throws Exception {
        Path in = tmp.resolve("stdin");
        Files.writeString(in, "");
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        Process process = builder("--no-vnodes", "-cp", programs.toString(), "Spin")
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
            while (!Files.readString(out).contains("spinning") && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.readString(out).contains("spinning"), () -> "the program runs: " + read(err));
            // The script exec'd the root's JVM: this is the SIGINT a terminal's ^C sends it.
            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
            assertTrue(process.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS), "ended after ^C");
            assertEquals(130, process.exitValue(), () -> "128 + SIGINT: " + read(err));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /**
     * {@code ./smpcluster bench mosix}, at a tenth of its work: every figure the issue names is
     * there, a number with its unit, and the cluster is gone after.
     */
    @Test
    void shouldPrintEveryMosixBenchFigure() throws Exception {
        List<String> command = List.of("bash", SCRIPT.toString(), "bench", "mosix", "--rounds", "1", "--scale", "0.1");
        Path out = tmp.resolve("bench.out");
        Path err = tmp.resolve("bench.err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                Files.writeString(tmp.resolve("empty"), "").toFile())).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        Process process = builder.start();
        try {
            assertTrue(process.waitFor(3, TimeUnit.MINUTES), () -> "bench mosix still runs after 3 minutes: " + read(err));
            assertEquals(0, process.exitValue(), () -> read(out) + read(err));
            String text = read(out);
            for (String figure : List.of("balanced-over-ideal-ratio x", "unbalanced-over-ideal-ratio x",
                    "threads-over-ideal-ratio x", "burn-alone s", "rewrite-speed-ratio x", "migration-1MiB-median ms",
                    "migration-1MiB-p99 ms", "migration-64MiB-median ms", "migration-64MiB-p99 ms",
                    "deputy-write-median us", "home-write-median us")) {
                String[] f = figure.split(" ");
                assertTrue(text.lines().anyMatch(l -> l.matches("mosix " + f[0] + " \\d+\\.\\d+ " + f[1] + "( .*)?")),
                        () -> "'mosix " + f[0] + " VALUE " + f[1] + "' in:\n" + text);
            }
            assertTrue(read(err).contains("# migration 64 MiB"), () -> "progress on stderr: " + read(err));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        String physmem = "/dev/shm/smpcluster-bench-mosix-" + process.pid();
        assertTrue(!Files.exists(Path.of(physmem)), "the bench's cluster was shut down: " + physmem);
        SmpclusterCommandIT.vnodeProcesses(physmem).forEach(pid -> ProcessHandle.of(pid)
                .ifPresent(ProcessHandle::destroyForcibly));
        Files.deleteIfExists(Path.of(physmem));
    }

    @Test
    void shouldKillAProgramThatHandlesSigintOnASecondCtrlC() throws Exception {
        Path in = tmp.resolve("stdin");
        Files.writeString(in, "");
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        Process process = builder("--no-vnodes", "-cp", programs.toString(), "Stubborn")
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            awaitOutput(process, out, "stubborn", err);
            interrupt(process);
            awaitOutput(process, out, "not stopping for SIGINT", err);
            assertTrue(process.isAlive(), "the program handled the first ^C");
            interrupt(process);
            assertTrue(process.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS), "ended after the second ^C");
            assertEquals(137, process.exitValue(), () -> "128 + SIGKILL: " + read(err));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private static void awaitOutput(Process process, Path out, String text, Path err) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
        while (!Files.readString(out).contains(text) && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.readString(out).contains(text), () -> "'" + text + "' on stdout: " + read(out) + read(err));
    }

    /** The SIGINT a terminal's ^C sends the root's JVM (the script exec'd it). */
    private static void interrupt(Process process) throws Exception {
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")";
        }
    }

    private ProcessBuilder builder(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "run", "--no-build", "--cluster",
                cluster));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        return builder;
    }

    /** Runs ./smpcluster run with the given stdin, killing it at the deadline. */
    private Run smpcluster(String stdin, String... args) throws IOException, InterruptedException {
        Path in = tmp.resolve("stdin");
        Files.writeString(in, stdin);
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        Process process = builder(args).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        try {
            if (!process.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("./smpcluster run " + String.join(" ", args) + " still running after "
                        + DEADLINE_SECONDS + " s; stderr so far:\n" + Files.readString(err));
            }
            return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
