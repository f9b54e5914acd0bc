package org.smpcluster.api.nanokernel;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Creates and attaches bridges. {@code open} is create-or-attach: the first user of a name
 * creates the bridge with the given size, later users attach to it (and must ask for the same
 * size or less). Allocation is done by the root's nanokernel, in whole pages of physical memory.
 */
@ProviderType
public interface BridgeManager {

    /**
     * Opens the global bridge {@code name}, creating it with {@code size} bytes if it does not
     * exist.
     *
     * @throws IllegalArgumentException for an empty or over-long name, a size below 1, or a size
     *         larger than the existing bridge's
     * @throws OutOfPhysicalMemoryException when no free extent is large enough
     */
    Bridge open(String name, long size);

    /**
     * Opens the bridge {@code name} local to {@code vnode}. Only that vnode and the root may.
     *
     * @throws BridgeAccessException when this vnode is neither {@code vnode} nor the root
     */
    Bridge open(int vnode, String name, long size);

    /**
     * Attaches, read-only, to the existing bridge {@code name} local to {@code vnode}, from any
     * vnode: how one vnode reads what another publishes in its own local bridges (the process
     * table {@code proc} of each vnode, for the cluster-wide view). It never creates: empty when
     * {@code vnode} has no such bridge now. A peek does not keep the bridge alive: when its vnode
     * dies or closes it, the bridge is freed, and {@link Bridge#segment()} of the peek then throws
     * {@link IllegalStateException}; what the segment showed until then may be half-reused
     * memory, so a reader checks the contents' own version and identity fields. The segment is read-only:
     * a write through it throws {@code IllegalArgumentException}.
     *
     * @throws IllegalArgumentException for a vnode outside {@code 0..MAX_VNODES-1}
     */
    Optional<Bridge> peek(int vnode, String name);

    /**
     * Opens the global transient bridge {@code name}: like {@link #open(String, long)}, but the
     * root may move it to defragment physical memory. {@code listener} runs on this vnode after
     * each move, once the bridge is usable again at its new place.
     */
    Bridge openTransient(String name, long size, RelocationListener listener);

    /**
     * Root: defragments physical memory by sliding transient bridges down over the free holes
     * below them, so that free memory coalesces. Each bridge's users are frozen while its bytes
     * move. Returns how many bytes were moved.
     *
     * @throws IllegalStateException on a vnode other than the root, or when a user vnode does
     *         not freeze in time (that bridge stays where it was)
     */
    long compact();

    /** Every bridge of the cluster, as the bridge directory holds it now. */
    List<BridgeInfo> bridges();
}
