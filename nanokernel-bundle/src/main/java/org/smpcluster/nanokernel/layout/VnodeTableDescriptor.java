package org.smpcluster.nanokernel.layout;

import java.lang.foreign.MemorySegment;

import org.smpcluster.api.nanokernel.Nanokernel;

/**
 * The vnode table: one 256-byte entry per vnode id. The root writes every field but the
 * heartbeat, which only the vnode itself writes, two cache lines away.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          State                                |  0
 *  +---------------------------------------------------------------+
 *  |                       Incarnation                             |  4
 *  +---------------------------------------------------------------+
 *  |                       PID (8 bytes)                           |  8
 *  +---------------------------------------------------------------+
 *  |                 Memory Region Offset (8 bytes)                | 16
 *  +---------------------------------------------------------------+
 *  |                 Memory Region Size (8 bytes)                  | 24
 *  +---------------------------------------------------------------+
 *  |                CPU mask, bit n = CPU n (8 bytes)              | 32
 *  +---------------------------------------------------------------+
 *  |                Joined, epoch millis (8 bytes)                 | 40
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 128)                         | 48
 *  +---------------------------------------------------------------+
 *  |     Heartbeat, CLOCK_MONOTONIC nanos, by the vnode (8 bytes)  | 128
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 256)                         | 136
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class VnodeTableDescriptor {

    public static final int ENTRY_LENGTH = 256;
    public static final int LENGTH = ENTRY_LENGTH * Nanokernel.MAX_VNODES;

    public static final int STATE_OFFSET = 0;
    public static final int INCARNATION_OFFSET = 4;
    public static final int PID_OFFSET = 8;
    public static final int REGION_OFFSET_OFFSET = 16;
    public static final int REGION_SIZE_OFFSET = 24;
    public static final int CPUS_OFFSET = 32;
    public static final int JOINED_OFFSET = 40;
    public static final int HEARTBEAT_OFFSET = 128;

    /** The states of a vnode table entry. */
    public enum State {
        FREE, BOOTING, JOINED, FAILED, STOPPED;

        static State of(int code) {
            State[] all = values();
            return code >= 0 && code < all.length ? all[code] : FAILED;
        }
    }

    private VnodeTableDescriptor() {
    }

    public static long entry(int vnode) {
        if (vnode < 0 || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + vnode + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        return ControlArea.VNODE_TABLE_OFFSET + (long) vnode * ENTRY_LENGTH;
    }

    public static State state(MemorySegment physmem, int vnode) {
        return State.of(Shm.getIntAcquire(physmem, entry(vnode) + STATE_OFFSET));
    }

    public static void state(MemorySegment physmem, int vnode, State state) {
        Shm.setIntRelease(physmem, entry(vnode) + STATE_OFFSET, state.ordinal());
    }

    public static int incarnation(MemorySegment physmem, int vnode) {
        return Shm.getIntVolatile(physmem, entry(vnode) + INCARNATION_OFFSET);
    }

    public static long pid(MemorySegment physmem, int vnode) {
        return Shm.getLongVolatile(physmem, entry(vnode) + PID_OFFSET);
    }

    public static long cpus(MemorySegment physmem, int vnode) {
        return Shm.getLongVolatile(physmem, entry(vnode) + CPUS_OFFSET);
    }

    public static long joined(MemorySegment physmem, int vnode) {
        return Shm.getLongVolatile(physmem, entry(vnode) + JOINED_OFFSET);
    }

    /** Records a vnode that has joined: its process, CPUs and time; bumps the incarnation. */
    public static void join(MemorySegment physmem, int vnode, long pid, long cpuMask, long joinedMillis) {
        long e = entry(vnode);
        Shm.getAndAddInt(physmem, e + INCARNATION_OFFSET, 1);
        Shm.setLongVolatile(physmem, e + PID_OFFSET, pid);
        Shm.setLongVolatile(physmem, e + CPUS_OFFSET, cpuMask);
        Shm.setLongVolatile(physmem, e + JOINED_OFFSET, joinedMillis);
        state(physmem, vnode, State.JOINED);
    }

    public static long regionOffset(MemorySegment physmem, int vnode) {
        return Shm.getLongVolatile(physmem, entry(vnode) + REGION_OFFSET_OFFSET);
    }

    public static long regionSize(MemorySegment physmem, int vnode) {
        return Shm.getLongVolatile(physmem, entry(vnode) + REGION_SIZE_OFFSET);
    }

    /** Records the vnode's memory region (size 0: none). */
    public static void region(MemorySegment physmem, int vnode, long offset, long size) {
        Shm.setLongVolatile(physmem, entry(vnode) + REGION_OFFSET_OFFSET, offset);
        Shm.setLongVolatile(physmem, entry(vnode) + REGION_SIZE_OFFSET, size);
    }

    public static long heartbeat(MemorySegment physmem, int vnode) {
        return Shm.getLongAcquire(physmem, entry(vnode) + HEARTBEAT_OFFSET);
    }

    public static void heartbeat(MemorySegment physmem, int vnode, long nanos) {
        Shm.setLongRelease(physmem, entry(vnode) + HEARTBEAT_OFFSET, nanos);
    }
}
