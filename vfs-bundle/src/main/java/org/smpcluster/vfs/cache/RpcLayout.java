package org.smpcluster.vfs.cache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The filesystem's request rings: the global bridge {@value #BRIDGE}, one area per vnode of
 * {@value #SLOTS} request slots and a drain mailbox. A client thread takes a free slot of its
 * vnode, writes the request, publishes it, and raises the server's vector on the root; the
 * server answers in the same slot and raises the client's vector. One software layer: memory
 * and portals, no protocol stack.
 *
 * <pre>
 * per vnode v, at v * AREA:
 * +---------------------------------------------------------------+
 * | slot 0 .. SLOTS-1, SLOT bytes each:                           |
 * |   0 state word: seq &lt;&lt; 8 | FREE/REQUEST/SERVING/ANSWER       |
 * |   8 op | 12 status (0 or an errno) | 16 request length | 20 answer length
 * |  24 when the server took it | 32 when it answered (CLOCK_MONOTONIC ns, for latency figures)
 * |  64 request body (up to REQUEST_MAX)                          |
 * |  4096 answer body (up to ANSWER_MAX)                          |
 * +---------------------------------------------------------------+
 * | mailbox: 0 drain sequence (server) | 64 drain ack (client)    |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>A slot's state word is the only word both sides write, each by compare-and-set against
 * the sequence it expects, so an answer to a request of a vnode's previous life cannot land in
 * a slot its new life reused.
 */
public final class RpcLayout {

    public static final String BRIDGE = "vfs.rpc";
    public static final int VNODES = 16;
    public static final int SLOTS = 8;
    public static final int SLOT = 8192;
    public static final int REQUEST_MAX = 4096 - 64;
    public static final int ANSWER_MAX = 4096;

    public static final int FREE = 0;
    public static final int REQUEST = 1;
    public static final int SERVING = 2;
    public static final int ANSWER = 3;

    static final long S_STATE = 0;
    static final long S_OP = 8;
    static final long S_STATUS = 12;
    static final long S_REQ_LEN = 16;
    static final long S_ANS_LEN = 20;
    static final long S_PICKED = 24;
    static final long S_ANSWERED = 32;
    static final long S_REQUEST = 64;
    static final long S_ANSWER = 4096;

    static final long MAILBOX = (long) SLOTS * SLOT;
    static final long M_DRAIN = 0;
    static final long M_ACK = 64;
    public static final long AREA = MAILBOX + 4096;
    public static final long SIZE = AREA * VNODES;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment s;

    public RpcLayout(MemorySegment s) {
        if (s.byteSize() < SIZE) {
            throw new IllegalArgumentException("rpc bridge too small: size=" + s.byteSize() + " needs=" + SIZE);
        }
        this.s = s;
    }

    private static long slot(int vnode, int slot) {
        if (vnode < 0 || vnode >= VNODES || slot < 0 || slot >= SLOTS) {
            throw new IndexOutOfBoundsException("vnode=" + vnode + " slot=" + slot);
        }
        return vnode * AREA + (long) slot * SLOT;
    }

    public static long word(long seq, int state) {
        return seq << 8 | state;
    }

    public static int state(long word) {
        return (int) (word & 0xFF);
    }

    public static long seq(long word) {
        return word >>> 8;
    }

    public long stateWord(int vnode, int slot) {
        return (long) LONG.getAcquire(s, slot(vnode, slot) + S_STATE);
    }

    public boolean casState(int vnode, int slot, long expect, long update) {
        return LONG.compareAndSet(s, slot(vnode, slot) + S_STATE, expect, update);
    }

    public void resetState(int vnode, int slot, long word) {
        LONG.setRelease(s, slot(vnode, slot) + S_STATE, word);
    }

    public int op(int vnode, int slot) {
        return (int) INT.get(s, slot(vnode, slot) + S_OP);
    }

    public void op(int vnode, int slot, int op) {
        INT.set(s, slot(vnode, slot) + S_OP, op);
    }

    public int status(int vnode, int slot) {
        return (int) INT.get(s, slot(vnode, slot) + S_STATUS);
    }

    public void status(int vnode, int slot, int status) {
        INT.set(s, slot(vnode, slot) + S_STATUS, status);
    }

    /** The request body for writing ({@code REQUEST_MAX} bytes, little-endian). */
    public ByteBuffer requestBuffer(int vnode, int slot) {
        return s.asSlice(slot(vnode, slot) + S_REQUEST, REQUEST_MAX).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public void requestLength(int vnode, int slot, int length) {
        INT.set(s, slot(vnode, slot) + S_REQ_LEN, length);
    }

    /** The request as written, checked against the slot's size. */
    public ByteBuffer request(int vnode, int slot) {
        int n = (int) INT.get(s, slot(vnode, slot) + S_REQ_LEN);
        if (n < 0 || n > REQUEST_MAX) {
            throw new IllegalArgumentException("request length=" + n + " max=" + REQUEST_MAX);
        }
        return s.asSlice(slot(vnode, slot) + S_REQUEST, n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public ByteBuffer answerBuffer(int vnode, int slot) {
        return s.asSlice(slot(vnode, slot) + S_ANSWER, ANSWER_MAX).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public void answerLength(int vnode, int slot, int length) {
        INT.set(s, slot(vnode, slot) + S_ANS_LEN, length);
    }

    public ByteBuffer answer(int vnode, int slot) {
        int n = (int) INT.get(s, slot(vnode, slot) + S_ANS_LEN);
        if (n < 0 || n > ANSWER_MAX) {
            throw new IllegalArgumentException("answer length=" + n + " max=" + ANSWER_MAX);
        }
        return s.asSlice(slot(vnode, slot) + S_ANSWER, n).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Server: stamps when it took the request and when it answered (System.nanoTime is CLOCK_MONOTONIC, one clock for every process). */
    public void stamp(int vnode, int slot, long picked, long answered) {
        LONG.set(s, slot(vnode, slot) + S_PICKED, picked);
        LONG.set(s, slot(vnode, slot) + S_ANSWERED, answered);
    }

    public long picked(int vnode, int slot) {
        return (long) LONG.get(s, slot(vnode, slot) + S_PICKED);
    }

    public long answered(int vnode, int slot) {
        return (long) LONG.get(s, slot(vnode, slot) + S_ANSWERED);
    }

    public long drainSeq(int vnode) {
        return (long) LONG.getAcquire(s, vnode * AREA + MAILBOX + M_DRAIN);
    }

    public void drainSeq(int vnode, long seq) {
        LONG.setRelease(s, vnode * AREA + MAILBOX + M_DRAIN, seq);
    }

    public long drainAck(int vnode) {
        return (long) LONG.getAcquire(s, vnode * AREA + MAILBOX + M_ACK);
    }

    public void drainAck(int vnode, long seq) {
        LONG.setRelease(s, vnode * AREA + MAILBOX + M_ACK, seq);
    }
}
