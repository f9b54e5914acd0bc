package org.smpcluster.mosix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.layout.ProcTableDescriptor;
import org.smpcluster.mosix.proc.ProcPublisher;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.proc.TestSupport;

/** Two vnodes' tables in one JVM, each published in its own segment; the view of each sees both. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterViewTest {

    private final Arena arena = Arena.ofShared();
    private final Map<Integer, MemorySegment> procs = new HashMap<>();
    private final Map<Integer, ProcessTable> tables = new HashMap<>();
    private final List<Integer> up = new ArrayList<>(List.of(0, 1, 2));
    private Path programs;

    @BeforeEach
    void boot() throws IOException {
        programs = TestSupport.programs();
        for (int v = 1; v <= 2; v++) {
            MemorySegment s = arena.allocate(ProcTableDescriptor.length(64), 64);
            procs.put(v, s);
            tables.put(v, new ProcessTable(v, TestSupport::daemon, new ProcPublisher(s, v, 64, 2)));
        }
    }

    @AfterEach
    void shutDown() {
        tables.values().forEach(ProcessTable::close);
        arena.close();
    }

    private ClusterView view(int self) {
        return new ClusterView(self, tables.get(self), v -> Optional.ofNullable(procs.get(v)).map(PeekOf::new),
                () -> List.copyOf(up));
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

    @Test
    void shouldShowEveryVnodesProcessesAndFindAnyPid() throws Exception {
        ProcessInfo spin = tables.get(2).spawn(ProcessSpec.of("Spin", programs).withStdout(TestSupport.sink()));
        ProcessInfo mine = tables.get(1).spawn(ProcessSpec.of("Spin", programs).withStdout(TestSupport.sink()));
        assertEquals(2, ProcessTableHome.of(spin.pid()));
        ClusterView one = view(1);
        List<ProcessInfo> all = one.processes();
        assertEquals(List.of(mine.pid(), spin.pid()), all.stream().map(ProcessInfo::pid).toList(), all.toString());
        ProcessInfo seen = one.info(spin.pid()).orElseThrow();
        assertEquals("Spin", seen.name());
        assertEquals(2, seen.homeVnode());
        assertEquals(2, seen.currentVnode());
        waitFor("its CPU time to show on vnode 1", () -> one.info(spin.pid()).orElseThrow().cpuNanos() > 10_000_000);

        tables.get(2).signal(spin.pid(), Signal.SIGKILL);
        ExitStatus killed = tables.get(2).onExit(spin.pid()).get(10, TimeUnit.SECONDS);
        waitFor("the end to show on vnode 1", () -> one.info(spin.pid()).orElseThrow().state() == ProcessState.EXITED);
        assertEquals(Optional.of(killed), one.info(spin.pid()).orElseThrow().exit());
        assertEquals(137, killed.code());

        up.remove(Integer.valueOf(2));
        assertTrue(one.info(spin.pid()).isEmpty(), "a vnode that is down has no table to read");
        tables.get(1).signal(mine.pid(), Signal.SIGKILL);
    }

    @Test
    void shouldShowAProcessAwayFromHomeOnceAsWhereItRunsSeesIt() {
        long pid = 1_000_777;
        ProcessInfo deputy = new ProcessInfo(pid, 0, "Away", 1, 2, ProcessState.RUNNING, 0, 0, 1, Optional.empty(), "");
        ProcessInfo runner = new ProcessInfo(pid, 0, "Away", 1, 2, ProcessState.RUNNING, 5_000_000, 64, 1,
                Optional.empty(), "");
        new ProcPublisher(procs.get(1), 1, 64, 2).changed(deputy);
        new ProcPublisher(procs.get(2), 2, 64, 2).changed(runner);
        ClusterView zero = new ClusterView(0, new ProcessTable(0, TestSupport::daemon),
                v -> Optional.ofNullable(procs.get(v)).map(PeekOf::new), () -> List.copyOf(up));
        assertEquals(List.of(runner), zero.processes());
        assertEquals(Optional.of(runner), zero.info(pid));
    }

    @Test
    void shouldNotLetASampleTakenBeforeTheEndUndoIt() {
        ProcPublisher p = new ProcPublisher(procs.get(1), 1, 4, 2);
        ProcessInfo run = new ProcessInfo(1_000_001, 0, "x", 1, 1, ProcessState.RUNNING, 1, 1, 1, Optional.empty(), "");
        ProcessInfo end = new ProcessInfo(1_000_001, 0, "x", 1, 1, ProcessState.EXITED, 2, 2, 1,
                Optional.of(ExitStatus.exited(0)), "");
        p.changed(run);
        p.changed(end);
        p.changed(run);
        assertEquals(List.of(end), ProcTableDescriptor.readAll(procs.get(1), 1));
        p.dropped(1_000_001);
        assertEquals(List.of(), ProcTableDescriptor.readAll(procs.get(1), 1));
    }

    /** PIDs name their home. */
    static final class ProcessTableHome {
        static int of(long pid) {
            return org.smpcluster.api.process.ProcessManager.homeOf(pid);
        }
    }

    /** A peek as the nanokernel gives it: the owner's memory, read-only. */
    record PeekOf(MemorySegment memory) implements Bridge {
        @Override
        public String name() {
            return ProcTableDescriptor.BRIDGE;
        }

        @Override
        public int owner() {
            return 0;
        }

        @Override
        public long size() {
            return memory.byteSize();
        }

        @Override
        public MemorySegment segment() {
            return memory.asReadOnly();
        }

        @Override
        public boolean isTransient() {
            return false;
        }

        @Override
        public Access access() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }
}
