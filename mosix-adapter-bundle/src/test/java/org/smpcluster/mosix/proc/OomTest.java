package org.smpcluster.mosix.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.MemoryUsage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.proc.Programs.Capture;

/** An OutOfMemoryError in a process's thread ends that process; the OOM killer picks the process that allocated most. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OomTest {

    private ProcessTable table;

    @BeforeEach
    void setUp() {
        table = new ProcessTable(5, TestSupport::daemon);
    }

    @AfterEach
    void tearDown() {
        table.close();
    }

    @Test
    void shouldEndAProcessWhoseThreadDiesOfOutOfMemoryAndNotTheVnode() throws Exception {
        Capture err = new Capture();
        ProcessInfo p = table.spawn(ProcessSpec.of("OomThrower", Programs.classes()).withStderr(err));
        ExitStatus s = table.onExit(p.pid()).get(20, TimeUnit.SECONDS);
        assertEquals("137 (killed by SIGKILL: out of memory (java.lang.OutOfMemoryError: pretend the heap ran out in"
                + " thread \"eater\"))", s.toString());
        ProcessInfo after = table.spawn(ProcessSpec.of("Exit3", Programs.classes()).withStdout(new Capture()));
        assertEquals(3, table.onExit(after.pid()).get(20, TimeUnit.SECONDS).code(), "the vnode runs processes on");
    }

    @Test
    void shouldKillTheProcessThatAllocatedMost() throws Exception {
        Capture quiet = new Capture();
        Capture hog = new Capture();
        ProcessInfo calm = table.spawn(ProcessSpec.of("Sleeper", Programs.classes()).withStdout(quiet));
        ProcessInfo big = table.spawn(ProcessSpec.of("Hog", Programs.classes()).withArgs("64", "1").withStdout(hog));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // the sampler's figures: the hog has allocated more than the sleeper
        while (table.info(big.pid()).orElseThrow().allocatedBytes() < (16L << 20)) {
            assertTrue(System.nanoTime() < deadline, "the hog never allocated 16 MiB");
            LockSupport.parkNanos(10_000_000);
        }
        try (OomKiller killer = new OomKiller(table)) {
            // as the JVM's notification would call it: a heap short after GC
            killer.outOfMemory(new MemoryUsage(0, 120L << 20, 128L << 20, 128L << 20));
            ExitStatus s = table.onExit(big.pid()).get(20, TimeUnit.SECONDS);
            assertTrue(s.toString().startsWith("137 (killed by SIGKILL: out of memory, vnode 5 heap 120.0M of 128.0M"
                    + " after GC; it had allocated "), s.toString());
            assertEquals(ProcessState.RUNNING, table.info(calm.pid()).orElseThrow().state(), "the other process lives");
        }
        table.signal(calm.pid(), Signal.SIGKILL);
        table.onExit(calm.pid()).get(20, TimeUnit.SECONDS);
    }
}
