package org.smpcluster.nanokernel.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * Typed, ordered access to shared memory: the only place that names the VarHandles. Plain
 * reads and writes are for fields only their writer touches; everything another process reads
 * concurrently goes through acquire/release or volatile access, and read-modify-writes are
 * atomic. Offsets must be naturally aligned (the descriptors guarantee it).
 */
public final class Shm {

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private Shm() {
    }

    public static long getLongVolatile(MemorySegment s, long offset) {
        return (long) LONG.getVolatile(s, offset);
    }

    public static long getLongAcquire(MemorySegment s, long offset) {
        return (long) LONG.getAcquire(s, offset);
    }

    public static void setLongVolatile(MemorySegment s, long offset, long value) {
        LONG.setVolatile(s, offset, value);
    }

    public static void setLongRelease(MemorySegment s, long offset, long value) {
        LONG.setRelease(s, offset, value);
    }

    public static long getAndAddLong(MemorySegment s, long offset, long delta) {
        return (long) LONG.getAndAdd(s, offset, delta);
    }

    public static long getAndSetLong(MemorySegment s, long offset, long value) {
        return (long) LONG.getAndSet(s, offset, value);
    }

    public static boolean casLong(MemorySegment s, long offset, long expected, long value) {
        return LONG.compareAndSet(s, offset, expected, value);
    }

    public static long getAndBitwiseOrLong(MemorySegment s, long offset, long mask) {
        return (long) LONG.getAndBitwiseOr(s, offset, mask);
    }

    public static long getAndBitwiseAndLong(MemorySegment s, long offset, long mask) {
        return (long) LONG.getAndBitwiseAnd(s, offset, mask);
    }

    public static int getIntVolatile(MemorySegment s, long offset) {
        return (int) INT.getVolatile(s, offset);
    }

    public static int getIntAcquire(MemorySegment s, long offset) {
        return (int) INT.getAcquire(s, offset);
    }

    public static void setIntVolatile(MemorySegment s, long offset, int value) {
        INT.setVolatile(s, offset, value);
    }

    public static void setIntRelease(MemorySegment s, long offset, int value) {
        INT.setRelease(s, offset, value);
    }

    public static int getAndAddInt(MemorySegment s, long offset, int delta) {
        return (int) INT.getAndAdd(s, offset, delta);
    }

    public static boolean casInt(MemorySegment s, long offset, int expected, int value) {
        return INT.compareAndSet(s, offset, expected, value);
    }

    /** Writes {@code value} as UTF-8, NUL-padded to {@code capacity} bytes. */
    public static void putString(MemorySegment s, long offset, int capacity, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > capacity) {
            throw new IllegalArgumentException("'" + value + "' is " + bytes.length + " bytes of UTF-8; at most "
                    + capacity + " fit");
        }
        MemorySegment field = s.asSlice(offset, capacity);
        field.fill((byte) 0);
        MemorySegment.copy(bytes, 0, field, ValueLayout.JAVA_BYTE, 0, bytes.length);
    }

    /** Reads a NUL-padded UTF-8 string of at most {@code capacity} bytes. */
    public static String getString(MemorySegment s, long offset, int capacity) {
        byte[] bytes = s.asSlice(offset, capacity).toArray(ValueLayout.JAVA_BYTE);
        int length = 0;
        while (length < capacity && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** How long {@link #seqRead} waits for a writer to finish before it gives up. */
    public static final long SEQ_PATIENCE_NANOS = 500_000_000L;
    private static final int SEQ_SPINS = 100;

    /**
     * Reads a record guarded by the sequence lock at {@code seqOffset}: retries while the
     * writer holds it (odd) or it moved during the read. A write takes microseconds, but a
     * writer may die halfway (or the word be garbage) and leave it odd for good: the reader
     * spins briefly, then parks between looks, and after {@code patienceNanos} returns null,
     * which the caller turns into an error or a repair. Never busy for long, never forever.
     */
    public static <T> T seqRead(MemorySegment s, long seqOffset, long patienceNanos,
            java.util.function.Supplier<T> read) {
        long start = 0;
        for (int look = 0; ; look++) {
            int before = getIntAcquire(s, seqOffset);
            if ((before & 1) == 0) {
                T copy = read.get();
                // The copy's plain reads must not drift past the second read of the sequence.
                VarHandle.acquireFence();
                if (getIntAcquire(s, seqOffset) == before) {
                    return copy;
                }
            }
            if (look < SEQ_SPINS) {
                Thread.onSpinWait();
                continue;
            }
            long now = System.nanoTime();
            if (start == 0) {
                start = now;
            } else if (now - start > patienceNanos) {
                return null;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    /** The sequence word at {@code seqOffset}, for error messages. */
    public static int seq(MemorySegment s, long seqOffset) {
        return getIntAcquire(s, seqOffset);
    }

    /**
     * The single writer, holding whatever serializes its writes, reads its own record: nobody
     * can be writing it, so an odd sequence is a write that never finished (a writer that died
     * halfway, or garbage). It is made even again, so that the record reads as it is now and
     * readers elsewhere stop waiting; returns whether it had to.
     */
    public static boolean seqRepair(MemorySegment s, long seqOffset) {
        int seq = getIntAcquire(s, seqOffset);
        if ((seq & 1) == 0) {
            return false;
        }
        setIntRelease(s, seqOffset, seq + 1);
        return true;
    }

    /**
     * Writes a record guarded by the sequence lock at {@code seqOffset}. Single writer only. An
     * odd sequence found (a write that never finished) is taken as the next even one.
     */
    public static void seqWrite(MemorySegment s, long seqOffset, Runnable write) {
        int seq = (getIntVolatile(s, seqOffset) + 1) & ~1;
        setIntVolatile(s, seqOffset, seq + 1);
        // The record's plain stores must not drift ahead of the odd sequence.
        VarHandle.storeStoreFence();
        write.run();
        setIntRelease(s, seqOffset, seq + 2);
    }

    /** Throws unless {@code value} is a multiple of {@code alignment}. */
    public static void checkAligned(String name, long value, long alignment) {
        if (value % alignment != 0) {
            throw new IllegalArgumentException(name + "=" + value + " is not a multiple of " + alignment);
        }
    }
}
