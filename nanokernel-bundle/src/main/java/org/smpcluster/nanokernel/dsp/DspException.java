package org.smpcluster.nanokernel.dsp;

/** The root refused a DSP request; {@link #status()} says why (errno-style). */
public final class DspException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public DspException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
