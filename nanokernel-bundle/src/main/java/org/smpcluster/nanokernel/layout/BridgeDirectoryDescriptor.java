package org.smpcluster.nanokernel.layout;

import java.lang.foreign.MemorySegment;

/**
 * The bridge directory: 256 entries of 128 bytes. Only the root writes it; every vnode reads
 * it. An entry is guarded by a sequence lock: the root makes {@code seq} odd, writes the
 * fields, and makes it even again (release); a reader that sees an odd or changed sequence
 * around its reads tries again.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   Sequence (odd: being written)               |  0
 *  +---------------------------------------------------------------+
 *  |                   State (0 free, 1 active)                    |  4
 *  +---------------------------------------------------------------+
 *  |                Owner vnode (-1: global)                       |  8
 *  +---------------------------------------------------------------+
 *  |       Flags (bit 0: transient, bit 1: frozen for a move)      | 12
 *  +---------------------------------------------------------------+
 *  |              Offset in physical memory (8 bytes)              | 16
 *  +---------------------------------------------------------------+
 *  |                  Size asked, bytes (8 bytes)                  | 24
 *  +---------------------------------------------------------------+
 *  |             Users, bit n = vnode n holds it (8 bytes)         | 32
 *  +---------------------------------------------------------------+
 *  |                 Generation (bumped on relocation)             | 40
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 48)                          | 44
 *  +---------------------------------------------------------------+
 *  |                Name, UTF-8, NUL-padded (64 bytes)             | 48
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 128)                         | 112
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class BridgeDirectoryDescriptor {

    public static final int ENTRIES = 256;
    public static final int ENTRY_LENGTH = 128;
    public static final int LENGTH = ENTRIES * ENTRY_LENGTH;

    public static final int SEQ_OFFSET = 0;
    public static final int STATE_OFFSET = 4;
    public static final int OWNER_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int REGION_OFFSET = 16;
    public static final int SIZE_OFFSET = 24;
    public static final int USERS_OFFSET = 32;
    public static final int GENERATION_OFFSET = 40;
    public static final int NAME_OFFSET = 48;
    public static final int NAME_CAPACITY = 64;

    public static final int STATE_FREE = 0;
    public static final int STATE_ACTIVE = 1;
    public static final int FLAG_TRANSIENT = 1;
    public static final int FLAG_FROZEN = 2;

    /** A consistent copy of one entry. */
    public record Entry(int index, int state, int owner, int flags, long offset, long size, long users,
            int generation, String name) {
        public boolean active() {
            return state == STATE_ACTIVE;
        }

        public boolean isTransient() {
            return (flags & FLAG_TRANSIENT) != 0;
        }

        public boolean frozen() {
            return (flags & FLAG_FROZEN) != 0;
        }

        public Entry with(int newFlags, long newOffset, long newUsers, int newGeneration) {
            return new Entry(index, state, owner, newFlags, newOffset, size, newUsers, newGeneration, name);
        }
    }

    private BridgeDirectoryDescriptor() {
    }

    public static long entry(int index) {
        if (index < 0 || index >= ENTRIES) {
            throw new IllegalArgumentException("bridge index=" + index + " is outside 0.." + (ENTRIES - 1));
        }
        return ControlArea.BRIDGE_DIRECTORY_OFFSET + (long) index * ENTRY_LENGTH;
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
                Shm.getIntVolatile(physmem, e + FLAGS_OFFSET),
                Shm.getLongVolatile(physmem, e + REGION_OFFSET),
                Shm.getLongVolatile(physmem, e + SIZE_OFFSET),
                Shm.getLongVolatile(physmem, e + USERS_OFFSET),
                Shm.getIntVolatile(physmem, e + GENERATION_OFFSET),
                Shm.getString(physmem, e + NAME_OFFSET, NAME_CAPACITY)));
        if (copy == null) {
            throw new IllegalStateException("bridge directory entry " + index + " stays half-written (sequence "
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
            Shm.setIntVolatile(physmem, e + FLAGS_OFFSET, entry.flags());
            Shm.setLongVolatile(physmem, e + REGION_OFFSET, entry.offset());
            Shm.setLongVolatile(physmem, e + SIZE_OFFSET, entry.size());
            Shm.setLongVolatile(physmem, e + USERS_OFFSET, entry.users());
            Shm.setIntVolatile(physmem, e + GENERATION_OFFSET, entry.generation());
            Shm.putString(physmem, e + NAME_OFFSET, NAME_CAPACITY, entry.name());
        });
    }
}
