package org.smpcluster.nanokernel.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.nanokernel.OutOfPhysicalMemoryException;

class RegionAllocatorTest {

    private static final long PAGE = 4096;
    private final RegionAllocator allocator = new RegionAllocator(16 * PAGE, 32 * PAGE, PAGE);

    @Test
    void shouldHandOutPageAlignedRegionsFirstFit() {
        assertEquals(16 * PAGE, allocator.allocate(1));
        assertEquals(17 * PAGE, allocator.allocate(PAGE + 1));
        assertEquals(19 * PAGE, allocator.allocate(PAGE));
        assertEquals(2 * PAGE, allocator.regionSize(17 * PAGE));
        assertEquals(12 * PAGE, allocator.totalFree());
    }

    @Test
    void shouldMergeFreedNeighbours() {
        long a = allocator.allocate(PAGE);
        long b = allocator.allocate(PAGE);
        long c = allocator.allocate(PAGE);
        allocator.free(a);
        allocator.free(c);
        assertEquals(Map.of(a, PAGE, c, 14 * PAGE), allocator.freeExtents());

        allocator.free(b);

        assertEquals(Map.of(16 * PAGE, 16 * PAGE), allocator.freeExtents());
    }

    @Test
    void shouldRefuseWhenFragmentedAndNameTheSizes() {
        long[] regions = new long[16];
        for (int i = 0; i < 16; i++) {
            regions[i] = allocator.allocate(PAGE);
        }
        for (int i = 0; i < 16; i += 2) {
            allocator.free(regions[i]);
        }

        OutOfPhysicalMemoryException e =
                assertThrows(OutOfPhysicalMemoryException.class, () -> allocator.allocate(2 * PAGE));

        assertEquals(2 * PAGE, e.requested());
        assertEquals(PAGE, e.largestFree());
        assertEquals(8 * PAGE, e.totalFree());
        assertEquals("out of physical memory: asked for 8192 bytes, largest free extent is 4096 bytes, "
                + "32768 bytes free in all", e.getMessage());
    }

    @Test
    void shouldCompactRelocatableRegionsSoThatALargeRequestFits() {
        long[] regions = new long[16];
        for (int i = 0; i < 16; i++) {
            regions[i] = allocator.allocate(PAGE);
        }
        for (int i = 0; i < 16; i += 2) {
            allocator.free(regions[i]);
        }
        // every odd region is transient (relocatable)
        List<RegionAllocator.Move> moves = allocator.compact(offset -> true);

        assertEquals(8, moves.size());
        assertEquals(new RegionAllocator.Move(17 * PAGE, 16 * PAGE, PAGE), moves.get(0));
        assertEquals(new RegionAllocator.Move(19 * PAGE, 17 * PAGE, PAGE), moves.get(1));
        assertEquals(Map.of(24 * PAGE, 8 * PAGE), allocator.freeExtents());
        assertEquals(24 * PAGE, allocator.allocate(8 * PAGE));
    }

    @Test
    void shouldLeavePinnedRegionsWhereTheyAre() {
        long a = allocator.allocate(PAGE); // 16, freed below
        long pinned = allocator.allocate(PAGE); // 17
        long gap = allocator.allocate(PAGE); // 18, freed
        long transientRegion = allocator.allocate(PAGE); // 19
        allocator.free(a);
        allocator.free(gap);

        List<RegionAllocator.Move> moves = allocator.compact(offset -> offset != pinned);

        assertEquals(List.of(new RegionAllocator.Move(transientRegion, gap, PAGE)), moves);
        assertEquals(Set.of(pinned, gap), allocator.regions().keySet());
    }

    @Test
    void shouldRefuseNonsense() {
        assertThrows(IllegalArgumentException.class, () -> allocator.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> allocator.free(20 * PAGE));
        assertThrows(IllegalArgumentException.class, () -> new RegionAllocator(1, 32 * PAGE, PAGE));
    }
}
