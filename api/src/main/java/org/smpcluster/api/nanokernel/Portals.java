package org.smpcluster.api.nanokernel;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Inter-vnode interrupts (the paper's portals). Raising a vector on a vnode adds one hit to
 * that vector's pending count in the vnode's doorbell and wakes its interrupt thread; hits are
 * counted, not coalesced, so none is lost, and each is delivered once, through the target's
 * {@link InterruptPipeline}.
 */
@ProviderType
public interface Portals {

    /** Vectors are {@code 0 .. VECTORS - 1}. */
    int VECTORS = 64;

    /** The nanokernel's own protocol with the root (DSP). */
    int VECTOR_DSP = 0;

    /** The per-vnode timer interrupt. */
    int VECTOR_TIMER = 1;

    /** Device hotplug notifications. */
    int VECTOR_HOTPLUG = 2;

    /** Transient bridge relocation: freeze, then thaw at the new place. */
    int VECTOR_RELOCATE = 3;

    /** Raised on the root when a vnode joins, leaves or dies (its table entry changed). */
    int VECTOR_VNODE = 4;

    /** The first vector free for drivers; lower ones are the nanokernel's. */
    int FIRST_DRIVER_VECTOR = 16;

    /** Devices' vectors: device table entry n raises vector {@code FIRST_DEVICE_VECTOR + n}. */
    int FIRST_DEVICE_VECTOR = 32;

    /**
     * Raises {@code vector} on {@code vnode} (which may be this vnode).
     *
     * @throws IllegalArgumentException for a vnode or vector out of range
     */
    void raise(int vnode, int vector);
}
