package org.smpcluster.mosix.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;

class ProcFsTest {

    static final ProcessInfo AWAY = new ProcessInfo(1_000_005, 1_000_001, "Lines", 1, 2, ProcessState.RUNNING,
            1_500_000_000L, 4096, 1_700_000_000_000L, Optional.empty(), "not migratable");
    static final ProcessInfo DONE = new ProcessInfo(2_000_001, 0, "Exit3", 2, 2, ProcessState.EXITED, 0, 0, 1,
            Optional.of(ExitStatus.exited(3)), "");

    final ProcFs fs = new ProcFs(new ProcessManager() {
        @Override
        public ProcessInfo spawn(ProcessSpec spec) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<ProcessInfo> processes() {
            return List.of(AWAY, DONE);
        }

        @Override
        public Optional<ProcessInfo> info(long pid) {
            return processes().stream().filter(p -> p.pid() == pid).findFirst();
        }

        @Override
        public void signal(long pid, Signal signal) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<ExitStatus> onExit(long pid) {
            throw new UnsupportedOperationException();
        }
    }, () -> List.of(new ClusterView.Load(0, 0, 1, 0, 1L << 30), new ClusterView.Load(2, 3, 2, 1500, 12345)));

    @Test
    void shouldShowAProcessAsOpenMosixDid() {
        assertEquals("2\n", fs.read("/proc/1000005/where"));
        assertEquals("2\n", fs.read("/proc/1000005/migrate"), "migrate reads as where it runs");
        assertEquals("not migratable\n", fs.read("/proc/1000005/cantmove"));
        assertEquals("can move\n", fs.read("/proc/2000001/cantmove"));
        assertEquals("1000005 (Lines) R 1000001 1 2 1500000000 4096 1700000000000\n", fs.read("/proc/1000005/stat"));
        String status = fs.read("/proc/1000005/status");
        assertTrue(status.startsWith("Name:\tLines\nState:\tR (running)\nPid:\t1000005\nPPid:\t1000001\nHome:\t1\n"
                + "Where:\t2\nCpu:\t1.500 s\n"), status);
        assertTrue(fs.read("/proc/2000001/status").contains("Exit:\t3 (exited)\n"));
    }

    @Test
    void shouldShowEachVnodesLoad() {
        assertEquals("1500\n", fs.read("/proc/hpc/nodes/2/load"));
        assertEquals("2\n", fs.read("/proc/hpc/nodes/2/cpus"));
        assertEquals("12345\n", fs.read("/proc/hpc/nodes/2/mem"));
        assertEquals("up\n", fs.read("/proc/hpc/nodes/0/status"));
        assertEquals("down\n", fs.read("/proc/hpc/nodes/1/status"));
    }

    @Test
    void shouldSayWhatIsWrongWithAPath() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fs.read("/proc/42/where"));
        assertEquals("path=/proc/42/where: pid=42 is not a process of the cluster (mosix:ps lists them)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fs.read("/proc/hpc/nodes/1/load"));
        assertTrue(e.getMessage().contains("vnode=1 is not up"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fs.read("/proc/1000005/environ"));
        assertTrue(e.getMessage().startsWith("path=/proc/1000005/environ is not one of"), e.getMessage());
    }
}
