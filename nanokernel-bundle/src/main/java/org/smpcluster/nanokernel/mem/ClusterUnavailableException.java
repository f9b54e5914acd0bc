package org.smpcluster.nanokernel.mem;

/**
 * The cluster's physical memory cannot be had: its name is taken by a running root or by
 * another user, or a link or a stranger's file sits where the file goes. The message is one
 * line, for the person starting the vnode, that says what is wrong and what to do.
 */
public final class ClusterUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public ClusterUnavailableException(String message) {
        super(message);
    }
}
