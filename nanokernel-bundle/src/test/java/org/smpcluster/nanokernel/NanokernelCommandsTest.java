package org.smpcluster.nanokernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.nanokernel.NanokernelCommands.Region;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DoorbellDescriptor;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;

class NanokernelCommandsTest {

    @Test
    void shouldMapControlAreaBridgesInWholePagesAndTheGapsBetween() {
        long c = ControlArea.SIZE;
        List<BridgeInfo> bridges = List.of(
                new BridgeInfo("wire", Bridge.GLOBAL, c + 8192, 100, Set.of(0, 1), false),
                new BridgeInfo("console", 1, c, 5000, Set.of(1), true));

        List<Region> map = NanokernelCommands.memoryMap(bridges, List.of(), c + 16 * 4096);

        assertEquals(List.of(
                new Region(0, c, "control", "header, vnode table, bridge directory, doorbells, devices, DSP rings"),
                new Region(c, 8192, "bridge", "'console' (vnode 1)"),
                new Region(c + 8192, 4096, "bridge", "'wire' (global)"),
                new Region(c + 12288, 13 * 4096, "free", "")), map);
    }

    @TempDir
    Path dir;

    @Test
    void shouldRefuseToRaiseOnAVnodeThatIsNotJoined() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "raise1", 8L << 20))) {
            NanokernelCommands nk = new NanokernelCommands(root);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> nk.raise(7, 5));
            assertEquals("vnode 7 is FREE, not joined: nobody takes its interrupts; nk:vnodes lists the joined ones",
                    e.getMessage());
            assertEquals(0, DoorbellDescriptor.word(root.physmem().segment(), ControlArea.doorbell(7)), "not rung");
            assertThrows(IllegalArgumentException.class, () -> nk.raise(-1, 5));
            assertThrows(IllegalArgumentException.class, () -> nk.raise(0, 64));
            assertEquals("raised vector 20 on vnode 0", nk.raise(0, 20));
        }
    }

    @Test
    void shouldRefuseADevicesVectorOnAVnodeThatDoesNotOwnTheDevice() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "raise2", 8L << 20))) {
            MemorySegment physmem = root.physmem().segment();
            root.devices().add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
            root.devices().add("0000:00:05.0", "net", "port", "tcp:8080");
            root.regions().allocate(1, 1L << 20); // vnode 1 is booting: the device is recorded for its join
            root.devices().assign("0000:00:05.0", 1);
            // Then vnodes 1 and 2 joined, as far as the table says.
            VnodeTableDescriptor.join(physmem, 1, ProcessHandle.current().pid(), 0, System.currentTimeMillis());
            VnodeTableDescriptor.join(physmem, 2, ProcessHandle.current().pid(), 0, System.currentTimeMillis());
            NanokernelCommands nk = new NanokernelCommands(root);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> nk.raise(2, 33));
            assertEquals("vector=33 is device 0000:00:05.0's, which vnode 1 owns, not vnode 2; "
                    + "device:raise 0000:00:05.0 raises it on its owner", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> nk.raise(2, 32));
            assertTrue(e.getMessage().contains("which nobody owns"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> nk.raise(2, 40));
            assertTrue(e.getMessage().contains("no device has it"), e.getMessage());
            assertEquals("raised vector 33 on vnode 1", nk.raise(1, 33));
        }
    }

    @Test
    void shouldRefuseFaultInjectionUnlessItIsSwitchedOnSayingHow() {
        assumeTrue(System.getProperty(NanokernelCommands.FAULT_INJECT) == null);
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "inject", 8L << 20))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new NanokernelCommands(root).inject("oom"));
            assertTrue(e.getMessage().startsWith("fault injection is off on vnode 0; it is on when the system property "
                    + "smpcluster.fault.inject=true"), e.getMessage());
        }
    }

    @Test
    void shouldPrintSizesForPeople() {
        assertEquals("4 KiB", NanokernelCommands.size(4096));
        assertEquals("256 MiB", NanokernelCommands.size(256L << 20));
        assertEquals("63.8 MiB", NanokernelCommands.size(65280L * 1024));
        assertEquals("100 B", NanokernelCommands.size(100));
    }
}
