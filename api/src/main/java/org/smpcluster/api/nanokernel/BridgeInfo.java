package org.smpcluster.api.nanokernel;

import java.util.Set;

/**
 * One bridge as the directory records it.
 *
 * @param name the bridge's name
 * @param owner the vnode a local bridge belongs to, or {@link Bridge#GLOBAL}
 * @param offset where the bridge starts in physical memory
 * @param size the bridge's size in bytes
 * @param users the vnodes that hold it open
 * @param isTransient whether the root may relocate it
 */
public record BridgeInfo(String name, int owner, long offset, long size, Set<Integer> users, boolean isTransient) {

    public BridgeInfo {
        users = Set.copyOf(users);
    }

    /** "global" or "vnode N", for listings. */
    public String scope() {
        return owner == Bridge.GLOBAL ? "global" : "vnode " + owner;
    }
}
