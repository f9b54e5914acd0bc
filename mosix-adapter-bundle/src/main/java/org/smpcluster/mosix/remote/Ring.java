package org.smpcluster.mosix.remote;

import static org.smpcluster.mosix.layout.ChannelDescriptor.HEAD_OFFSET;
import static org.smpcluster.mosix.layout.ChannelDescriptor.PAD;
import static org.smpcluster.mosix.layout.ChannelDescriptor.POLLING_OFFSET;
import static org.smpcluster.mosix.layout.ChannelDescriptor.RECORD_ALIGNMENT;
import static org.smpcluster.mosix.layout.ChannelDescriptor.RECORD_HEADER;
import static org.smpcluster.mosix.layout.ChannelDescriptor.RING_HEADER;
import static org.smpcluster.mosix.layout.ChannelDescriptor.TAIL_OFFSET;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One ring of a deputy channel (see {@link org.smpcluster.mosix.layout.ChannelDescriptor}):
 * records are written whole, then published by moving the tail with release; the consumer
 * reads up to the tail (acquire) and frees by moving the head with release. One producer vnode
 * and one consumer vnode; threads of the producer vnode take turns through {@link #offer}'s
 * lock (a lock of this JVM, never held by another vnode).
 */
public final class Ring {

    /** What a consumer does with one record. */
    public interface Handler {
        void on(int type, long pid, MemorySegment payload);
    }

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment ring;
    private final MemorySegment data;
    private final int capacity;

    public Ring(MemorySegment ring, int capacity) {
        this.ring = ring;
        this.capacity = capacity;
        this.data = ring.asSlice(RING_HEADER, capacity);
    }

    /** The largest payload one record carries. */
    public int maxPayload() {
        return capacity / 4 - RECORD_HEADER;
    }

    /**
     * Producer: appends one record, waiting while the ring is full (back-pressure on the
     * writer, as a full pipe is) until {@code alive} says the other side is gone.
     *
     * @return false when the other side went away before there was room
     * @throws IllegalArgumentException for a payload over {@link #maxPayload()}
     */
    public synchronized boolean offer(int type, long pid, byte[] payload, int off, int len, BooleanSupplier alive) {
        if (len > maxPayload()) {
            throw new IllegalArgumentException("payload=" + len + " bytes is over the ring's maxPayload=" + maxPayload());
        }
        int need = align(RECORD_HEADER + len);
        long tail = (long) LONG.getVolatile(ring, (long) TAIL_OFFSET);
        int pos = (int) (tail & (capacity - 1));
        int toEnd = capacity - pos;
        long total = need + (toEnd < need ? toEnd : 0);
        long idle = 0;
        while (tail + total - (long) LONG.getAcquire(ring, (long) HEAD_OFFSET) > capacity) {
            if (!alive.getAsBoolean()) {
                return false;
            }
            // Full: the consumer frees room at its pace; spin a little, then back off to 1 ms.
            if (idle++ < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(1), idle * 1000));
            }
        }
        if (toEnd < need) {
            data.set(ValueLayout.JAVA_INT, pos, toEnd);
            data.set(ValueLayout.JAVA_INT, pos + 4, PAD);
            tail += toEnd;
            pos = 0;
        }
        data.set(ValueLayout.JAVA_INT, pos, RECORD_HEADER + len);
        data.set(ValueLayout.JAVA_INT, pos + 4, type);
        data.set(ValueLayout.JAVA_LONG_UNALIGNED, pos + 8, pid);
        MemorySegment.copy(payload, off, data, ValueLayout.JAVA_BYTE, pos + RECORD_HEADER, len);
        LONG.setRelease(ring, (long) TAIL_OFFSET, tail + need);
        return true;
    }

    /** Consumer: hands every published record to {@code handler}, in order; returns how many. */
    public int poll(Handler handler) {
        long head = (long) LONG.getVolatile(ring, (long) HEAD_OFFSET);
        long tail = (long) LONG.getAcquire(ring, (long) TAIL_OFFSET);
        int n = 0;
        while (head < tail) {
            int pos = (int) (head & (capacity - 1));
            int length = data.get(ValueLayout.JAVA_INT, pos);
            if (length < RECORD_HEADER || length > capacity - pos) {
                throw new IllegalStateException("deputy ring corrupt: record length=" + length + " at head=" + head
                        + " (capacity=" + capacity + ")");
            }
            int type = data.get(ValueLayout.JAVA_INT, pos + 4);
            if (type != PAD) {
                long pid = data.get(ValueLayout.JAVA_LONG_UNALIGNED, pos + 8);
                handler.on(type, pid, data.asSlice(pos + RECORD_HEADER, length - RECORD_HEADER));
                n++;
            }
            head += align(length);
            LONG.setRelease(ring, (long) HEAD_OFFSET, head);
        }
        return n;
    }

    /**
     * Consumer: says whether it busy-polls this ring (a producer then need not ring it). Clearing
     * is a volatile write, and the consumer polls once more after it: a record published before
     * the clear is seen by that poll, one published after it sees the clear and rings.
     */
    public void polling(boolean on) {
        INT.setVolatile(ring, (long) POLLING_OFFSET, on ? 1 : 0);
    }

    /** Producer, after {@link #offer}: whether the consumer busy-polls, so that ringing it is not needed. */
    public boolean consumerPolling() {
        VarHandle.fullFence(); // the tail's release store before this load (Dekker with polling(false))
        return (int) INT.getVolatile(ring, (long) POLLING_OFFSET) != 0;
    }

    private static int align(int n) {
        return (n + RECORD_ALIGNMENT - 1) & -RECORD_ALIGNMENT;
    }
}
