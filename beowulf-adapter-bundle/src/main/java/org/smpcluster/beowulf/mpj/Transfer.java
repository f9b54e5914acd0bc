package org.smpcluster.beowulf.mpj;

/** One send or receive in progress on a device. */
public interface Transfer {

    /** Whether it has completed (or was cancelled). */
    boolean isDone();

    /** Waits for completion; throws {@link org.smpcluster.beowulf.mpj.hub.JobAbortedException} if the job ends first. */
    void await();

    /** Tries to cancel it before it matched; true if it was cancelled. */
    boolean cancel();

    /** Whether it was cancelled. */
    boolean cancelled();

    /** The matched message's envelope (receives), once done; null for sends. */
    Envelope envelope();

    /** What consuming the payload threw (truncation, type mismatch), once done, or null. */
    RuntimeException failure();
}
