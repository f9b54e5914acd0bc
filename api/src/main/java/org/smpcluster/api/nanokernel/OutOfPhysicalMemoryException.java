package org.smpcluster.api.nanokernel;

/**
 * No free extent of physical memory is large enough for a request. The message names the size
 * asked, the largest free extent and the total free, and so do the accessors.
 */
public class OutOfPhysicalMemoryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final long requested;
    private final long largestFree;
    private final long totalFree;

    public OutOfPhysicalMemoryException(long requested, long largestFree, long totalFree) {
        super("out of physical memory: asked for " + requested + " bytes, largest free extent is "
                + largestFree + " bytes, " + totalFree + " bytes free in all");
        this.requested = requested;
        this.largestFree = largestFree;
        this.totalFree = totalFree;
    }

    public long requested() {
        return requested;
    }

    public long largestFree() {
        return largestFree;
    }

    public long totalFree() {
        return totalFree;
    }
}
