package org.smpcluster.api.nanokernel;

/** A vnode asked for a bridge it may not open: another vnode's local bridge. */
public class BridgeAccessException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BridgeAccessException(String message) {
        super(message);
    }
}
