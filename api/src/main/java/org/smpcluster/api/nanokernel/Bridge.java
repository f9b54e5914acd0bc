package org.smpcluster.api.nanokernel;

import java.lang.foreign.MemorySegment;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A named region of physical memory shared between vnodes (the paper's bridge). A handle is
 * one user's reference: {@link #close()} drops it, and the bridge is freed when its last user
 * closes it or, for a local bridge, when its vnode dies.
 */
@ProviderType
public interface Bridge extends AutoCloseable {

    /** {@link #owner()} of a global bridge. */
    int GLOBAL = -1;

    /** The bridge's name, unique within its scope. */
    String name();

    /** The vnode a local bridge belongs to, or {@link #GLOBAL}. */
    int owner();

    /** The bridge's size in bytes, as asked when it was created. */
    long size();

    /**
     * The bridge's memory: exactly {@link #size()} bytes, bounds-checked, so that a stray access
     * fails with an exception instead of reaching another region. Shared between processes:
     * use {@code VarHandle}s with acquire/release or volatile access for anything another vnode
     * reads concurrently.
     *
     * @throws IllegalStateException if the handle is closed
     */
    MemorySegment segment();

    /** Whether the root may relocate this bridge to defragment memory (see {@link #access()}). */
    boolean isTransient();

    /**
     * Opens an access to the bridge's memory. While any access to a transient bridge is open on
     * this vnode, the bridge stays where it is: relocation freezes the bridge's users by waiting
     * for their open accesses to close and holding new ones until the bytes have moved. Hold an
     * access for a burst of work, not forever. For a bridge that is not transient this is
     * {@link #segment()} in a wrapper.
     */
    Access access();

    /** An open access; {@link #segment()} is valid until it is closed. */
    interface Access extends AutoCloseable {
        MemorySegment segment();

        @Override
        void close();
    }

    /** Drops this reference. Idempotent. The segment must not be used afterwards. */
    @Override
    void close();
}
