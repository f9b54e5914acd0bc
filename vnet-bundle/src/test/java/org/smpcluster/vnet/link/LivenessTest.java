package org.smpcluster.vnet.link;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a jabber cut takes for a gone carrier holder: dead, a zombie, killed; not stopped. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LivenessTest {

    @Test
    void shouldTakeAStoppedProcessForAliveAndAnEndedOrZombieOneForGone() throws Exception {
        assertTrue(Liveness.alive(ProcessHandle.current().pid()));
        assertFalse(Liveness.alive(0));
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        assertFalse(Liveness.alive(ended.pid()), "ended and reaped");

        // A zombie: sh starts a child that ends at once, then becomes a sleep that never reaps it.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0 & echo $!; exec sleep 20").start();
        try {
            long zombie = Long.parseLong(new BufferedReader(new InputStreamReader(parent.getInputStream())).readLine().strip());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + zombie + "/stat")).contains(") Z")) {
                assertTrue(System.nanoTime() < deadline, "the child never became a zombie");
                Thread.onSpinWait();
            }
            assertFalse(Liveness.alive(zombie), "a zombie holds nothing");
            assertTrue(Liveness.alive(parent.pid()), "its parent sleeps");

            kill("STOP", parent.pid());
            long stopped = System.nanoTime() + 10_000_000_000L;
            while (!java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + parent.pid() + "/stat")).contains(") T")) {
                assertTrue(System.nanoTime() < stopped, "the process never stopped");
                Thread.onSpinWait();
            }
            assertTrue(Liveness.alive(parent.pid()), "a stopped process is alive: it will go on");
        } finally {
            parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertFalse(Liveness.alive(parent.pid()), "killed");
    }

    static void kill(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + pid);
    }
}
