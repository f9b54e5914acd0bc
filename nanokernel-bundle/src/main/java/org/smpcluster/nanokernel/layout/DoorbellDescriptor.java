package org.smpcluster.nanokernel.layout;

import java.lang.foreign.MemorySegment;

import org.smpcluster.api.nanokernel.Portals;

/**
 * A vnode's doorbell: where portals ring it. 1 KiB per vnode. Raisers add a hit to the
 * vector's pending count, set the vector's bit in the summary, then bump the futex word and,
 * if the vnode's interrupt thread said it is waiting, wake it. The interrupt thread takes the
 * summary, then each flagged vector's count (atomic get-and-set to 0), so every hit is taken
 * exactly once, whatever the interleaving.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             Futex word: ring count (wraps)                    |    0
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 64)                          |    4
 *  +---------------------------------------------------------------+
 *  |      Waiting: 1 while the interrupt thread may futex-wait     |   64
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 128)                         |   68
 *  +---------------------------------------------------------------+
 *  |        Summary, bit n = vector n has pending hits (8 bytes)   |  128
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 192)                         |  136
 *  +---------------------------------------------------------------+
 *  |        Pending hits, vector 0 (8 bytes)                       |  192
 *  |        ...                                                    |
 *  |        Pending hits, vector 63 (8 bytes)                      |  696
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 1024)                        |  704
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class DoorbellDescriptor {

    public static final int LENGTH = 1024;
    public static final int WORD_OFFSET = 0;
    public static final int WAITING_OFFSET = 64;
    public static final int SUMMARY_OFFSET = 128;
    public static final int PENDING_OFFSET = 192;

    static {
        if (PENDING_OFFSET + 8 * Portals.VECTORS > LENGTH) {
            throw new AssertionError("doorbell overflows");
        }
    }

    private DoorbellDescriptor() {
    }

    public static long pending(int vector) {
        return PENDING_OFFSET + 8L * vector;
    }
}
