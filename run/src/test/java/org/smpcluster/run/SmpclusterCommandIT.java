package org.smpcluster.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives {@code ./smpcluster} as a person or a script would: a real process booting the real
 * image, with a deadline, killed if it overstays.
 */
class SmpclusterCommandIT {

    private static final long DEADLINE_SECONDS = 60;
    private static final Path SCRIPT = Path.of("..", "smpcluster").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    /** Each run boots its own cluster, so that a developer's running cluster is not in the way. */
    private final String cluster = "cmdit-" + ProcessHandle.current().pid() + "-" + System.nanoTime();

    @AfterEach
    void removeLeftovers() throws IOException {
        // The root stops its vnodes and removes its file when it shuts down; a killed one cannot.
        String physmem = "/dev/shm/smpcluster-" + cluster;
        vnodeProcesses(physmem).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        Files.deleteIfExists(Path.of(physmem));
        Path stub = Path.of(System.getProperty("java.io.tmpdir"), "smpcluster-kmb-" + cluster);
        if (Files.exists(stub)) {
            try (var files = Files.walk(stub)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    record Run(int exit, String out, String err) {
    }

    @Test
    void shouldListEverySmpclusterBundleActiveWithItsOwnVersion() throws Exception {
        Run run = smpcluster(null, "--no-build", "-c", "lb");

        assertEquals(0, run.exit(), run::toString);
        // lb prints "   12|Active     |  120|smpcluster beowulf (0.1.0.SNAPSHOT)|0.1.0.SNAPSHOT"
        Pattern row = Pattern.compile("\\|(\\w+)\\s*\\|\\s*\\d+\\|smpcluster (\\S+) \\(([^)]+)\\)\\|");
        List<String> listed = new ArrayList<>();
        for (String line : run.out().lines().toList()) {
            Matcher m = row.matcher(line);
            if (m.find()) {
                String bsn = "org.smpcluster." + m.group(2);
                assertEquals("Active", m.group(1), line);
                assertEquals(imageVersionOf(bsn), m.group(3), "version of " + bsn);
                listed.add(bsn);
            }
        }
        assertEquals(8, listed.size(), "smpcluster bundles in\n" + run.out());
    }

    @Test
    void shouldPrintTheOutputOfEveryCommandInOrder() throws Exception {
        Run run = smpcluster(null, "--no-build", "-c", "echo first; nk:components; echo last");

        assertEquals(0, run.exit(), run::toString);
        String out = run.out();
        int first = out.indexOf("first");
        int table = out.indexOf("nanokernel");
        int last = out.indexOf("last");
        assertTrue(first >= 0 && first < table && table < last, "output in command order:\n" + out);
    }

    @Test
    void shouldExitNonZeroAndNameTheCommandThatFailed() throws Exception {
        Run run = smpcluster(null, "--no-build", "-c", "echo before; nosuch:command; echo after");

        assertEquals(1, run.exit(), run::toString);
        assertTrue(run.out().contains("before"), run::toString);
        assertTrue(!run.out().contains("after"), "commands after a failure are skipped: " + run);
        assertTrue(run.err().contains("nosuch:command"), run::toString);
    }

    @Test
    void shouldRefuseCommandsThatDoNotParse() throws Exception {
        Run run = smpcluster(null, "--no-build", "-c", "echo {");

        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().contains("cannot parse"), run::toString);
    }

    @Test
    void shouldRunCommandsTypedAtThePromptAndShutDownAtEndOfInput() throws Exception {
        Run run = smpcluster("nk:status\n", "--no-build");

        assertEquals(0, run.exit(), run::toString);
        assertTrue(run.out().contains("g! "), "a Gogo prompt:\n" + run.out());
        assertTrue(run.out().contains("cluster             " + cluster), "nk:status output:\n" + run.out());
        assertTrue(!Files.exists(Path.of("/dev/shm", "smpcluster-" + cluster)), "shutdown removed the physmem file");
    }

    @Test
    void shouldExplainItselfAndRejectUnknownArguments() throws Exception {
        Run help = smpcluster(null, "--help");
        assertEquals(0, help.exit(), help::toString);
        assertTrue(help.out().contains("-c, --command"), help::toString);

        Run bad = smpcluster(null, "--frobnicate");
        assertEquals(2, bad.exit(), bad::toString);
        assertTrue(bad.err().contains("unknown argument '--frobnicate'"), bad::toString);
    }

    @Test
    void shouldBootTheDefaultClusterAndLeaveNoProcessOrFileBehind() throws Exception {
        Run run = smpcluster(null, "--no-build", "--with-vnodes", "-c", "kmb:list");

        assertEquals(0, run.exit(), run::toString);
        assertTrue(run.out().contains("vnode 1: joined"), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.matches("1\\s+JOINED\\s+1\\s+.*")), run.out());
        String physmem = "/dev/shm/smpcluster-" + cluster;
        assertTrue(!Files.exists(Path.of(physmem)), "the root removed " + physmem);
        assertEquals(List.of(), vnodeProcesses(physmem), "vnode processes left behind");
    }

    @Test
    void shouldEndItsVnodesWhenTheRootIsKilled() throws Exception {
        List<String> command = List.of("bash", SCRIPT.toString(), "--cluster", cluster, "--no-build");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        List<Path> before = launcherTemporaries();
        Process root = builder.start(); // stdin stays open: the root's prompt waits
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(root.getInputStream(),
                StandardCharsets.UTF_8))) {
            long vnode = -1;
            Pattern joined = Pattern.compile("vnode 1: joined, pid (\\d+)");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
            for (String line; vnode < 0 && System.nanoTime() < deadline && (line = out.readLine()) != null; ) {
                Matcher m = joined.matcher(line);
                if (m.find()) {
                    vnode = Long.parseLong(m.group(1));
                }
            }
            assertTrue(vnode > 0, "vnode 1 joined");
            ProcessHandle orphan = ProcessHandle.of(vnode).orElseThrow();

            root.destroyForcibly(); // kill -9: nobody stops the vnode

            // The root's heartbeat goes stale after 3 s; the vnode then stops its framework.
            assertTrue(orphan.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).get() != null
                    || !orphan.isAlive(), "vnode 1 ended by itself once the root's heartbeat stopped");
        } finally {
            root.destroyForcibly();
            root.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS);
            // What the killed root's launcher could not remove: its framework cache and the
            // jars it unpacked, made while this test ran.
            for (Path p : launcherTemporaries()) {
                if (!before.contains(p)) {
                    try (var files = Files.walk(p)) {
                        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(f);
                        }
                    }
                }
            }
        }
    }

    /** The bnd launcher's temporaries in the temp directory: osgi.*.fw caches, resource*.jar. */
    private static List<Path> launcherTemporaries() throws IOException {
        try (var entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(p -> {
                String n = p.getFileName().toString();
                return (n.startsWith("osgi.") && n.endsWith(".fw")) || (n.startsWith("resource") && n.endsWith(".jar"));
            }).toList();
        }
    }

    /** Processes whose command line names this physmem file: vnodes of the test's cluster. */
    static List<Long> vnodeProcesses(String physmem) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(physmem)).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    /** Runs ./smpcluster with the given stdin (null: none), killing it at the deadline. */
    private Run smpcluster(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "--cluster", cluster));
        if (!List.of(args).contains("--with-vnodes")) {
            command.add("--no-vnodes"); // the shell's behaviour does not need vnodes; booting them costs seconds
        }
        command.addAll(List.of(args).stream().filter(a -> !a.equals("--with-vnodes")).toList());
        Path in = tmp.resolve("stdin");
        Files.writeString(in, stdin == null ? "" : stdin);
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(in.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        // The JDK running the tests is a JDK 25; hand it to the script.
        builder.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        Process process = builder.start();
        try {
            if (!process.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("./smpcluster " + String.join(" ", args) + " still running after "
                        + DEADLINE_SECONDS + " s; output so far:\n" + Files.readString(out));
            }
            return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** The Bundle-Version of the image's bundle with this symbolic name. */
    private String imageVersionOf(String bsn) throws IOException {
        for (KernelImage.ImageBundle b : KernelImage.extractRunBundles(tmp.resolve("bundles"))) {
            try (JarFile jar = new JarFile(b.file().toFile())) {
                var attributes = jar.getManifest().getMainAttributes();
                if (bsn.equals(attributes.getValue("Bundle-SymbolicName"))) {
                    return attributes.getValue("Bundle-Version");
                }
            }
        }
        throw new AssertionError(bsn + " is not in the image");
    }
}
