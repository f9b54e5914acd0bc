package org.smpcluster.beowulf.mpj.hub;

/**
 * Thrown in every rank of a job once one of them has aborted it ({@code Comm.Abort}) or its launcher
 * has ended it. It is unchecked and lives in the hub so that every rank loader sees one class.
 */
public final class JobAbortedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int rank;
    private final int code;

    public JobAbortedException(String job, int rank, int code, String why) {
        super("job " + job + " aborted by rank " + rank + " with code " + code + ": " + why);
        this.rank = rank;
        this.code = code;
    }

    /** The rank that aborted the job, or -1 for its launcher. */
    public int rank() {
        return rank;
    }

    /** The error code given to {@code Abort}. */
    public int code() {
        return code;
    }
}
