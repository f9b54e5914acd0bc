package org.smpcluster.api.vfs;

/**
 * The shared page cache.
 *
 * @param pageSize bytes per page
 * @param frames page frames in the cache
 * @param free frames holding no page
 * @param dirty frames whose page is newer than the storage device
 * @param readTokens frames some vnode may read (one count per frame)
 * @param writeTokens frames one vnode may write
 * @param hits this vnode's page accesses served from tokens it held
 * @param misses this vnode's page accesses that asked the root
 * @param evictions pages dropped from the cache to make room
 * @param revocations tokens the root took back from vnodes
 * @param writebacks pages written to the storage device
 */
public record PageCacheStats(int pageSize, int frames, int free, int dirty, int readTokens, int writeTokens,
        long hits, long misses, long evictions, long revocations, long writebacks) {
}
