package org.smpcluster.nanokernel.layout;

import java.lang.foreign.MemorySegment;

import org.smpcluster.api.nanokernel.Portals;

/**
 * The device table: 32 entries of 256 bytes; entry n's device raises vector
 * {@code Portals.FIRST_DEVICE_VECTOR + n}. Only the root writes it, under a sequence lock as in
 * {@link BridgeDirectoryDescriptor}; other vnodes learn their own devices over the DSP.
 * "Reclaimed from" remembers whom the root took an unassigned device back from when that
 * vnode died or left, until the device is given to somebody: a restart of that vnode boots
 * with exactly those.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   Sequence (odd: being written)               |   0
 *  +---------------------------------------------------------------+
 *  |          State (0 free, 1 present, 2 moving)                  |   4
 *  +---------------------------------------------------------------+
 *  |              Owner vnode (-1: unassigned)                     |   8
 *  +---------------------------------------------------------------+
 *  |        Moving to vnode (state 2 only; -1: being unassigned)   |  12
 *  +---------------------------------------------------------------+
 *  |   Reclaimed from vnode (-1: none): unassigned at its death    |  16
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 32)                          |  20
 *  +---------------------------------------------------------------+
 *  |          Address "DDDD:BB:SS.F", NUL-padded (16 bytes)        |  32
 *  +---------------------------------------------------------------+
 *  |             Class, UTF-8, NUL-padded (16 bytes)               |  48
 *  +---------------------------------------------------------------+
 *  |              Name, UTF-8, NUL-padded (32 bytes)               |  64
 *  +---------------------------------------------------------------+
 *  |           Backing resource, UTF-8, NUL-padded (128 bytes)     |  96
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 256)                         | 224
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class DeviceTableDescriptor {

    public static final int ENTRIES = Portals.VECTORS - Portals.FIRST_DEVICE_VECTOR;
    public static final int ENTRY_LENGTH = 256;
    public static final int LENGTH = ENTRIES * ENTRY_LENGTH;

    public static final int SEQ_OFFSET = 0;
    public static final int STATE_OFFSET = 4;
    public static final int OWNER_OFFSET = 8;
    public static final int TARGET_OFFSET = 12;
    public static final int RECLAIMED_FROM_OFFSET = 16;
    public static final int ADDRESS_OFFSET = 32;
    public static final int ADDRESS_CAPACITY = 16;
    public static final int CLASS_OFFSET = 48;
    public static final int CLASS_CAPACITY = 16;
    public static final int NAME_OFFSET = 64;
    public static final int NAME_CAPACITY = 32;
    public static final int BACKING_OFFSET = 96;
    public static final int BACKING_CAPACITY = 128;

    public static final int STATE_FREE = 0;
    public static final int STATE_PRESENT = 1;
    public static final int STATE_MOVING = 2;

    static {
        if (LENGTH > ControlArea.DEVICE_TABLE_LENGTH) {
            throw new AssertionError("device table overflows its " + ControlArea.DEVICE_TABLE_LENGTH + " bytes");
        }
    }

    /** A consistent copy of one entry. */
    public record Entry(int index, int state, int owner, int target, int reclaimedFrom, String address,
            String deviceClass, String name, String backing) {
        public int vector() {
            return Portals.FIRST_DEVICE_VECTOR + index;
        }
    }

    private DeviceTableDescriptor() {
    }

    public static long entry(int index) {
        if (index < 0 || index >= ENTRIES) {
            throw new IllegalArgumentException("device index=" + index + " is outside 0.." + (ENTRIES - 1));
        }
        return ControlArea.DEVICE_TABLE_OFFSET + (long) index * ENTRY_LENGTH;
    }

    /**
     * Reads entry {@code index} consistently (retrying while the root rewrites it).
     *
     * @throws IllegalStateException when the entry stays half-written for
     *         {@link Shm#SEQ_PATIENCE_NANOS} (its writer died in the middle of a write)
     */
    public static Entry read(MemorySegment physmem, int index) {
        long e = entry(index);
        Entry copy = Shm.seqRead(physmem, e + SEQ_OFFSET, Shm.SEQ_PATIENCE_NANOS, () -> new Entry(index,
                Shm.getIntVolatile(physmem, e + STATE_OFFSET),
                Shm.getIntVolatile(physmem, e + OWNER_OFFSET),
                Shm.getIntVolatile(physmem, e + TARGET_OFFSET),
                Shm.getIntVolatile(physmem, e + RECLAIMED_FROM_OFFSET),
                Shm.getString(physmem, e + ADDRESS_OFFSET, ADDRESS_CAPACITY),
                Shm.getString(physmem, e + CLASS_OFFSET, CLASS_CAPACITY),
                Shm.getString(physmem, e + NAME_OFFSET, NAME_CAPACITY),
                Shm.getString(physmem, e + BACKING_OFFSET, BACKING_CAPACITY)));
        if (copy == null) {
            throw new IllegalStateException("device table entry " + index + " stays half-written (sequence "
                    + Shm.seq(physmem, e + SEQ_OFFSET) + " odd for " + Shm.SEQ_PATIENCE_NANOS / 1_000_000
                    + " ms): its writer died in the middle of a write, or the memory is corrupt");
        }
        return copy;
    }

    /**
     * Root only, under the table's lock (nobody else writes the entry): makes a write that
     * never finished readable as the entry is now; returns whether it had to.
     */
    public static boolean repair(MemorySegment physmem, int index) {
        return Shm.seqRepair(physmem, entry(index) + SEQ_OFFSET);
    }

    /** Root only: writes a whole entry under the sequence lock. */
    public static void write(MemorySegment physmem, Entry entry) {
        long e = entry(entry.index());
        Shm.seqWrite(physmem, e + SEQ_OFFSET, () -> {
            Shm.setIntVolatile(physmem, e + STATE_OFFSET, entry.state());
            Shm.setIntVolatile(physmem, e + OWNER_OFFSET, entry.owner());
            Shm.setIntVolatile(physmem, e + TARGET_OFFSET, entry.target());
            Shm.setIntVolatile(physmem, e + RECLAIMED_FROM_OFFSET, entry.reclaimedFrom());
            Shm.putString(physmem, e + ADDRESS_OFFSET, ADDRESS_CAPACITY, entry.address());
            Shm.putString(physmem, e + CLASS_OFFSET, CLASS_CAPACITY, entry.deviceClass());
            Shm.putString(physmem, e + NAME_OFFSET, NAME_CAPACITY, entry.name());
            Shm.putString(physmem, e + BACKING_OFFSET, BACKING_CAPACITY, entry.backing());
        });
    }
}
