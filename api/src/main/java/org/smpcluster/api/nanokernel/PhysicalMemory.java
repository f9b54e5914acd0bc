package org.smpcluster.api.nanokernel;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The root's allocator of vnode memory: the bootloader's first step asks it for a physically
 * contiguous region, which the vnode table records as the vnode's memory and which is freed
 * when the vnode dies or is stopped.
 */
@ProviderType
public interface PhysicalMemory {

    /**
     * Root: allocates a contiguous, page-aligned region of {@code size} bytes as vnode
     * {@code vnode}'s memory, replacing any region it had.
     *
     * @throws OutOfPhysicalMemoryException when no free extent is large enough
     * @throws IllegalStateException on a vnode other than the root
     */
    MemoryRegion allocate(int vnode, long size);

    /** The region vnode {@code vnode} has, or null. */
    MemoryRegion region(int vnode);
}
