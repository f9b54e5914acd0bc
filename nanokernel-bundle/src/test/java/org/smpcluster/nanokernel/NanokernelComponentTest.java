package org.smpcluster.nanokernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.Nanokernel;

class NanokernelComponentTest {

    @TempDir
    Path tmp;

    @Test
    void shouldReadTheCpusTheProcessIsPinnedTo() throws Exception {
        Path status = Files.writeString(tmp.resolve("status"), """
                Name:\tjava
                Cpus_allowed:\t3
                Cpus_allowed_list:\t0-1,4
                Mems_allowed_list:\t0
                """);

        assertEquals("0-1,4", NanokernelComponent.cpusAllowed(status));
    }

    @Test
    void shouldSayUnknownWhenTheKernelDoesNotReportCpus() throws Exception {
        Path status = Files.writeString(tmp.resolve("status"), "Name:\tjava\n");

        assertEquals("unknown", NanokernelComponent.cpusAllowed(status));
    }

    @Test
    void shouldNameTheFileItCannotRead() {
        Path missing = tmp.resolve("no-such-status");

        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> NanokernelComponent.cpusAllowed(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void shouldReportThisProcessInItsStatus() {
        Nanokernel vnode = new Nanokernel() {
            @Override
            public String clusterName() {
                return "demo";
            }

            @Override
            public int vnodeId() {
                return 0;
            }

            @Override
            public String physmemPath() {
                return "/dev/shm/smpcluster-demo";
            }

            @Override
            public long physmemSize() {
                return 256L << 20;
            }

            @Override
            public List<org.smpcluster.api.nanokernel.VnodeState> vnodes() {
                return List.of();
            }

            @Override
            public boolean rootGone() {
                return false;
            }

            @Override
            public Thread kernelThread(String name, Runnable body) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void panic(String reason, Throwable cause) {
                throw new UnsupportedOperationException();
            }
        };
        var status = new NanokernelComponent(vnode).status();

        assertEquals(List.of("cluster", "vnode", "physmem", "pid", "cpus", "heap-max"), List.copyOf(status.keySet()));
        assertEquals("0 (root)", status.get("vnode"));
        assertEquals("/dev/shm/smpcluster-demo (256 MiB)", status.get("physmem"));
        assertEquals(Long.toString(ProcessHandle.current().pid()), status.get("pid"));
    }

    @Test
    void shouldAlignTheComponentListingInColumns() {
        String table = ComponentsCommand.format(List.of(
                new ComponentsCommand.Row("vnet", "org.smpcluster.vnet", "0.1.0", "org.smpcluster.api.vnet", "NICs"),
                new ComponentsCommand.Row("nanokernel", "org.smpcluster.nanokernel", "0.10.2", "org.smpcluster.api.nanokernel", "hardware")));

        List<String> lines = table.lines().toList();
        assertEquals(3, lines.size(), table);
        int summaryColumn = lines.get(0).indexOf("SUMMARY");
        assertEquals(summaryColumn, lines.get(1).indexOf("NICs"), table);
        assertEquals(summaryColumn, lines.get(2).indexOf("hardware"), table);
    }
}
