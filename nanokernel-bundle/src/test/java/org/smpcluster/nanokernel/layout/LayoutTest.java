package org.smpcluster.nanokernel.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.nanokernel.Nanokernel;

class LayoutTest {

    @Test
    void shouldKeepEveryStructureInsideTheControlAreaWithoutOverlap() {
        assertEquals(4096, ControlArea.VNODE_TABLE_OFFSET);
        assertEquals(ControlArea.VNODE_TABLE_OFFSET + VnodeTableDescriptor.LENGTH, ControlArea.BRIDGE_DIRECTORY_OFFSET);
        assertEquals(ControlArea.BRIDGE_DIRECTORY_OFFSET + BridgeDirectoryDescriptor.LENGTH, ControlArea.DOORBELLS_OFFSET);
        assertTrue(ControlArea.dspResponses(Nanokernel.MAX_VNODES - 1) + DspRingDescriptor.LENGTH <= ControlArea.SIZE);
        assertEquals(0, ControlArea.SIZE % ControlArea.PAGE_SIZE);
    }

    @Test
    void shouldKeepFieldsWrittenByDifferentPartiesTwoCacheLinesApart() {
        assertTrue(HeaderDescriptor.ROOT_HEARTBEAT_OFFSET - HeaderDescriptor.CLUSTER_NAME_OFFSET >= 64);
        assertEquals(128, VnodeTableDescriptor.HEARTBEAT_OFFSET);
        assertEquals(128, DspRingDescriptor.TAIL_OFFSET - DspRingDescriptor.HEAD_OFFSET);
        assertEquals(64, DoorbellDescriptor.WAITING_OFFSET - DoorbellDescriptor.WORD_OFFSET);
    }

    @Test
    void shouldRoundTripABridgeEntry() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment physmem = arena.allocate(ControlArea.SIZE, 4096);
            var entry = new BridgeDirectoryDescriptor.Entry(7, BridgeDirectoryDescriptor.STATE_ACTIVE, 3,
                    BridgeDirectoryDescriptor.FLAG_TRANSIENT, 1 << 20, 12345, 0b1001, 2, "console-ring");

            BridgeDirectoryDescriptor.write(physmem, entry);

            assertEquals(entry, BridgeDirectoryDescriptor.read(physmem, 7));
            assertEquals(2, Shm.getIntVolatile(physmem, BridgeDirectoryDescriptor.entry(7)),
                    "the sequence is even again after a write");
        }
    }

    @Test
    void shouldRefuseNamesThatDoNotFitAndIndexesOutOfRange() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment physmem = arena.allocate(ControlArea.SIZE, 4096);
            assertThrows(IllegalArgumentException.class,
                    () -> Shm.putString(physmem, 0, 4, "too long"));
            assertThrows(IllegalArgumentException.class, () -> BridgeDirectoryDescriptor.entry(256));
            assertThrows(IllegalArgumentException.class, () -> VnodeTableDescriptor.entry(-1));
        }
    }

    @Test
    void shouldPlaceDspSlotsRoundRobin() {
        assertEquals(15, DspRingDescriptor.SLOTS);
        assertEquals(DspRingDescriptor.slot(0), DspRingDescriptor.slot(DspRingDescriptor.SLOTS));
        assertEquals(DspRingDescriptor.SLOTS_OFFSET + DspRingDescriptor.SLOT_LENGTH, DspRingDescriptor.slot(1));
    }
}
