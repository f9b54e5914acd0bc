package org.smpcluster.nanokernel.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The physmem header, at offset 0 of the physical memory file. The root writes it while it
 * lays the file out and writes {@code layoutVersion} last, with release: a joiner that reads a
 * non-zero version (acquire) sees everything before it.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Magic "SMPCLSTR" (8 bytes)                    |  0
 *  +---------------------------------------------------------------+
 *  |              Layout Version (written last)                    |  8
 *  +---------------------------------------------------------------+
 *  |                        Page Size                              | 12
 *  +---------------------------------------------------------------+
 *  |                    Physmem Size (8 bytes)                     | 16
 *  +---------------------------------------------------------------+
 *  |                 Control Area Size (8 bytes)                   | 24
 *  +---------------------------------------------------------------+
 *  |                     Root PID (8 bytes)                        | 32
 *  +---------------------------------------------------------------+
 *  |               Created, epoch millis (8 bytes)                 | 40
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 64)                          | 48
 *  +---------------------------------------------------------------+
 *  |             Cluster Name, UTF-8, NUL-padded (64 bytes)        | 64
 *  +---------------------------------------------------------------+
 *  |    Root Heartbeat, CLOCK_MONOTONIC nanos (8 bytes)            | 128
 *  +---------------------------------------------------------------+
 *  |                    (reserved to 4096)                         | 136
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The heartbeat sits two cache lines away from the fields joiners only read, so the root's
 * ticking does not invalidate them.
 */
public final class HeaderDescriptor {

    public static final long MAGIC = 0x5254534C43504D53L; // "SMPCLSTR", little-endian
    public static final int LAYOUT_VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int LAYOUT_VERSION_OFFSET = 8;
    public static final int PAGE_SIZE_OFFSET = 12;
    public static final int PHYSMEM_SIZE_OFFSET = 16;
    public static final int CONTROL_SIZE_OFFSET = 24;
    public static final int ROOT_PID_OFFSET = 32;
    public static final int CREATED_OFFSET = 40;
    public static final int CLUSTER_NAME_OFFSET = 64;
    public static final int CLUSTER_NAME_CAPACITY = 64;
    public static final int ROOT_HEARTBEAT_OFFSET = 128;
    public static final int LENGTH = 4096;

    private HeaderDescriptor() {
    }

    public static long magic(MemorySegment physmem) {
        return Shm.getLongVolatile(physmem, MAGIC_OFFSET);
    }

    public static int layoutVersion(MemorySegment physmem) {
        return Shm.getIntAcquire(physmem, LAYOUT_VERSION_OFFSET);
    }

    public static int pageSize(MemorySegment physmem) {
        return Shm.getIntVolatile(physmem, PAGE_SIZE_OFFSET);
    }

    public static long physmemSize(MemorySegment physmem) {
        return Shm.getLongVolatile(physmem, PHYSMEM_SIZE_OFFSET);
    }

    public static long controlSize(MemorySegment physmem) {
        return Shm.getLongVolatile(physmem, CONTROL_SIZE_OFFSET);
    }

    public static long rootPid(MemorySegment physmem) {
        return Shm.getLongVolatile(physmem, ROOT_PID_OFFSET);
    }

    public static long created(MemorySegment physmem) {
        return Shm.getLongVolatile(physmem, CREATED_OFFSET);
    }

    public static String clusterName(MemorySegment physmem) {
        return Shm.getString(physmem, CLUSTER_NAME_OFFSET, CLUSTER_NAME_CAPACITY);
    }

    public static long rootHeartbeat(MemorySegment physmem) {
        return Shm.getLongAcquire(physmem, ROOT_HEARTBEAT_OFFSET);
    }

    public static void rootHeartbeat(MemorySegment physmem, long nanos) {
        Shm.setLongRelease(physmem, ROOT_HEARTBEAT_OFFSET, nanos);
    }

    /** Writes every field but the version; {@link #publish} makes the header valid. */
    public static void write(MemorySegment physmem, String cluster, int pageSize, long physmemSize,
            long controlSize, long rootPid, long createdMillis, long heartbeatNanos) {
        physmem.set(ValueLayout.JAVA_LONG, MAGIC_OFFSET, MAGIC);
        physmem.set(ValueLayout.JAVA_INT, PAGE_SIZE_OFFSET, pageSize);
        physmem.set(ValueLayout.JAVA_LONG, PHYSMEM_SIZE_OFFSET, physmemSize);
        physmem.set(ValueLayout.JAVA_LONG, CONTROL_SIZE_OFFSET, controlSize);
        physmem.set(ValueLayout.JAVA_LONG, ROOT_PID_OFFSET, rootPid);
        physmem.set(ValueLayout.JAVA_LONG, CREATED_OFFSET, createdMillis);
        Shm.putString(physmem, CLUSTER_NAME_OFFSET, CLUSTER_NAME_CAPACITY, cluster);
        rootHeartbeat(physmem, heartbeatNanos);
    }

    /** The last write of the layout: from here on joiners may use the file. */
    public static void publish(MemorySegment physmem) {
        Shm.setIntRelease(physmem, LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
    }
}
