package org.smpcluster.nanokernel.bridge;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.OutOfPhysicalMemoryException;
import org.smpcluster.nanokernel.dsp.DspException;
import org.smpcluster.nanokernel.dsp.Message;
import org.smpcluster.nanokernel.layout.BridgeDirectoryDescriptor;
import org.smpcluster.nanokernel.layout.BridgeDirectoryDescriptor.Entry;
import org.smpcluster.nanokernel.mem.RegionAllocator;

/**
 * The root's bridge directory and the memory behind it: the only writer of the directory.
 * Opening is create-or-attach and records the opener among the bridge's users; the bridge is
 * freed when its last user closes it, or when its vnode dies for a local bridge. Requests from
 * other vnodes arrive over the DSP; refusals are {@link DspException}s with errno-style status.
 */
public final class BridgeTable {

    /** Where an opened bridge is. */
    public record Opened(int index, long offset, long size, int generation, boolean isTransient) {
    }

    /** A bridge the root moved: {@code size} bytes from {@code from} to {@code to}. */
    public record Relocation(int index, String name, long from, long to, long size) {
    }

    private final MemorySegment physmem;
    private final RegionAllocator allocator;

    public BridgeTable(MemorySegment physmem, RegionAllocator allocator) {
        this.physmem = physmem;
        this.allocator = allocator;
    }

    /** Opens (creating if needed) bridge {@code name} of {@code owner} for vnode {@code requester}. */
    public synchronized Opened open(int requester, int owner, String name, long size, boolean isTransient) {
        checkName(name);
        if (size < 1) {
            throw new DspException(Message.EINVAL, "bridge '" + name + "': size=" + size + " must be at least 1");
        }
        if (owner != Bridge.GLOBAL && (owner < 0 || owner >= Nanokernel.MAX_VNODES)) {
            throw new DspException(Message.EINVAL, "bridge '" + name + "': vnode=" + owner + " is outside 0.."
                    + (Nanokernel.MAX_VNODES - 1));
        }
        if (owner != Bridge.GLOBAL && requester != owner && requester != Nanokernel.ROOT) {
            throw new DspException(Message.EACCES, "bridge '" + name + "' is local to vnode " + owner + "; vnode "
                    + requester + " may not open it (only vnode " + owner + " and the root may)");
        }
        int free = -1;
        for (int i = 0; i < BridgeDirectoryDescriptor.ENTRIES; i++) {
            Entry e = entry(i);
            if (e.active() && e.owner() == owner && e.name().equals(name)) {
                if (size > e.size()) {
                    throw new DspException(Message.EINVAL, "bridge '" + name + "' exists with " + e.size()
                            + " bytes; cannot attach asking for " + size);
                }
                if (e.isTransient() != isTransient) {
                    throw new DspException(Message.EINVAL, "bridge '" + name + "' is "
                            + (e.isTransient() ? "transient: open it with openTransient" : "not transient"));
                }
                if (e.frozen()) {
                    throw new DspException(Message.EAGAIN, "bridge '" + name + "' is being relocated; try again");
                }
                BridgeDirectoryDescriptor.write(physmem, e.with(e.flags(), e.offset(), e.users() | bit(requester),
                        e.generation()));
                return new Opened(i, e.offset(), e.size(), e.generation(), e.isTransient());
            }
            if (!e.active() && free < 0) {
                free = i;
            }
        }
        if (free < 0) {
            throw new DspException(Message.ENOMEM, "the bridge directory is full ("
                    + BridgeDirectoryDescriptor.ENTRIES + " bridges)");
        }
        long offset;
        try {
            offset = allocator.allocate(size);
        } catch (OutOfPhysicalMemoryException e) {
            throw new DspException(Message.ENOMEM, e.getMessage());
        }
        // Memory is reused: a new bridge must not show a dead one's bytes.
        physmem.asSlice(offset, allocator.regionSize(offset)).fill((byte) 0);
        int flags = isTransient ? BridgeDirectoryDescriptor.FLAG_TRANSIENT : 0;
        Entry created = new Entry(free, BridgeDirectoryDescriptor.STATE_ACTIVE, owner, flags, offset, size,
                bit(requester), 0, name);
        BridgeDirectoryDescriptor.write(physmem, created);
        return new Opened(free, offset, size, 0, isTransient);
    }

    /** A contiguous region of {@code size} bytes for vnode memory; returns its offset. */
    public synchronized long allocateRegion(long size) {
        return allocator.allocate(size);
    }

    /** Frees a region from {@link #allocateRegion}. */
    public synchronized void freeRegion(long offset) {
        allocator.free(offset);
    }

    /** The size of the region at {@code offset}, in whole pages. */
    public synchronized long regionSize(long offset) {
        return allocator.regionSize(offset);
    }

    /** Vnode {@code requester} drops bridge {@code index}; frees it if it was the last user. */
    public synchronized void close(int requester, int index) {
        Entry e = entry(index);
        if (!e.active() || (e.users() & bit(requester)) == 0) {
            throw new DspException(Message.EINVAL, "vnode " + requester + " does not hold bridge #" + index);
        }
        long users = e.users() & ~bit(requester);
        if (users == 0) {
            release(e);
        } else {
            BridgeDirectoryDescriptor.write(physmem, withUsers(e, users));
        }
    }

    /**
     * A vnode died: drops it from every bridge's users, frees what it was the last user of and
     * every bridge local to it. Returns the names of the freed bridges.
     */
    public synchronized List<String> reclaim(int vnode) {
        List<String> freed = new ArrayList<>();
        for (int i = 0; i < BridgeDirectoryDescriptor.ENTRIES; i++) {
            Entry e = entry(i);
            if (!e.active()) {
                continue;
            }
            long users = e.users() & ~bit(vnode);
            if (e.owner() == vnode || users == 0) {
                release(e);
                freed.add(e.name());
            } else if (users != e.users()) {
                BridgeDirectoryDescriptor.write(physmem, withUsers(e, users));
            }
        }
        return freed;
    }

    /**
     * Compaction, step 1: finds the lowest transient bridge above {@code after} with a free
     * hole right below it, marks it frozen and returns its entry; null when there is none.
     */
    public synchronized Entry freezeNextMovable(long after) {
        Entry best = null;
        for (Entry e : entries()) {
            if (e.isTransient() && !e.frozen() && e.offset() > after && allocator.holeBelow(e.offset())
                    && (best == null || e.offset() < best.offset())) {
                best = e;
            }
        }
        if (best == null) {
            return null;
        }
        Entry frozen = best.with(best.flags() | BridgeDirectoryDescriptor.FLAG_FROZEN, best.offset(), best.users(),
                best.generation());
        BridgeDirectoryDescriptor.write(physmem, frozen);
        return frozen;
    }

    /**
     * Compaction, step 2, once every user is frozen: slides the bridge down into the hole below
     * it, moves its bytes, and unfreezes it at the new place. Null if the hole is gone.
     */
    public synchronized Relocation relocate(Entry frozen) {
        Entry e = entry(frozen.index());
        if (!isStill(frozen, e)) {
            return null; // freed meanwhile (its last user left), perhaps reused: nothing to move
        }
        long region = allocator.regionSize(e.offset());
        long to = allocator.slideDown(e.offset());
        int thawed = e.flags() & ~BridgeDirectoryDescriptor.FLAG_FROZEN;
        if (to < 0) {
            BridgeDirectoryDescriptor.write(physmem, e.with(thawed, e.offset(), e.users(), e.generation()));
            return null;
        }
        // Source and destination may overlap; MemorySegment.copy copies as if through a buffer.
        MemorySegment.copy(physmem, e.offset(), physmem, to, region);
        BridgeDirectoryDescriptor.write(physmem, e.with(thawed, to, e.users(), e.generation() + 1));
        return new Relocation(e.index(), e.name(), e.offset(), to, region);
    }

    /** Compaction given up for this bridge: unfreezes it where it is. */
    public synchronized void thaw(Entry frozen) {
        Entry e = entry(frozen.index());
        if (isStill(frozen, e)) {
            BridgeDirectoryDescriptor.write(physmem,
                    e.with(e.flags() & ~BridgeDirectoryDescriptor.FLAG_FROZEN, e.offset(), e.users(), e.generation()));
        }
    }

    /** Whether entry {@code now} is still the bridge that was frozen as {@code frozen}. */
    private static boolean isStill(Entry frozen, Entry now) {
        return now.active() && now.frozen() && now.offset() == frozen.offset() && now.owner() == frozen.owner()
                && now.name().equals(frozen.name());
    }

    /** The active entries, as the root sees them (repairing half-written ones). */
    public synchronized List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < BridgeDirectoryDescriptor.ENTRIES; i++) {
            Entry e = entry(i);
            if (e.active()) {
                entries.add(e);
            }
        }
        return entries;
    }

    /**
     * Entry {@code index}, read by its only writer under the table's lock: a half-written
     * entry (a write that never finished) is made readable as it is, once, with a log line.
     */
    private Entry entry(int index) {
        if (BridgeDirectoryDescriptor.repair(physmem, index)) {
            System.getLogger(BridgeTable.class.getName()).log(System.Logger.Level.WARNING,
                    "bridge directory entry " + index + " was left half-written; taken as it is now");
        }
        return BridgeDirectoryDescriptor.read(physmem, index);
    }

    /** The active entries of a directory, read by any vnode. */
    public static List<Entry> active(MemorySegment physmem) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < BridgeDirectoryDescriptor.ENTRIES; i++) {
            Entry e = BridgeDirectoryDescriptor.read(physmem, i);
            if (e.active()) {
                entries.add(e);
            }
        }
        return entries;
    }

    private void release(Entry e) {
        allocator.free(e.offset());
        BridgeDirectoryDescriptor.write(physmem, new Entry(e.index(), BridgeDirectoryDescriptor.STATE_FREE, 0, 0, 0, 0,
                0, e.generation() + 1, ""));
    }

    private static Entry withUsers(Entry e, long users) {
        return e.with(e.flags(), e.offset(), users, e.generation());
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new DspException(Message.EINVAL, "a bridge needs a name");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > BridgeDirectoryDescriptor.NAME_CAPACITY) {
            throw new DspException(Message.EINVAL, "bridge name '" + name + "' is " + bytes
                    + " bytes of UTF-8; at most " + BridgeDirectoryDescriptor.NAME_CAPACITY + " fit");
        }
    }

    private static long bit(int vnode) {
        return 1L << vnode;
    }
}
