package org.smpcluster.vnet.link;

import static org.smpcluster.vnet.link.WireLayout.*;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.smpcluster.api.vnet.MacAddress;

/**
 * One network's wire, seen from one process: the broadcast medium every station on it shares
 * (see {@link WireLayout} for the bytes). The first station to attach formats it with its
 * parameters; later ones take the wire's.
 */
public final class Wire {

    /** Raises a portal interrupt on a vnode; the link layer's only way to wake a receiver. */
    @FunctionalInterface
    public interface Notifier {
        void interrupt(int vnode, int vector);
    }

    private final String network;
    private final MemorySegment segment;
    private final WireParams params;
    private final int subnet;
    private final int prefix;

    private Wire(String network, MemorySegment segment, WireParams params, int subnet, int prefix) {
        this.network = network;
        this.segment = segment;
        this.params = params;
        this.subnet = subnet;
        this.prefix = prefix;
    }

    /**
     * Attaches to the wire in {@code segment} (a global bridge of at least
     * {@link WireLayout#size(int)} bytes for {@code params.slots()}), formatting it if nobody has.
     * If another station formatted it, its parameters and subnet win.
     *
     * @throws IllegalStateException if the segment is too small, or the formatting station did
     *         not finish within a second (it died while formatting)
     */
    public static Wire attach(String network, MemorySegment segment, WireParams params, int subnet, int prefix) {
        if (getLong(segment, OFF_MAGIC) != MAGIC) {
            if (segment.byteSize() < size(params.slots())) {
                throw new IllegalStateException("the wire of network '" + network + "' needs " + size(params.slots())
                        + " bytes, the bridge has " + segment.byteSize());
            }
            if (casInt(segment, OFF_CLAIM, 0, 1)) {
                setInt(segment, OFF_SLOTS, params.slots());
                setLong(segment, OFF_SLOT_TIME, params.slotTimeNanos());
                setLong(segment, OFF_GAP, params.gapNanos());
                setLong(segment, OFF_JABBER, params.jabberNanos());
                setLong(segment, OFF_RATE, params.bitsPerSecond());
                setInt(segment, OFF_SUBNET, subnet);
                setInt(segment, OFF_PREFIX, prefix);
                setLong(segment, OFF_MAGIC, MAGIC);
            } else {
                long deadline = System.nanoTime() + 1_000_000_000L;
                while (getLong(segment, OFF_MAGIC) != MAGIC) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the wire of network '" + network
                                + "' was claimed but never formatted (its formatter died?)");
                    }
                    Thread.onSpinWait();
                }
            }
        }
        WireParams actual = new WireParams(getInt(segment, OFF_SLOTS), getLong(segment, OFF_SLOT_TIME),
                getLong(segment, OFF_GAP), getLong(segment, OFF_JABBER), getLong(segment, OFF_RATE));
        if (segment.byteSize() < size(actual.slots())) {
            throw new IllegalStateException("the wire of network '" + network + "' has " + actual.slots()
                    + " slots but its bridge only " + segment.byteSize() + " bytes");
        }
        return new Wire(network, segment, actual, getInt(segment, OFF_SUBNET), getInt(segment, OFF_PREFIX));
    }

    public String network() {
        return network;
    }

    public WireParams params() {
        return params;
    }

    /** The network's IPv4 subnet address (as an int, network byte order semantics) and prefix. */
    public int subnet() {
        return subnet;
    }

    public int prefix() {
        return prefix;
    }

    MemorySegment segment() {
        return segment;
    }

    /** Frames ever put on this wire. */
    public long head() {
        return getLong(segment, OFF_HEAD);
    }

    /** The carrier word now (see {@link WireLayout}). */
    public long carrier() {
        return getLong(segment, OFF_CARRIER);
    }

    /**
     * Attaches station {@code mac} for {@code vnode}. The same MAC attached again by the same
     * process (a new build of the driver, hot swapped) continues where the old one stopped:
     * cursor, counters and filters are the wire's. Attached by another process (the vnode
     * rebooted), it starts afresh at the wire's head.
     *
     * @throws IllegalStateException when all {@link WireLayout#STATIONS} stations are taken
     */
    public Station station(int vnode, MacAddress mac, int vector, Notifier notifier) {
        return station(vnode, mac, vector, notifier, Liveness.PROCESS);
    }

    /**
     * {@link #station(int, MacAddress, int, Notifier)}, with {@code liveness} deciding whether
     * a station that holds the carrier past the jabber timeout is gone (and is cut).
     */
    public Station station(int vnode, MacAddress mac, int vector, Notifier notifier, Liveness liveness) {
        long pid = ProcessHandle.current().pid();
        long key = mac.value();
        for (int i = 0; i < STATIONS; i++) {
            long base = stationBase(i);
            if (getInt(segment, base + ST_STATE) == 1 && getLong(segment, base + ST_MAC) == key) {
                if (getLong(segment, base + ST_PID) != pid) {
                    reset(i, vnode, pid, vector);
                }
                return new Station(this, i, mac, notifier, liveness);
            }
        }
        for (int i = 0; i < STATIONS; i++) {
            long base = stationBase(i);
            if (casInt(segment, base + ST_STATE, 0, 2)) {
                setLong(segment, base + ST_MAC, key);
                reset(i, vnode, pid, vector);
                setInt(segment, base + ST_STATE, 1);
                return new Station(this, i, mac, notifier, liveness);
            }
        }
        throw new IllegalStateException("network '" + network + "' has all " + STATIONS + " stations attached: "
                + stations());
    }

    private void reset(int index, int vnode, long pid, int vector) {
        long base = stationBase(index);
        setInt(segment, base + ST_VNODE, vnode);
        setInt(segment, base + ST_FLAGS, 0);
        setInt(segment, base + ST_GROUPS, 0);
        setInt(segment, base + ST_VECTOR, vector);
        for (Counter c : Counter.values()) {
            setLong(segment, counter(index, c), 0);
        }
        setLong(segment, base + ST_CURSOR, head());
        setLong(segment, base + ST_ATTACHED, System.nanoTime());
        setLong(segment, base + ST_PID, pid);
        setInt(segment, base + ST_ARMED, 1);
    }

    /** A station as the wire records it, for display. */
    public record StationView(int index, int vnode, long pid, MacAddress mac, boolean promiscuous,
            List<MacAddress> groups, long cursor, Map<Counter, Long> counters) {
    }

    /** Every attached station. */
    public List<StationView> stations() {
        List<StationView> list = new ArrayList<>();
        for (int i = 0; i < STATIONS; i++) {
            long base = stationBase(i);
            if (getInt(segment, base + ST_STATE) == 1) {
                list.add(view(i));
            }
        }
        return list;
    }

    StationView view(int i) {
        long base = stationBase(i);
        Map<Counter, Long> counters = new EnumMap<>(Counter.class);
        for (Counter c : Counter.values()) {
            counters.put(c, getLong(segment, counter(i, c)));
        }
        List<MacAddress> groups = new ArrayList<>();
        int n = getInt(segment, base + ST_GROUPS);
        for (int g = 0; g < n; g++) {
            groups.add(new MacAddress(getLong(segment, base + ST_GROUP0 + 8L * g)));
        }
        return new StationView(i, getInt(segment, base + ST_VNODE), getLong(segment, base + ST_PID),
                new MacAddress(getLong(segment, base + ST_MAC)), (getInt(segment, base + ST_FLAGS) & 1) != 0,
                groups, getLong(segment, base + ST_CURSOR), counters);
    }

    /** Frees station {@code index}: its vnode is gone for good, or shut down. */
    void detach(int index) {
        setInt(segment, stationBase(index) + ST_STATE, 0);
    }

    /** A raw frame as the ring held it. */
    public record RawFrame(long sequence, int station, long epochMicros, byte[] bytes) {
    }

    /**
     * A reader of everything the wire carries from now on, for capture: it belongs to no
     * station, filters nothing and checks nothing (corrupt frames are captured as they are).
     */
    public Tap tap() {
        return new Tap(head());
    }

    /** A capture cursor. */
    public final class Tap {
        private long cursor;
        private long overruns;

        private Tap(long start) {
            cursor = start;
        }

        /** The next frame, or null if none has arrived; frames lost to overrun are counted. */
        public RawFrame next() {
            while (true) {
                long head = head();
                if (cursor >= head) {
                    return null;
                }
                if (head - cursor > params.slots()) {
                    overruns += head - cursor - params.slots();
                    cursor = head - params.slots();
                }
                RawFrame f = read(cursor);
                cursor++;
                if (f == DAMAGED) {
                    continue;
                }
                if (f != null) {
                    return f;
                }
                overruns++;
            }
        }

        public long overruns() {
            return overruns;
        }
    }

    /** What {@link #read} returns for a slot a stalled writer damaged after its frame was committed. */
    static final RawFrame DAMAGED = new RawFrame(-1, -1, 0, new byte[0]);

    /** Frame {@code sequence} from the ring, null if it was overwritten meanwhile, or {@link #DAMAGED}. */
    RawFrame read(long sequence) {
        long base = slotBase(sequence, params.slots());
        if (getLong(segment, base + SL_SEQ) != sequence) {
            return null;
        }
        int length = getInt(segment, base + SL_LENGTH);
        int station = getInt(segment, base + SL_STATION);
        long time = getLong(segment, base + SL_TIME);
        if (length < 0 || length > SLOT_SIZE - SLOT_HEADER) {
            return null;
        }
        byte[] bytes = new byte[length];
        MemorySegment.copy(segment, java.lang.foreign.ValueLayout.JAVA_BYTE, base + SLOT_HEADER, bytes, 0, length);
        java.lang.invoke.VarHandle.loadLoadFence(); // the copy happens before the second look
        if (getLong(segment, base + SL_SEQ) != sequence || getInt(segment, base + SL_STATION) != station) {
            return null;
        }
        if (getLong(segment, base + SL_COMMIT) != stamp(sequence, station)) {
            // The next lap's writer clears the sequence before the stamp: if it has begun, the
            // frame was overrun; if not, a writer whose carrier was cut overwrote it.
            return getLong(segment, base + SL_SEQ) != sequence ? null : DAMAGED;
        }
        return new RawFrame(sequence, station, time, bytes);
    }

    @Override
    public String toString() {
        return "wire " + network + " (head " + head() + ", " + stations().size() + " stations)";
    }
}
