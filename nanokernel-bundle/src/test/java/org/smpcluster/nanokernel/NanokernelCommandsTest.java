package org.smpcluster.nanokernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.nanokernel.NanokernelCommands.Region;
import org.smpcluster.nanokernel.layout.ControlArea;

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

    @Test
    void shouldPrintSizesForPeople() {
        assertEquals("4 KiB", NanokernelCommands.size(4096));
        assertEquals("256 MiB", NanokernelCommands.size(256L << 20));
        assertEquals("63.8 MiB", NanokernelCommands.size(65280L * 1024));
        assertEquals("100 B", NanokernelCommands.size(100));
    }
}
