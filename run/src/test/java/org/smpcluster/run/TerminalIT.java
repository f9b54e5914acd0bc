package org.smpcluster.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real program driven as a person would, through a real terminal (tmux): boot the cluster,
 * attach to vnode 1's console, run a command there and see its output, interrupt a long one
 * with ^C, detach with Ctrl-], attach to the root's own console, detach, and exit with ^D; and
 * ^C at the root's own prompt, which must not reach the vnodes.
 * Skipped where tmux is missing ({@code .ci/run} installs it).
 */
class TerminalIT {

    private static final Path SCRIPT = Path.of("..", "smpcluster").toAbsolutePath().normalize();
    private static final long DEADLINE_MILLIS = 30_000;

    private final String cluster = "termit-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
    private final String session = cluster;

    @AfterEach
    void cleanUp() throws Exception {
        tmux("kill-session", "-t", session);
        String physmem = "/dev/shm/smpcluster-" + cluster;
        SmpclusterCommandIT.vnodeProcesses(physmem).forEach(pid -> ProcessHandle.of(pid)
                .ifPresent(ProcessHandle::destroyForcibly));
        ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> String.join(" ", a).contains("smpcluster.cluster=" + cluster)).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
        Files.deleteIfExists(Path.of(physmem));
        // What a root killed with the tmux session could not remove: its vnodes' logs and caches.
        Path stub = Path.of(System.getProperty("java.io.tmpdir"), "smpcluster-kmb-" + cluster);
        if (Files.exists(stub)) {
            try (var files = Files.walk(stub)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    @Test
    void shouldAttachToAVnodesConsoleRunInterruptDetachAndExit() throws Exception {
        assumeTrue(tmux("-V").startsWith("tmux"), "tmux is not installed (.ci/run installs it)");
        tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "50",
                "bash " + SCRIPT + " --no-build --cluster " + cluster + "; echo SMPCLUSTER-EXITED-$?; sleep 60");
        await("the root's prompt", s -> s.contains("cluster '" + cluster + "' up") && s.strip().endsWith("g!"));

        keys("console:attach 1", "Enter");
        await("attached to vnode 1", s -> s.contains("[attached to vnode 1's console; Ctrl-] detaches]"));
        // Vnode 1's bundles may still be starting: its shell prompts when it is ready.
        await("vnode 1's prompt", s -> after(s, "[attached to vnode 1").contains("g! "));
        keys("nk:status", "Enter");
        await("nk:status ran on vnode 1", s -> after(s, "[attached to vnode 1").contains("vnode               1"));

        keys("console:sleep 600", "Enter");
        await("the long command runs", s -> s.strip().endsWith("console:sleep 600"));
        keys("C-c");
        await("^C interrupted it", s -> s.contains("^Cinterrupted"));

        keys("C-]");
        await("detached", s -> s.contains("[detached from vnode 1's console]") && s.strip().endsWith("g!"));

        keys("console:attach 0", "Enter");
        await("attached to the root's own console", s -> s.contains("[attached to vnode 0's console"));
        await("the root console's prompt", s -> after(s, "[attached to vnode 0").contains("g! "));
        keys("nk:status", "Enter");
        await("nk:status ran on the root's console", s -> after(s, "[attached to vnode 0").contains("vnode               0 (root)"));
        keys("C-]");
        await("detached again", s -> s.contains("[detached from vnode 0's console]") && s.strip().endsWith("g!"));

        keys("C-d");
        await("the program exited cleanly", s -> s.contains("SMPCLUSTER-EXITED-0"));
        assertFalse(Files.exists(Path.of("/dev/shm/smpcluster-" + cluster)), "the physmem file is gone");
        assertTrue(SmpclusterCommandIT.vnodeProcesses("/dev/shm/smpcluster-" + cluster).isEmpty(), "no vnode is left");
    }

    /**
     * ^C at the root's prompt is the terminal's SIGINT to its foreground process group: it must
     * reach the root alone (which says it does not stop it), not vnode 1 or the standby JVM,
     * which run in sessions of their own without the terminal.
     */
    @Test
    void shouldLeaveVnodesAndStandbysAloneOnCtrlCAtTheRootsPrompt() throws Exception {
        assumeTrue(tmux("-V").startsWith("tmux"), "tmux is not installed (.ci/run installs it)");
        tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "50",
                "bash " + SCRIPT + " --no-build --cluster " + cluster + "; echo SMPCLUSTER-EXITED-$?; sleep 60");
        await("the root's prompt", s -> s.contains("cluster '" + cluster + "' up") && s.strip().endsWith("g!"));
        java.util.regex.Matcher joined = java.util.regex.Pattern.compile("vnode 1: joined, pid (\\d+)")
                .matcher(tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session));
        assertTrue(joined.find(), "the boot names vnode 1's pid");
        long vnode = Long.parseLong(joined.group(1));
        String physmem = "/dev/shm/smpcluster-" + cluster;
        awaitCondition("a standby JVM stands by", () -> standbys(physmem).size() == 1);
        long standby = standbys(physmem).get(0);
        for (long pid : List.of(vnode, standby)) {
            // No controlling terminal (tty_nr 0): no key typed at the root's terminal signals it.
            assertEquals("0", stat(pid)[4], "pid " + pid + " has no controlling terminal");
        }

        keys("C-c");
        await("the root says ^C does not stop it", s -> s.contains("(^C does not stop the root"));
        // The SIGINT went out with the key: had it reached vnode 1 or the standby, they would be
        // ending now (exit 130). Give an ending process its shutdown's time to show.
        ProcessHandle v = ProcessHandle.of(vnode).orElseThrow();
        ProcessHandle s = ProcessHandle.of(standby).orElseThrow();
        assertTrue(v.onExit().completeOnTimeout(null, 3, TimeUnit.SECONDS).get() == null, "vnode 1 ended on ^C");
        assertTrue(s.isAlive(), "the standby ended on ^C");

        keys("kmb:list", "Enter");
        await("kmb:list: vnode 1 joined, same pid, no restart", screen -> after(screen, "(^C does not stop the root").lines()
                .anyMatch(l -> l.matches("1\\s+JOINED\\s+.*\\s" + vnode + "\\s+\\S+\\s+0\\s+.*")));
        assertTrue(v.isAlive() && s.isAlive(), "vnode 1 and the standby live");

        keys("C-d");
        await("the program exited cleanly", screen -> screen.contains("SMPCLUSTER-EXITED-0"));
        awaitCondition("vnode 1 and the standby ended with the root", () -> !v.isAlive() && !s.isAlive());
    }

    /**
     * ^C at the root's prompt while {@code mosix:run} runs a program in the foreground: the
     * program gets SIGINT (status 130), the prompt comes back, the root lives; ^C at the idle
     * prompt only says it does not stop the root.
     */
    @Test
    void shouldInterruptTheForegroundProgramOnCtrlCAtTheRootsPrompt(@org.junit.jupiter.api.io.TempDir Path programs)
            throws Exception {
        assumeTrue(tmux("-V").startsWith("tmux"), "tmux is not installed (.ci/run installs it)");
        RunIT.compile(programs);
        tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "50",
                "bash " + SCRIPT + " --no-build --no-vnodes --cluster " + cluster + "; echo SMPCLUSTER-EXITED-$?; sleep 60");
        await("the root's prompt", s -> s.strip().endsWith("g!"));

        keys("mosix:run -cp " + programs + " Spin", "Enter");
        await("the program spins in the foreground", s -> s.strip().endsWith("spinning"));
        keys("C-c");
        await("^C ended the command and the prompt is back", s -> after(s, "spinning").strip().endsWith("g!"));
        assertFalse(tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session).contains("(^C does not stop the root"),
                "a ^C for a running command is the command's");
        keys("mosix:ps", "Enter");
        await("the program ended by SIGINT", s -> s.lines().anyMatch(l -> l.matches("1\\s+Spin\\s+0\\s+0\\s+EXITED\\(130\\).*")));

        keys("C-c");
        await("at the idle prompt ^C says it does not stop the root", s -> s.contains("(^C does not stop the root"));
        keys("C-d");
        await("the program exited cleanly", s -> s.contains("SMPCLUSTER-EXITED-0"));
    }

    /** The standby JVMs of this cluster: started with --standby on its physmem file. */
    private static List<Long> standbys(String physmem) {
        return ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                .map(a -> List.of(a).contains(physmem) && List.of(a).contains("--standby")).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    /** /proc/PID/stat after the command's name: [0] state, [2] process group, [3] session, [4] tty_nr. */
    private static String[] stat(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    private static void awaitCondition(String what, java.util.function.BooleanSupplier condition) throws Exception {
        long end = System.currentTimeMillis() + DEADLINE_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError(what + ": not within " + DEADLINE_MILLIS / 1000 + " s");
            }
            Thread.sleep(50);
        }
    }

    private static String after(String screen, String marker) {
        int at = screen.lastIndexOf(marker);
        return at < 0 ? "" : screen.substring(at);
    }

    private void keys(String... keys) throws Exception {
        List<String> command = new ArrayList<>(List.of("send-keys", "-t", session));
        command.addAll(List.of(keys));
        tmux(command.toArray(String[]::new));
    }

    private void await(String what, Predicate<String> condition) throws Exception {
        long end = System.currentTimeMillis() + DEADLINE_MILLIS;
        String screen = "";
        while (System.currentTimeMillis() < end) {
            screen = tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session);
            if (condition.test(screen)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(what + ": not within " + DEADLINE_MILLIS / 1000 + " s; the terminal shows:\n" + screen);
    }

    private static String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return ""; // no tmux
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return out;
    }
}
