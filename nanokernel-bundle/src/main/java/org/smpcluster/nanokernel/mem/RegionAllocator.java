package org.smpcluster.nanokernel.mem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.smpcluster.api.nanokernel.OutOfPhysicalMemoryException;

/**
 * The root's allocator of physical memory past the control area: contiguous, page-aligned
 * regions, first fit, free neighbours merged. Not thread-safe; the root's nanokernel calls it
 * under its own lock.
 *
 * <p>{@link #compact} is the paper's defragmentation: it slides relocatable (transient) regions
 * down over the holes below them, so the free space coalesces at the top; the caller moves the
 * bytes and tells the users, in the order the moves are returned.
 */
public final class RegionAllocator {

    /** A move made by {@link #compact}: {@code size} bytes from {@code from} to {@code to}. */
    public record Move(long from, long to, long size) {
    }

    private final long page;
    /** Free extents: offset to size. */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    /** Allocated regions: offset to size (whole pages). */
    private final TreeMap<Long, Long> used = new TreeMap<>();

    public RegionAllocator(long base, long limit, long page) {
        if (base % page != 0 || limit % page != 0 || base >= limit) {
            throw new IllegalArgumentException("base=" + base + " limit=" + limit + " page=" + page
                    + ": need page-aligned base < limit");
        }
        this.page = page;
        free.put(base, limit - base);
    }

    /** Allocates {@code size} bytes, rounded up to whole pages; returns the region's offset. */
    public long allocate(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive");
        }
        long rounded = roundUp(size);
        for (Map.Entry<Long, Long> extent : free.entrySet()) {
            if (extent.getValue() >= rounded) {
                long offset = extent.getKey();
                free.remove(offset);
                if (extent.getValue() > rounded) {
                    free.put(offset + rounded, extent.getValue() - rounded);
                }
                used.put(offset, rounded);
                return offset;
            }
        }
        throw new OutOfPhysicalMemoryException(size, largestFree(), totalFree());
    }

    /** Frees the region at {@code offset}. */
    public void free(long offset) {
        Long size = used.remove(offset);
        if (size == null) {
            throw new IllegalArgumentException("no region allocated at offset=" + offset);
        }
        long start = offset;
        long length = size;
        Map.Entry<Long, Long> below = free.floorEntry(offset);
        if (below != null && below.getKey() + below.getValue() == offset) {
            start = below.getKey();
            length += below.getValue();
            free.remove(below.getKey());
        }
        Long above = free.get(offset + size);
        if (above != null) {
            length += above;
            free.remove(offset + size);
        }
        free.put(start, length);
    }

    /**
     * Slides every region {@code relocatable} accepts as low as it can go, in address order,
     * and returns the moves to make. Regions not accepted stay where they are.
     */
    public List<Move> compact(java.util.function.LongPredicate relocatable) {
        List<Move> moves = new ArrayList<>();
        for (long offset : new ArrayList<>(used.keySet())) {
            if (relocatable.test(offset)) {
                long to = slideDown(offset);
                if (to >= 0) {
                    moves.add(new Move(offset, to, used.get(to)));
                }
            }
        }
        return moves;
    }

    /** Whether a free extent ends right below the region at {@code offset}. */
    public boolean holeBelow(long offset) {
        Map.Entry<Long, Long> hole = free.lowerEntry(offset);
        return used.containsKey(offset) && hole != null && hole.getKey() + hole.getValue() == offset;
    }

    /**
     * Moves the region at {@code offset} down to the start of the free extent right below it;
     * returns its new offset, or -1 if there is no such hole. The caller moves the bytes.
     */
    public long slideDown(long offset) {
        if (!holeBelow(offset)) {
            return -1;
        }
        long size = used.get(offset);
        long to = free.lowerEntry(offset).getKey();
        free(offset);
        return allocateAt(to, size);
    }

    private long allocateAt(long offset, long size) {
        Map.Entry<Long, Long> extent = free.floorEntry(offset);
        if (extent == null || extent.getKey() + extent.getValue() < offset + size) {
            throw new IllegalStateException("no free extent holds [" + offset + ", " + (offset + size) + ")");
        }
        long start = extent.getKey();
        long length = extent.getValue();
        free.remove(start);
        if (offset > start) {
            free.put(start, offset - start);
        }
        if (start + length > offset + size) {
            free.put(offset + size, start + length - offset - size);
        }
        used.put(offset, size);
        return offset;
    }

    /** The size of the region at {@code offset} (whole pages), or -1. */
    public long regionSize(long offset) {
        return used.getOrDefault(offset, -1L);
    }

    public long largestFree() {
        return free.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    public long totalFree() {
        return free.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The free extents, offset to size, in address order. */
    public Map<Long, Long> freeExtents() {
        return new TreeMap<>(free);
    }

    /** The allocated regions, offset to size, in address order. */
    public Map<Long, Long> regions() {
        return new TreeMap<>(used);
    }

    private long roundUp(long size) {
        long pages = (size + page - 1) / page;
        return Math.multiplyExact(pages, page);
    }
}
