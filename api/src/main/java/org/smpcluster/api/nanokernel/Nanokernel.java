package org.smpcluster.api.nanokernel;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The nanokernel beneath this vnode: which cluster and which vnode this is. Registered once per
 * vnode, before any other smpcluster service; everything that touches shared "hardware" (the
 * physical memory file, bridges, portals, devices) goes through the nanokernel's services.
 */
@ProviderType
public interface Nanokernel {

    /** The vnode id of the root vnode, which owns the physical memory and its allocator. */
    int ROOT = 0;

    /** The most vnodes one cluster can have (ids {@code 0 .. MAX_VNODES - 1}). */
    int MAX_VNODES = 16;

    /** The cluster's name, from which the physical memory file's name is derived. */
    String clusterName();

    /** This vnode's id; {@link #ROOT} on the root. */
    int vnodeId();

    /** Whether this vnode is the root. */
    default boolean isRoot() {
        return vnodeId() == ROOT;
    }

    /** The physical memory file shared by every vnode of the cluster, e.g. {@code /dev/shm/smpcluster-demo}. */
    String physmemPath();

    /** The size of the physical memory, in bytes. */
    long physmemSize();

    /** The vnode table: every vnode id's entry, in id order. */
    java.util.List<VnodeState> vnodes();

    /**
     * Whether this vnode's root is gone: its process ended, or its heartbeat is 3 s old (always
     * false on the root). Known within 50 ms of the root's end; calls to the root then fail at
     * once, and a driver that stops skips what would need the root (closing a bridge, saying
     * goodbye) instead of waiting for it.
     */
    boolean rootGone();

    /**
     * A kernel thread of this vnode, not started: a platform daemon thread named {@code name}
     * that runs {@code body}. A kernel thread is part of the vnode: when its body ends with an
     * exception or error (an {@link OutOfMemoryError}, say) while the vnode is not shutting
     * down, the vnode panics, so that a vnode never lives on with its interrupt, receive or
     * timer threads dead. Drivers start their long-running threads here.
     */
    Thread kernelThread(String name, Runnable body);

    /**
     * Ends this vnode's process at once, with one log line naming {@code reason} (and
     * {@code cause}, which may be null): the paper's fault containment takes it from there (the
     * root reclaims what it held and restarts it as its policy allows). For a state a driver
     * cannot recover from; never returns.
     */
    void panic(String reason, Throwable cause);
}
