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

    /**
     * Rings the doorbell at {@code bell}: one hit for {@code vector}, its summary bit, then the
     * word. Returns whether the interrupt thread may be asleep (the caller then futex-wakes it).
     */
    public static boolean ring(MemorySegment physmem, long bell, int vector) {
        // The hit first, then the summary bit, then the word: whoever sees the word move finds both.
        Shm.getAndAddLong(physmem, bell + pending(vector), 1);
        Shm.getAndBitwiseOrLong(physmem, bell + SUMMARY_OFFSET, 1L << vector);
        Shm.getAndAddInt(physmem, bell + WORD_OFFSET, 1);
        // Dekker with the waiter: it sets 'waiting' then re-reads the word; we bumped the word,
        // then read 'waiting'. Both are full fences, so one of us sees the other.
        return Shm.getIntVolatile(physmem, bell + WAITING_OFFSET) != 0;
    }

    /** The word, which moves on every ring. */
    public static int word(MemorySegment physmem, long bell) {
        return Shm.getIntAcquire(physmem, bell + WORD_OFFSET);
    }

    /** Moves the word without a hit: wakes the interrupt thread to look at something else. */
    public static void nudge(MemorySegment physmem, long bell) {
        Shm.getAndAddInt(physmem, bell + WORD_OFFSET, 1);
    }

    /** The interrupt thread says it may futex-wait (true) or is awake (false). */
    public static void waiting(MemorySegment physmem, long bell, boolean waiting) {
        Shm.setIntVolatile(physmem, bell + WAITING_OFFSET, waiting ? 1 : 0);
    }

    public static boolean waiting(MemorySegment physmem, long bell) {
        return Shm.getIntVolatile(physmem, bell + WAITING_OFFSET) != 0;
    }

    /** Takes the summary: the vectors that had hits since the last take. */
    public static long takeSummary(MemorySegment physmem, long bell) {
        return Shm.getAndSetLong(physmem, bell + SUMMARY_OFFSET, 0);
    }

    /** Takes {@code vector}'s pending hits, each exactly once. */
    public static long takeHits(MemorySegment physmem, long bell, int vector) {
        return Shm.getAndSetLong(physmem, bell + pending(vector), 0);
    }
}
