package org.smpcluster.nanokernel.mem;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import org.smpcluster.api.nanokernel.MemoryRegion;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.PhysicalMemory;
import org.smpcluster.nanokernel.bridge.BridgeTable;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;

/**
 * Vnode memory regions. The root allocates them (through the allocator behind the bridge
 * table, so bridges and regions share one map of physical memory) and records each in the
 * vnode table; every vnode can read where its own is.
 */
public final class Regions implements PhysicalMemory {

    private final int vnode;
    private final MemorySegment physmem;
    private final BridgeTable table;

    public Regions(int vnode, MemorySegment physmem, BridgeTable table) {
        this.vnode = vnode;
        this.physmem = physmem;
        this.table = table;
    }

    @Override
    public synchronized MemoryRegion allocate(int owner, long size) {
        if (table == null) {
            throw new IllegalStateException("only the root vnode allocates physical memory; this is vnode " + vnode);
        }
        if (owner <= Nanokernel.ROOT || owner >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + owner + " is outside 1.." + (Nanokernel.MAX_VNODES - 1));
        }
        release(owner);
        long offset = table.allocateRegion(size);
        VnodeTableDescriptor.region(physmem, owner, offset, table.regionSize(offset));
        if (VnodeTableDescriptor.state(physmem, owner) != VnodeTableDescriptor.State.JOINED) {
            VnodeTableDescriptor.state(physmem, owner, VnodeTableDescriptor.State.BOOTING);
        }
        return region(owner);
    }

    @Override
    public MemoryRegion region(int owner) {
        long size = VnodeTableDescriptor.regionSize(physmem, owner);
        return size == 0 ? null : new Region(owner, VnodeTableDescriptor.regionOffset(physmem, owner), size);
    }

    /**
     * Root: frees vnode {@code owner}'s region, if it has one. A vnode still booting when its
     * region goes (its boot failed before it joined) is FAILED from then on: left BOOTING, the
     * table would show a boot in progress, with the pid of an older incarnation, forever.
     */
    public synchronized void release(int owner) {
        long size = VnodeTableDescriptor.regionSize(physmem, owner);
        if (size != 0 && table != null) {
            table.freeRegion(VnodeTableDescriptor.regionOffset(physmem, owner));
            VnodeTableDescriptor.region(physmem, owner, 0, 0);
            if (VnodeTableDescriptor.state(physmem, owner) == VnodeTableDescriptor.State.BOOTING) {
                VnodeTableDescriptor.state(physmem, owner, VnodeTableDescriptor.State.FAILED);
            }
        }
    }

    private final class Region implements MemoryRegion {
        private final int owner;
        private final long offset;
        private final long size;

        Region(int owner, long offset, long size) {
            this.owner = owner;
            this.offset = offset;
            this.size = size;
        }

        @Override
        public int vnode() {
            return owner;
        }

        @Override
        public long offset() {
            return offset;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public Mapping map() {
            MemorySegment segment = physmem.asSlice(offset, size);
            AtomicBoolean mapped = new AtomicBoolean(true);
            return new Mapping() {
                @Override
                public MemorySegment segment() {
                    if (!mapped.get()) {
                        throw new IllegalStateException("vnode " + owner + "'s region is unmapped");
                    }
                    return segment;
                }

                @Override
                public void close() {
                    mapped.set(false);
                }
            };
        }

        @Override
        public void free() {
            if (region(owner) != null && VnodeTableDescriptor.regionOffset(physmem, owner) == offset) {
                release(owner);
            }
        }
    }
}
