package org.smpcluster.api.nanokernel;

/**
 * One vnode as the vnode table records it.
 *
 * @param id the vnode's id
 * @param state {@code FREE}, {@code BOOTING}, {@code JOINED}, {@code FAILED} or {@code STOPPED}
 * @param pid its process, or 0
 * @param heartbeatAgeNanos how long ago it last beat (CLOCK_MONOTONIC); meaningless unless joined
 * @param joinedMillis when it joined, epoch millis, or 0
 * @param regionOffset its memory region's offset in physical memory, or 0
 * @param regionSize its memory region's size, or 0
 * @param incarnation how many times this id has joined
 */
public record VnodeState(int id, String state, long pid, long heartbeatAgeNanos, long joinedMillis,
        long regionOffset, long regionSize, int incarnation) {

    public static final String FREE = "FREE";
    public static final String BOOTING = "BOOTING";
    public static final String JOINED = "JOINED";
    public static final String FAILED = "FAILED";
    public static final String STOPPED = "STOPPED";
}
