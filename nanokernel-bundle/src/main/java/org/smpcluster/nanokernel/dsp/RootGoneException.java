package org.smpcluster.nanokernel.dsp;

/**
 * A DSP call was not made, or its answer not awaited, because this vnode's root is gone (its
 * process exited, or its heartbeat stopped): nobody will ever answer. Callers that only tell
 * the root something (a bridge closed, a vnode leaving) skip it; others fail with this.
 */
public final class RootGoneException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public RootGoneException(String message) {
        super(message);
    }
}
