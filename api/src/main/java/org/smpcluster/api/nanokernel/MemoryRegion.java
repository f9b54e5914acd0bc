package org.smpcluster.api.nanokernel;

import java.lang.foreign.MemorySegment;

import org.osgi.annotation.versioning.ProviderType;

/** A vnode's memory region in physical memory. */
@ProviderType
public interface MemoryRegion {

    /** The vnode it belongs to. */
    int vnode();

    /** Where it starts in physical memory. */
    long offset();

    /** Its size in bytes (whole pages). */
    long size();

    /**
     * Maps the region into this vnode: a bounds-checked segment of exactly the region. The
     * caller unmaps by closing the mapping.
     */
    Mapping map();

    /** Frees the region (root only); its vnode table entry no longer names it. */
    void free();

    /** A mapping of the region; closing it unmaps it. */
    interface Mapping extends AutoCloseable {
        MemorySegment segment();

        @Override
        void close();
    }
}
