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
    void shouldShowARestartedVnodesLogAsItsOwn() throws Exception {
        Run run = smpcluster(null, "--no-build", "--with-vnodes", "-c",
                "kmb:restart 1; kmb:log 1; kmb:log 5");

        assertEquals(1, run.exit(), run::toString);
        // The restart took over the standby JVM: its log, from before it was anybody's, is vnode 1's now.
        assertTrue(run.out().contains("standby (pid ") && run.out().contains("vnode 1: framework started"),
                run::toString);
        assertTrue(!run.out().contains("vnode null"), "the log names the vnode, or a standby as one: " + run);
        assertTrue(run.err().contains("vnode 5 was never booted by this bootloader; it booted vnodes 1"), run::toString);
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

            // kill -9 of the root's JVM (the launcher exec'd it): nobody stops the vnode.
            long killed = System.nanoTime();
            root.destroyForcibly();

            // Its boot stub sees the root's process end and ends the vnode: within 3.5 s.
            long millis = awaitEnded(vnode, killed);
            assertTrue(millis >= 0, "vnode 1 ended by itself once its root was gone");
            System.out.println("vnode 1 ended " + millis + " ms after kill -9 of the root");
            assertTrue(millis <= 3_500, "vnode 1 ended " + millis + " ms after the root's kill -9; at most 3500");
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

    @Test
    void shouldRefuseADirectoryOrABinaryFileAsConfig() throws Exception {
        Run dir = smpcluster(null, "--no-build", "--config", tmp.toString());
        assertEquals(2, dir.exit(), dir::toString);
        assertTrue(dir.err().contains("--config: '" + tmp + "' is a directory; give a cluster configuration file"),
                dir::toString);
        assertTrue(!dir.err().contains("awk"), "no awk error: " + dir);

        Path binary = tmp.resolve("image.bin");
        byte[] bytes = new byte[4096];
        new java.util.Random(11).nextBytes(bytes);
        bytes[7] = 0;
        Files.write(binary, bytes);
        Run bin = smpcluster(null, "--no-build", "--config", binary.toString());
        assertEquals(2, bin.exit(), bin::toString);
        assertTrue(bin.err().contains("is not a text file (it has NUL bytes)"), bin::toString);
    }

    @Test
    void shouldCheckAFileWithFileLineAndQuoteOnlyAShortPrefix() throws Exception {
        Path bad = tmp.resolve("bad.cluster");
        Files.writeString(bad, "cluster " + cluster + "\nphysmem 64m\nvnode 0 cpus 0 memory 999g\n"
                + "vnode 1 cpus 0-2147483647 memory 64m\n"
                + "device 0000:00:04.0 storage " + "n".repeat(100) + " /tmp/x\n"
                + "network eth0 999.999.999.999/24\nnetwork eth1 10.0.0.0/24\nnetwork eth1 10.0.1.0/24\n"
                + "x".repeat(2 << 20) + "\n");
        long start = System.nanoTime();
        Run run = smpcluster(null, "--no-build", "-c", "kmb:check " + bad);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertEquals(1, run.exit(), run::toString);
        String err = run.err();
        assertTrue(err.length() < 4000, "the 2 MB line is not echoed: " + err.length() + " characters");
        for (String line : List.of(":3: vnode 0 has 1022976m of memory, more than this machine has",
                ":4: CPU '0-2147483647' is beyond CPU 8191", ":5: device name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...'",
                ":6: subnet 999.999.999.999/24: 999 is not an octet", ":8: network eth1 is declared twice",
                ":9: the line is 2097152 characters long")) {
            assertTrue(err.contains(bad + line), "'" + line + "' in:\n" + err);
        }
        assertTrue(millis < 30_000, "checked in " + millis + " ms");
    }

    @Test
    void shouldGiveTheRootAHeapLimitFromVnodeZerosMemory() throws Exception {
        Run defaults = smpcluster(null, "--no-build", "-c", "nk:status");
        assertEquals(0, defaults.exit(), defaults::toString);
        assertTrue(defaults.out().contains("heap-max            192 MiB"), "3/4 of the default root's 256m:\n" + defaults);

        Path config = tmp.resolve("root.cluster");
        Files.writeString(config, "cluster " + cluster + "\nphysmem 64m\nvnode 0 cpus 0 memory 128m\n");
        Run configured = smpcluster(null, "--no-build", "--config", config.toString(), "-c", "nk:status");
        assertEquals(0, configured.exit(), configured::toString);
        assertTrue(configured.out().contains("heap-max            96 MiB"), "3/4 of 128m:\n" + configured);
    }

    /**
     * Waits until process {@code pid} has ended: gone, or a zombie. An orphan's zombie waits
     * for whoever adopted it (here PID 1, which reaps when it gets round to it), and
     * {@link ProcessHandle#isAlive} takes a zombie for alive. Returns the milliseconds since
     * {@code since} (System.nanoTime), or -1 when it still runs 30 s after.
     */
    static long awaitEnded(long pid, long since) throws InterruptedException {
        long deadlineNanos = since + TimeUnit.SECONDS.toNanos(30);
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        while (System.nanoTime() < deadlineNanos) {
            try {
                String s = Files.readString(stat);
                if (s.substring(s.lastIndexOf(')') + 2).startsWith("Z")) {
                    return (System.nanoTime() - since) / 1_000_000;
                }
            } catch (IOException gone) {
                return (System.nanoTime() - since) / 1_000_000;
            }
            Thread.sleep(10);
        }
        return -1;
    }

    /** The bnd launcher's temporaries in the temp directory: osgi.*.fw caches, resource*.jar. */
    static List<Path> launcherTemporaries() throws IOException {
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
