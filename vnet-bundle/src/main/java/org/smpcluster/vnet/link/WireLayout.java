package org.smpcluster.vnet.link;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The wire: one global bridge per network, shared by every station on it. Everything a NIC
 * keeps lives here, not in the driver's heap, so that a new build of the driver picks up where
 * the old one stopped (cursor, counters, filters) and the root can show any station's counters.
 *
 * <pre>
 *  offset  size
 *  +------+------------------------------------------------------------------+
 *  |    0 | magic "VNETWIRE" (written last by the station that formats)      |
 *  |    8 | format claim (int, CAS 0 -> 1)    | ring slots (int, power of 2) |
 *  |   16 | slot time (ns)                                                   |
 *  |   24 | interframe gap (ns)                                              |
 *  |   32 | jabber timeout (ns)                                              |
 *  |   40 | subnet address (int)              | subnet prefix length (int)   |
 *  |   48 | bit rate (bits/s; 0: as fast as memory copies)                   |
 *  +------+------------------------------------------------------------------+
 *  |   64 | carrier word (CAS), a cache line of its own:                     |
 *  |      |   63..61 state: 0 IDLE, 1 OPEN (vulnerable window),              |
 *  |      |                 2 SENDING, 3 COLLIDED, 4 COMMIT                  |
 *  |      |   60..56 station index                                           |
 *  |      |   55..0  IDLE: System.nanoTime() mod 2^56 of the release (for    |
 *  |      |          the interframe gap); OPEN, SENDING, COLLIDED: of the    |
 *  |      |          acquisition (for the jabber timeout); COMMIT: the       |
 *  |      |          sequence of the frame being published                   |
 *  +------+------------------------------------------------------------------+
 *  |  128 | head: frames ever put on the wire = the next frame's sequence    |
 *  +------+------------------------------------------------------------------+
 *  |  256 | station 0 .. STATIONS-1, STATION_SIZE bytes each:                |
 *  |      |   +0 state (int: 0 free, 1 attached)  +4 vnode (int)             |
 *  |      |   +8 pid of the driver's process (long)                          |
 *  |      |  +16 MAC (long, 48 bits)  +24 flags (int: bit 0 promiscuous)     |
 *  |      |  +28 armed (int: 1 = wants a portal interrupt for the next frame)|
 *  |      |  +32 attached: System.nanoTime() of the attachment (long; a      |
 *  |      |      carrier word older than it is an earlier incarnation's)     |
 *  |      |  +40 interrupt vector (int)  +44 multicast groups in use (int)   |
 *  |      |  +48 multicast group MACs, MAX_GROUPS longs                      |
 *  |      |      (every sender reads the first line for each frame: nothing  |
 *  |      |      there changes per frame)                                    |
 *  |      | +128 receive cursor (long: the next sequence to read), a line    |
 *  |      |      of its own                                                  |
 *  |      | +192 counters, one long each, in Counter order (at most 24)      |
 *  +------+------------------------------------------------------------------+
 *  | 8192 | ring: slots of SLOT_SIZE bytes, frame n in slot n mod slots:     |
 *  |      |   +0 sequence (long; -1 while being written; written last)       |
 *  |      |   +8 length (int)   +12 sending station (int)                    |
 *  |      |  +16 wall-clock time, microseconds since the epoch (long)        |
 *  |      |  +24 commit stamp: sequence << 5 | committing station (long;     |
 *  |      |      -1 until committed; a slot whose stamp does not name its    |
 *  |      |      sequence and writer was overwritten by a stalled writer)    |
 *  |      |  +32 the frame's bytes, FCS included (at most 1518)              |
 *  +------+------------------------------------------------------------------+
 * </pre>
 *
 * Only the carrier's holder writes the ring and the head, so the ring has one writer at a
 * time; readers check a slot's sequence before and after copying it (a slot that changed
 * underneath was overrun). A station's entry is written by its own driver only, except
 * {@code armed}, which senders clear with a CAS when they interrupt it.
 */
public final class WireLayout {

    public static final long MAGIC = 0x56_4E_45_54_57_49_52_45L; // "VNETWIRE"
    public static final int STATIONS = 16;
    public static final int STATION_SIZE = 384;
    public static final int MAX_GROUPS = 8;
    public static final long RING = 8192;
    public static final int SLOT_SIZE = 2048;
    public static final int SLOT_HEADER = 32;

    static final long OFF_MAGIC = 0;
    static final long OFF_CLAIM = 8;
    static final long OFF_SLOTS = 12;
    static final long OFF_SLOT_TIME = 16;
    static final long OFF_GAP = 24;
    static final long OFF_JABBER = 32;
    static final long OFF_SUBNET = 40;
    static final long OFF_PREFIX = 44;
    static final long OFF_RATE = 48;
    static final long OFF_CARRIER = 64;
    static final long OFF_HEAD = 128;
    static final long OFF_STATIONS = 256;

    static final long ST_STATE = 0;
    static final long ST_VNODE = 4;
    static final long ST_PID = 8;
    static final long ST_MAC = 16;
    static final long ST_FLAGS = 24;
    static final long ST_ARMED = 28;
    static final long ST_ATTACHED = 32;
    static final long ST_CURSOR = 128;
    static final long ST_VECTOR = 40;
    static final long ST_GROUPS = 44;
    static final long ST_GROUP0 = 48;
    static final long ST_COUNTERS = 192;

    static final long SL_SEQ = 0;
    static final long SL_LENGTH = 8;
    static final long SL_STATION = 12;
    static final long SL_TIME = 16;
    static final long SL_COMMIT = 24;

    /** Carrier states, bits 63..62 of the carrier word. */
    public static final int IDLE = 0;
    public static final int OPEN = 1;
    public static final int SENDING = 2;
    public static final int COLLIDED = 3;
    public static final int COMMIT = 4;

    static final long SINCE_MASK = (1L << 56) - 1;

    /** Per-station counters, in the order they are stored. */
    public enum Counter {
        RX_PACKETS, RX_BYTES, RX_ERRORS, RX_DROPPED, RX_OVERRUNS, RX_RUNTS, RX_OVERSIZE, RX_BAD_FCS,
        TX_PACKETS, TX_BYTES, TX_ERRORS, TX_CARRIER_LOST, COLLISIONS, EXCESSIVE_COLLISIONS, DEFERRALS,
        JABBER_CUTS, INTERRUPTS, POLLS, RX_DAMAGED
    }

    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private WireLayout() {
    }

    /** The bytes a wire with {@code slots} ring slots needs. */
    public static long size(int slots) {
        return RING + (long) slots * SLOT_SIZE;
    }

    // The carrier word.

    public static long carrier(int state, int station, long since) {
        return (long) state << 61 | (long) station << 56 | since & SINCE_MASK;
    }

    public static int state(long carrier) {
        return (int) (carrier >>> 61);
    }

    public static int holder(long carrier) {
        return (int) (carrier >>> 56) & 0x1F;
    }

    /** The sequence a COMMIT carrier word publishes. */
    public static long committing(long carrier) {
        return carrier & SINCE_MASK;
    }

    /** Nanoseconds from the carrier word's time to {@code now} (both taken mod 2^56). */
    public static long age(long carrier, long now) {
        return (now - carrier) & SINCE_MASK;
    }

    static {
        if (ST_COUNTERS + 8L * Counter.values().length > STATION_SIZE
                || OFF_STATIONS + (long) STATIONS * STATION_SIZE > RING) {
            throw new AssertionError("the wire layout overlaps itself");
        }
    }

    static long stationBase(int index) {
        return OFF_STATIONS + (long) index * STATION_SIZE;
    }

    static long counter(int station, Counter c) {
        return stationBase(station) + ST_COUNTERS + 8L * c.ordinal();
    }

    static long slotBase(long sequence, int slots) {
        return RING + (sequence & (slots - 1)) * SLOT_SIZE;
    }

    /** The commit stamp of frame {@code sequence} written by station {@code station}. */
    static long stamp(long sequence, int station) {
        return sequence << 5 | station;
    }

    static long getLong(MemorySegment s, long offset) {
        return (long) LONG.getAcquire(s, offset);
    }

    static void setLong(MemorySegment s, long offset, long value) {
        LONG.setRelease(s, offset, value);
    }

    static int getInt(MemorySegment s, long offset) {
        return (int) INT.getAcquire(s, offset);
    }

    static void setInt(MemorySegment s, long offset, int value) {
        INT.setRelease(s, offset, value);
    }

    static boolean casLong(MemorySegment s, long offset, long expected, long value) {
        return LONG.compareAndSet(s, offset, expected, value);
    }

    static boolean casInt(MemorySegment s, long offset, int expected, int value) {
        return INT.compareAndSet(s, offset, expected, value);
    }

    static void add(MemorySegment s, long offset, long delta) {
        LONG.getAndAdd(s, offset, delta);
    }
}
