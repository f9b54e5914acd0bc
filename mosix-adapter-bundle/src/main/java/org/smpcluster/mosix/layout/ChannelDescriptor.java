package org.smpcluster.mosix.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The deputy channel between a home vnode and a vnode that runs processes for it: the global
 * bridge {@code mosix.HOME.TARGET}, created by the home, attached by the target once the
 * header is ready. Two single-producer single-consumer rings of messages: {@code down} (home
 * to target: spawn, stdin, signals) and {@code up} (target to home: started, stdout, stderr,
 * exit). A message names its process by PID, so one channel serves every process of that
 * pair, and a process that migrates keeps its deputy: only the channel it talks on changes.
 * A move is {@code MIGRATE} (two lengths), {@code MIGRATE_DATA} records (its spec and totals,
 * then its state, in pieces a ring carries), then {@code MIGRATED} or {@code MIGRATE_FAILED} back.
 * Channels are made by whichever vnode needs one first (its name says which: {@code mosix.A.B}
 * made by A), so a move between two vnodes that are not the process's home goes on the channel
 * between them, while the process's stdio goes on its home's channel to where it runs: the vnode
 * it leaves tells its home ({@code MOVE_PREPARE}, after its last output), the home makes its
 * channel to the target, and the target says {@code ARRIVED} on it before the process's first line.
 * Each side rings the other's {@code VECTOR} after publishing, unless the other busy-polls.
 *
 * <pre>
 * Channel bridge
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   Magic 'MCHN' (0x4e48434d)                   |  0
 *  +---------------------------------------------------------------+
 *  |                 Version (written last by the home)            |  4
 *  +---------------------------------------------------------------+
 *  |                          Home vnode                           |  8
 *  +---------------------------------------------------------------+
 *  |                         Target vnode                          | 12
 *  +---------------------------------------------------------------+
 *  |                  Ring capacity, bytes (a power of 2)          | 16
 *  +---------------------------------------------------------------+
 *  |                       (reserved to 128)                       | 20
 *  +---------------------------------------------------------------+
 *  |                  Down ring (RING_HEADER + capacity)           | 128
 *  +---------------------------------------------------------------+
 *  |                  Up ring (RING_HEADER + capacity)             |
 *  +---------------------------------------------------------------+
 *
 * Ring (the two counters two cache lines apart: each is written by one side only)
 *  +---------------------------------------------------------------+
 *  |       Tail: bytes ever published, by the producer (8)         |  0
 *  +---------------------------------------------------------------+
 *  |                       (reserved to 128)                       |  8
 *  +---------------------------------------------------------------+
 *  |       Head: bytes ever consumed, by the consumer (8)          | 128
 *  +---------------------------------------------------------------+
 *  |   Polling: 1 while the consumer busy-polls, 0 before it parks | 136
 *  +---------------------------------------------------------------+
 *  |                       (reserved to 256)                       | 140
 *  +---------------------------------------------------------------+
 *  |                 Data: records at tail mod capacity            | 256
 *  +---------------------------------------------------------------+
 *
 * Record, 16-byte aligned, never split across the end (a PAD record fills the rest)
 *  +---------------------------------------------------------------+
 *  |  Length, header included (the next record at the next 16)    |  0
 *  +---------------------------------------------------------------+
 *  |                             Type                              |  4
 *  +---------------------------------------------------------------+
 *  |                           PID (8)                             |  8
 *  +---------------------------------------------------------------+
 *  |                     Payload (length - 16)                     | 16
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ChannelDescriptor {

    public static final int MAGIC = 0x4e48434d;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int HOME_OFFSET = 8;
    public static final int TARGET_OFFSET = 12;
    public static final int CAPACITY_OFFSET = 16;
    public static final int HEADER_LENGTH = 128;

    public static final int TAIL_OFFSET = 0;
    public static final int HEAD_OFFSET = 128;
    /**
     * The consumer's "I am polling" word (NAPI's interrupts-off): while it is 1 a producer does not
     * ring the portal, as the consumer will see the record anyway. The consumer clears it, then
     * looks at the tail once more, before it parks; a producer publishes the tail, then reads it
     * (both ordered by a full fence), so one of them always sees the other.
     */
    public static final int POLLING_OFFSET = 136;
    public static final int RING_HEADER = 256;

    public static final int RECORD_HEADER = 16;
    public static final int RECORD_ALIGNMENT = 16;

    /** Record types. */
    public static final int PAD = 0;
    public static final int SPAWN = 1;
    public static final int STDIN = 2;
    public static final int STDIN_EOF = 3;
    public static final int SIGNAL = 4;
    /**
     * Anyone to where a process runs: move it to the vnode of the payload (4 bytes), then answer
     * {@code MIGRATE_DONE} or {@code MIGRATE_FAILED} on this channel.
     */
    public static final int MIGRATE_REQUEST = 5;
    /**
     * Either way: a frozen process moving (payload: its meta's length and its state's, 4 bytes
     * each, then optionally flags, 4 bytes: {@link #MIGRATE_BALANCING} for a balancer's move,
     * which the receiver may refuse when it is at its share of the load).
     */
    public static final int MIGRATE = 6;
    public static final int MIGRATE_BALANCING = 1;
    /** Either way: the next piece of a moving process's meta (spec, totals, stdin not read yet), then of its state. */
    public static final int MIGRATE_DATA = 7;
    /**
     * Where it runs (not home) to its home, on their channel: the process is frozen, after its last
     * output, and moves to the payload's vnode (4 bytes): hold its stdin, and have a channel to that
     * vnode ready. The home answers {@code MOVE_READY} (no stdin of it on this channel after that).
     */
    public static final int MOVE_PREPARE = 8;
    /** Home to where it runs: ready for {@code MOVE_PREPARE}'s move. */
    public static final int MOVE_READY = 9;
    public static final int STARTED = 10;
    public static final int FAILED = 11;
    public static final int STDOUT = 12;
    public static final int STDERR = 13;
    public static final int EXIT = 14;
    /** Either way: the moved process runs here now; the sender ends its frozen copy. */
    public static final int MIGRATED = 15;
    /** Either way: the move failed (payload: why, UTF-8); the sender thaws its frozen copy. */
    public static final int MIGRATE_FAILED = 16;
    /**
     * Home to where its process runs: checkpoint it (payload: the file, a host path in UTF-8; empty:
     * its -C file). Numbered apart from the move's records, which may grow.
     */
    public static final int CHECKPOINT_REQUEST = 32;
    /** Back home: the checkpoint is written (payload: the file, UTF-8). */
    public static final int CHECKPOINTED = 33;
    /** Back home: no checkpoint (payload: why, UTF-8). */
    public static final int CHECKPOINT_FAILED = 34;
    /** Where it ran to its home: the move of {@code MOVE_PREPARE} failed, it runs on there (its stdin flows again). */
    public static final int MOVE_ABORT = 17;
    /** Where a process arrived (not its home) to its home, before its first output: it runs here now. */
    public static final int ARRIVED = 18;
    /** Where it ran to who sent {@code MIGRATE_REQUEST}: it moved (payload: the vnode it runs on, 4 bytes). */
    public static final int MIGRATE_DONE = 19;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private ChannelDescriptor() {
    }

    /** The channel bridge's name: {@code mosix.HOME.TARGET}. */
    public static String name(int home, int target) {
        return "mosix." + home + "." + target;
    }

    public static long length(int capacity) {
        checkRingCapacity(capacity);
        return HEADER_LENGTH + 2L * (RING_HEADER + capacity);
    }

    public static void checkRingCapacity(int capacity) {
        if (capacity < 1024 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring capacity=" + capacity + " must be a power of 2, at least 1024");
        }
    }

    /** The down ring (home to target) of a channel. */
    public static MemorySegment down(MemorySegment channel, int capacity) {
        return channel.asSlice(HEADER_LENGTH, RING_HEADER + (long) capacity);
    }

    /** The up ring (target to home) of a channel. */
    public static MemorySegment up(MemorySegment channel, int capacity) {
        return channel.asSlice(HEADER_LENGTH + RING_HEADER + (long) capacity, RING_HEADER + (long) capacity);
    }

    /** Home only, before it rings the target: empty rings, the version last. */
    public static void initialise(MemorySegment channel, int home, int target, int capacity) {
        if (channel.byteSize() < length(capacity)) {
            throw new IllegalArgumentException("bridge size=" + channel.byteSize() + " is too small for ring capacity="
                    + capacity + ": needs " + length(capacity));
        }
        INT.setVolatile(channel, (long) VERSION_OFFSET, 0);
        channel.asSlice(HEADER_LENGTH, length(capacity) - HEADER_LENGTH).fill((byte) 0);
        INT.setVolatile(channel, (long) MAGIC_OFFSET, MAGIC);
        INT.setVolatile(channel, (long) HOME_OFFSET, home);
        INT.setVolatile(channel, (long) TARGET_OFFSET, target);
        INT.setVolatile(channel, (long) CAPACITY_OFFSET, capacity);
        INT.setRelease(channel, (long) VERSION_OFFSET, VERSION);
    }

    /** Whether {@code channel} is a ready channel from {@code home} to {@code target} with rings of {@code capacity}. */
    public static boolean ready(MemorySegment channel, int home, int target, int capacity) {
        return channel.byteSize() >= length(capacity)
                && (int) INT.getAcquire(channel, (long) VERSION_OFFSET) == VERSION
                && (int) INT.getVolatile(channel, (long) MAGIC_OFFSET) == MAGIC
                && (int) INT.getVolatile(channel, (long) HOME_OFFSET) == home
                && (int) INT.getVolatile(channel, (long) TARGET_OFFSET) == target
                && (int) INT.getVolatile(channel, (long) CAPACITY_OFFSET) == capacity;
    }
}
