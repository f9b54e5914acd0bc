package org.smpcluster.vnet.link;

import static org.smpcluster.vnet.link.WireLayout.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.vnet.link.WireLayout.Counter;

/**
 * One NIC's attachment to a {@link Wire}: transmit with CSMA/CD, receive what its filters let
 * through. Its state (cursor, counters, filters) is the wire's, so a new driver takes over by
 * attaching the same MAC again.
 *
 * <h2>Transmit: CSMA/CD on the carrier word</h2>
 * <ol>
 * <li>Carrier sense: defer while the carrier is held, then keep the interframe gap after it
 *     drops (the release time is in the idle carrier word).</li>
 * <li>Start: CAS the carrier from idle to OPEN(me, now). OPEN is the vulnerable window of one
 *     slot time, the time a real signal needs to reach every station and come back.</li>
 * <li>A station ready to send that finds another's carrier still OPEN has not "heard" it yet:
 *     it transmits too, which it does by CASing the word to COLLIDED. Two stations that race
 *     the idle-to-OPEN CAS collide this way too: the loser finds the winner OPEN.</li>
 * <li>After the slot time the holder CASes OPEN to SENDING. If the word is COLLIDED instead,
 *     both have detected the collision: the holder jams by releasing the carrier, both count
 *     the collision and back off ({@link Backoff}); after 16 attempts the frame is an excessive
 *     collision.</li>
 * <li>SENDING, the holder publishes the frame it wrote into the ring's next slot while its
 *     window was open (as a real station's bits are on the cable from the start), by
 *     advancing the head, releases the carrier with the time, and interrupts the stations that
 *     asked. A collided frame's slot stays unpublished, for the next writer.</li>
 * </ol>
 * Frame bursting (802.3z): a station with more frames waiting may, instead of releasing the
 * carrier after a frame, take it straight back (COMMIT to SENDING(me)) and send the next one
 * without a vulnerable window, while the burst is under {@link #BURST_LIMIT} bytes; the others
 * keep deferring meanwhile. If another station finished its commit first and freed the
 * carrier, the burst ends and the next frame contends as usual.
 * <p>
 * A holder that dies leaves its word behind; any station that wants the wire cuts a carrier
 * older than the jabber timeout whose holder is gone ({@link #holderGone}: its process dead,
 * killed, exiting or a zombie, its station detached or attached again since, or, through the
 * driver's {@link Liveness}, its vnode failed), so a dead holder's wire is free within the
 * timeout and a few hundred microseconds. A holder that is alive keeps the carrier however
 * long it was preempted or stopped (a jabber cut of a live holder damaged its frame), up to
 * {@link #HUNG_NANOS}: a holder alive but holding that long is hung, and is cut. A holder
 * that finds its carrier cut before its commit retries the frame (counted as carrier lost).
 * The commit is a CAS from SENDING to COMMIT(sequence); any station that finds a COMMIT word
 * finishes it (advances the head by CAS, releases the carrier), so a frame is published
 * exactly once even if its sender stalls or dies after committing. What a cut of a hung but
 * live holder can still do, as on a real wire, is damage the slot it was writing when it
 * resumes: readers check the slot's commit stamp against its writer (and the FCS), and count
 * what fails as a receive error. A resumed
 * writer that finishes its copy between a reader's copy and that check can still get its frame
 * delivered in place of the committed one and then, after its retry, a second time; the
 * transport above numbers its messages and drops the duplicate.
 */
public final class Station {

    private final Wire wire;
    private final MemorySegment s;
    private final int index;
    private final long base;
    private final MacAddress mac;
    private final Wire.Notifier notifier;
    private final Liveness liveness;
    private final WireParams params;
    private final ReentrantLock tx = new ReentrantLock();
    private volatile Backoff backoff = Backoff.threadLocal();
    private volatile boolean promiscuous;
    private boolean shut;
    private volatile long[] groups;

    Station(Wire wire, int index, MacAddress mac, Wire.Notifier notifier, Liveness liveness) {
        this.wire = wire;
        this.liveness = liveness;
        this.s = wire.segment();
        this.index = index;
        this.base = stationBase(index);
        this.mac = mac;
        this.notifier = notifier;
        this.params = wire.params();
        this.promiscuous = (getInt(s, base + ST_FLAGS) & 1) != 0;
        int n = getInt(s, base + ST_GROUPS);
        long[] g = new long[n];
        for (int i = 0; i < n; i++) {
            g[i] = getLong(s, base + ST_GROUP0 + 8L * i);
        }
        this.groups = g;
    }

    public Wire wire() {
        return wire;
    }

    public int index() {
        return index;
    }

    public MacAddress mac() {
        return mac;
    }

    /** Uses {@code b} for backoff (tests make it deterministic). */
    void backoff(Backoff b) {
        backoff = b;
    }

    /** What became of a frame handed to {@link #transmit}. */
    public enum Outcome {
        SENT, EXCESSIVE_COLLISIONS
    }

    /**
     * Puts {@code frame} (encoded, FCS included) on the wire. Blocks while the wire is busy
     * (deferring) and while backing off; one frame at a time per station.
     */
    public Outcome transmit(byte[] frame, int length) {
        checkLength(length);
        tx.lock();
        try {
            return transmitLocked(frame, length, false, null);
        } finally {
            tx.unlock();
        }
    }

    /**
     * Fault injection: {@link #transmit}, but {@code stall} runs while this station holds the
     * carrier (SENDING, its frame in the ring, not committed yet), as a holder preempted or
     * stopped right there. A live holder keeps the carrier however long {@code stall} takes
     * (up to {@link #HUNG_NANOS}), and its frame arrives.
     */
    public Outcome transmitStalling(byte[] frame, int length, Runnable stall) {
        checkLength(length);
        tx.lock();
        try {
            return transmitLocked(frame, length, false, stall);
        } finally {
            tx.unlock();
        }
    }

    /**
     * A holder alive but holding the carrier this long is hung, not preempted (the root's hang
     * detection ends such a vnode in about this time too): it is cut like a dead one, so that
     * a wedged driver cannot silence its network for good.
     */
    public static final long HUNG_NANOS = 1_000_000_000L;

    /** How often a live holder past the jabber timeout is asked about again (a /proc read each). */
    static final long RECHECK_NANOS = 250_000;

    /** The carrier word last found held by a live holder, and when (under tx). */
    private long aliveWord;
    private long aliveAt;

    /**
     * Whether the holder of carrier {@code c}, held past the jabber timeout, is gone: hung
     * ({@link #HUNG_NANOS}), its station detached (its vnode shut down), the word older than
     * the station's attachment (taken by an earlier incarnation of that vnode), or its driver's
     * process or vnode gone ({@link Liveness}). Only asked on the slow path, at most every
     * {@link #RECHECK_NANOS} per word while the holder lives. Under tx.
     */
    private boolean holderGone(long c, long now) {
        long age = age(c, now);
        if (age > HUNG_NANOS) {
            return true;
        }
        if (c == aliveWord && now - aliveAt < RECHECK_NANOS) {
            return false;
        }
        long b = stationBase(holder(c));
        boolean gone = getInt(s, b + ST_STATE) != 1
                || age > age(getLong(s, b + ST_ATTACHED), now)
                || liveness.gone(getInt(s, b + ST_VNODE), getLong(s, b + ST_PID));
        if (!gone) {
            aliveWord = c;
            aliveAt = now;
        }
        return gone;
    }

    private static void checkLength(int length) {
        if (length > SLOT_SIZE - SLOT_HEADER || length < 0) {
            throw new IllegalArgumentException("a frame of " + length + " bytes does not fit a ring slot");
        }
    }

    /**
     * 802.3z frame bursting (clause 4.2.3.2.7): a station that has sent a frame may start
     * another without giving up the carrier while fewer than this many bytes have gone out in
     * the burst (burstLimit, 65,536 bit times); the others keep deferring meanwhile.
     */
    public static final int BURST_LIMIT = 8192;

    /** The carrier word this station holds between the frames of a burst (under tx), or 0. */
    private long held;

    /**
     * Puts {@code count} frames on the wire as {@link #transmit} does each, in bursts: the
     * first frame of a burst contends for the carrier (CSMA/CD, its vulnerable window), the
     * ones after it go out while the carrier is held, up to {@link #BURST_LIMIT} bytes a
     * burst. Returns how many were sent: fewer than {@code count} if the frame at that index
     * was given up after 16 collisions.
     */
    public int transmit(byte[][] frames, int[] lengths, int count) {
        for (int i = 0; i < count; i++) {
            checkLength(lengths[i]);
        }
        tx.lock();
        try {
            int i = 0;
            while (i < count) {
                boolean more = i + 1 < count;
                if (transmitLocked(frames[i], lengths[i], more, null) == Outcome.EXCESSIVE_COLLISIONS) {
                    return i;
                }
                int burst = lengths[i++];
                boolean sent = false;
                while (held != 0 && i < count && burst < BURST_LIMIT) {
                    if (!continueBurst(frames[i], lengths[i], i + 1 < count && burst + lengths[i] < BURST_LIMIT)) {
                        break; // the carrier was cut: this frame contends again
                    }
                    burst += lengths[i++];
                    sent = true;
                }
                release();
                if (sent) {
                    interruptReceivers();
                }
            }
            return count;
        } finally {
            release();
            tx.unlock();
        }
    }

    /** A frame of the burst under way, sent on the held carrier; false if it was cut meanwhile. */
    private boolean continueBurst(byte[] frame, int length, boolean hold) {
        long sending = held;
        long seq = write(frame, length); // the carrier is ours: nobody else writes the ring
        if (!send(seq, length, sending, System.nanoTime(), hold)) {
            held = 0;
            count(Counter.TX_CARRIER_LOST, 1);
            count(Counter.TX_ERRORS, 1);
            return false;
        }
        count(Counter.TX_PACKETS, 1);
        count(Counter.TX_BYTES, length);
        return true;
    }

    /** Lets go of a carrier held for a burst (if a jabber cut has not taken it already). */
    private void release() {
        if (held != 0) {
            casLong(s, OFF_CARRIER, held, carrier(IDLE, 0, System.nanoTime()));
            held = 0;
        }
    }

    /**
     * No more transmissions: waits for one under way, then refuses the next (the wire's bridge
     * is about to be closed; its memory must not be written after).
     */
    public void shutdown() {
        tx.lock();
        try {
            shut = true;
        } finally {
            tx.unlock();
        }
    }

    /** {@code hold}: keep the carrier after the frame (a burst goes on); see {@link #held}. */
    private Outcome transmitLocked(byte[] frame, int length, boolean hold, Runnable stall) {
        if (shut) {
            throw new IllegalStateException("the NIC of " + mac + " on network " + wire.network() + " is closed");
        }
        int collisions = 0;
        boolean deferred = false;
        while (true) {
            // 1. Carrier sense and the interframe gap.
            long c;
            long now;
            boolean collided = false;
            int spins = 0;
            while (true) {
                c = getLong(s, OFF_CARRIER);
                now = System.nanoTime();
                int state = state(c);
                if (state == IDLE) {
                    if (age(c, now) >= params.gapNanos()) {
                        break;
                    }
                } else if (state == COMMIT) {
                    complete(c); // its frame is written: finish publishing it, whoever's it is
                    deferred = true;
                    continue;
                } else if (age(c, now) > params.jabberNanos() && holderGone(c, now)) {
                    if (casLong(s, OFF_CARRIER, c, carrier(IDLE, 0, now))) {
                        count(Counter.JABBER_CUTS, 1);
                    }
                    continue;
                } else if (state == OPEN && holder(c) != index) {
                    // 3. Its signal has not reached us: we send too, and both collide.
                    if (casLong(s, OFF_CARRIER, c, carrier(COLLIDED, holder(c), c))) {
                        collided = true;
                        break;
                    }
                    continue;
                } else {
                    deferred = true;
                }
                spin(spins++);
            }
            if (!collided) {
                // 2. Start transmitting: the vulnerable window opens.
                long mine = carrier(OPEN, index, now);
                if (!casLong(s, OFF_CARRIER, c, mine)) {
                    continue; // someone started first: sense again (and collide if still in its window)
                }
                // The frame's bits go out during the window, as on a cable: it is written into
                // the ring's next slot now, and published only once the window has closed
                // without a collision (a collided one stays unpublished, for the next writer).
                long seq = write(frame, length);
                long current;
                do {
                    Thread.onSpinWait();
                    current = getLong(s, OFF_CARRIER);
                } while (current == mine && age(mine, System.nanoTime()) < params.slotTimeNanos());
                long sending = carrier(SENDING, index, now);
                if (current == mine && casLong(s, OFF_CARRIER, mine, sending)) {
                    if (stall != null) {
                        stall.run();
                    }
                    if (send(seq, length, sending, now, hold)) {
                        count(Counter.TX_PACKETS, 1);
                        count(Counter.TX_BYTES, length);
                        if (deferred) {
                            count(Counter.DEFERRALS, 1);
                        }
                        interruptReceivers();
                        return Outcome.SENT;
                    }
                    count(Counter.TX_CARRIER_LOST, 1);
                    count(Counter.TX_ERRORS, 1);
                    continue;
                }
                // 4. Collision detected: jam (release the carrier) and back off.
                long collidedWord = carrier(COLLIDED, index, now);
                casLong(s, OFF_CARRIER, collidedWord, carrier(IDLE, 0, System.nanoTime()));
            }
            count(Counter.COLLISIONS, 1);
            collisions++;
            if (Backoff.excessive(collisions)) {
                count(Counter.EXCESSIVE_COLLISIONS, 1);
                count(Counter.TX_ERRORS, 1);
                return Outcome.EXCESSIVE_COLLISIONS;
            }
            long wait = backoff.slots(collisions) * params.slotTimeNanos();
            long until = System.nanoTime() + wait;
            int n = 0;
            while (System.nanoTime() < until) {
                spin(n++);
            }
        }
    }

    /**
     * Fault injection: takes the carrier as a station in the middle of a frame would, and
     * returns without letting go, as a station that dies or stalls there. The others cut it
     * after the jabber timeout once this station's process is gone (or after
     * {@link #HUNG_NANOS}). Waits for the carrier to be idle first.
     */
    public void seizeCarrier() {
        while (true) {
            long c = getLong(s, OFF_CARRIER);
            long now = System.nanoTime();
            if (state(c) == IDLE && casLong(s, OFF_CARRIER, c, carrier(SENDING, index, now))) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * 2. Writes the frame into the ring's next slot, unpublished, while the carrier is OPEN(me)
     * (nobody else writes the ring then, and the head cannot move); returns its sequence.
     */
    private long write(byte[] frame, int length) {
        long seq = getLong(s, OFF_HEAD);
        long slot = slotBase(seq, params.slots());
        setLong(s, slot + SL_SEQ, -1);
        setLong(s, slot + SL_COMMIT, -1);
        VarHandle.storeStoreFence();
        setInt(s, slot + SL_LENGTH, length);
        java.time.Instant t = java.time.Instant.now();
        setLong(s, slot + SL_TIME, t.getEpochSecond() * 1_000_000 + t.getNano() / 1000);
        MemorySegment.copy(frame, 0, s, ValueLayout.JAVA_BYTE, slot + SLOT_HEADER, length);
        setInt(s, slot + SL_STATION, index); // after the bytes: a stalled writer that resumes marks what it overwrote
        return seq;
    }

    /**
     * 5. Publishes the frame {@link #write} put in slot {@code seq}; false if the carrier was
     * cut meanwhile. {@code hold}: takes the carrier again right after (see {@link #held}).
     */
    private boolean send(long seq, int length, long sending, long start, boolean hold) {
        long slot = slotBase(seq, params.slots());
        setLong(s, slot + SL_SEQ, seq);
        long busy = params.transmitNanos(length);
        if (busy > 0) {
            int n = 0;
            while (System.nanoTime() - start < busy) {
                spin(n++);
            }
        }
        // The commit point: SENDING to COMMIT(sequence), by CAS. A holder whose carrier was cut
        // (it stalled past the jabber timeout) fails here and retries; from COMMIT on, the
        // frame is published exactly once, by this station or by whoever finds the word.
        long commit = carrier(COMMIT, index, seq);
        if (!casLong(s, OFF_CARRIER, sending, commit)) {
            return false;
        }
        if (!hold) {
            held = 0;
            complete(commit);
            return true;
        }
        // As complete(), but the carrier goes from COMMIT straight to SENDING(me) again, for
        // the burst's next frame. Whoever finished this commit first may have freed the
        // carrier already: the burst then ends, and the next frame contends.
        publish(seq, commit);
        long again = carrier(SENDING, index, System.nanoTime());
        held = casLong(s, OFF_CARRIER, commit, again) ? again : 0;
        return true;
    }

    /** Publishes the frame a COMMIT word names (if nobody has) and releases the carrier. */
    private void complete(long commit) {
        publish(committing(commit), commit);
        casLong(s, OFF_CARRIER, commit, carrier(IDLE, 0, System.nanoTime()));
    }

    /** Stamps and publishes the frame of a COMMIT word (if nobody has). */
    private void publish(long seq, long commit) {
        long slot = slotBase(seq, params.slots());
        // Stamped only while the slot still holds this sequence, and only once: a completer that
        // stalls past a whole lap of the ring must not stamp the frame written there since.
        if (getLong(s, slot + SL_SEQ) == seq) {
            casLong(s, slot + SL_COMMIT, -1, stamp(seq, holder(commit)));
        }
        casLong(s, OFF_HEAD, seq, seq + 1);
    }

    private void interruptReceivers() {
        VarHandle.fullFence(); // the head's publication before the armed flags are read (see arm())
        for (int i = 0; i < STATIONS; i++) {
            if (i == index) {
                continue;
            }
            long b = stationBase(i);
            if (getInt(s, b + ST_STATE) == 1 && getInt(s, b + ST_ARMED) == 1 && casInt(s, b + ST_ARMED, 1, 0)) {
                notifier.interrupt(getInt(s, b + ST_VNODE), getInt(s, b + ST_VECTOR));
            }
        }
    }

    private static void spin(int n) {
        if (n < 2_000) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /** A frame delivered to this station, decoded (tests and the slow path). */
    public interface Sink {
        void frame(EthernetFrame frame, byte[] wireBytes);
    }

    /**
     * A frame delivered to this station, in place: {@code length} bytes of {@code frame} from
     * 0, FCS checked (and still there). The array is the station's receive buffer, valid only
     * during the call.
     */
    public interface RawSink {
        void frame(byte[] frame, int length);
    }

    /** Delivers up to {@code budget} frames decoded; see {@link #pollInPlace}. */
    public int poll(Sink sink, int budget) {
        return pollInPlace((frame, length) -> sink.frame(FrameCodec.frame(frame, length),
                java.util.Arrays.copyOf(frame, length)), budget);
    }

    /** The receive buffer: one poller at a time (the driver's poll lock), one frame at a time. */
    private final byte[] rx = new byte[SLOT_SIZE - SLOT_HEADER];
    private final java.util.zip.CRC32 crc = new java.util.zip.CRC32();

    private static final VarHandle DESTINATION =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN).varHandle();

    /**
     * Delivers up to {@code budget} frames that arrived for this station; returns how many it
     * looked at (frames for others are skipped without counting against the budget). A frame
     * is looked at in the ring first (sequence, sender, destination): only one for this station
     * is copied out, once, into the receive buffer, where its FCS is checked and the sink reads it.
     */
    public int pollInPlace(RawSink sink, int budget) {
        long cursor = getLong(s, base + ST_CURSOR);
        long head = wire.head();
        if (cursor >= head) {
            return 0; // nothing arrived: not counted as a poll (busy pollers ask all the time)
        }
        count(Counter.POLLS, 1);
        int slots = params.slots();
        int delivered = 0;
        long packets = 0;
        long bytes = 0;
        try {
            while (delivered < budget) {
                if (cursor >= head) {
                    head = wire.head();
                    if (cursor >= head) {
                        break;
                    }
                }
                if (head - cursor > slots) {
                    count(Counter.RX_OVERRUNS, head - cursor - slots);
                    count(Counter.RX_DROPPED, head - cursor - slots);
                    cursor = head - slots;
                }
                long sequence = cursor++;
                setLong(s, base + ST_CURSOR, cursor);
                long slot = slotBase(sequence, slots);
                if (getLong(s, slot + SL_SEQ) != sequence) {
                    count(Counter.RX_OVERRUNS, 1);
                    count(Counter.RX_DROPPED, 1);
                    continue;
                }
                int length = getInt(s, slot + SL_LENGTH);
                int station = getInt(s, slot + SL_STATION);
                if (station == index) {
                    continue; // our own: not copied
                }
                if (length >= 6 && !accepts((long) DESTINATION.get(s, slot + SLOT_HEADER) >>> 16)) {
                    continue; // for others (a frame overwritten meanwhile was lost anyway)
                }
                if (length < 0 || length > rx.length) {
                    count(Counter.RX_OVERRUNS, 1); // a slot being rewritten: its frame is gone
                    count(Counter.RX_DROPPED, 1);
                    continue;
                }
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, slot + SLOT_HEADER, rx, 0, length);
                VarHandle.loadLoadFence(); // the copy happens before the second look
                if (getLong(s, slot + SL_SEQ) != sequence || getInt(s, slot + SL_STATION) != station) {
                    count(Counter.RX_OVERRUNS, 1);
                    count(Counter.RX_DROPPED, 1);
                    continue;
                }
                if (getLong(s, slot + SL_COMMIT) != stamp(sequence, station)) {
                    if (getLong(s, slot + SL_SEQ) != sequence) {
                        // The next lap's writer had begun (it clears the sequence before the
                        // stamp): the frame was overrun, not damaged.
                        count(Counter.RX_OVERRUNS, 1);
                        count(Counter.RX_DROPPED, 1);
                        continue;
                    }
                    count(Counter.RX_ERRORS, 1); // a writer whose carrier was cut overwrote the committed frame
                    count(Counter.RX_DAMAGED, 1);
                    continue;
                }
                delivered++;
                FrameCodec.Defect defect = FrameCodec.check(rx, length, crc);
                if (defect != null) {
                    count(Counter.RX_ERRORS, 1);
                    count(switch (defect) {
                        case RUNT -> Counter.RX_RUNTS;
                        case OVERSIZE -> Counter.RX_OVERSIZE;
                        case BAD_FCS -> Counter.RX_BAD_FCS;
                    }, 1);
                    continue;
                }
                packets++;
                bytes += length;
                sink.frame(rx, length);
            }
        } finally {
            count(Counter.RX_PACKETS, packets); // once per poll: the wire's counters are shared memory
            count(Counter.RX_BYTES, bytes);
        }
        return delivered;
    }

    /** Whether frames are waiting (the cursor is behind the head). */
    public boolean pending() {
        return getLong(s, base + ST_CURSOR) < wire.head();
    }

    /**
     * NAPI: asks for a portal interrupt with the next frame. Returns true if frames are already
     * waiting, in which case the caller should poll again (and {@link #disarm()}).
     */
    public boolean arm() {
        setInt(s, base + ST_ARMED, 1);
        VarHandle.fullFence();
        return pending();
    }

    /** Whether this station asked for an interrupt with the next frame. */
    public boolean armed() {
        return getInt(s, base + ST_ARMED) == 1;
    }

    /** NAPI: no interrupts while polling. */
    public void disarm() {
        setInt(s, base + ST_ARMED, 0);
    }

    private boolean accepts(long dest) {
        if (dest == mac.value() || dest == MacAddress.BROADCAST.value() || promiscuous) {
            return true;
        }
        if ((dest >>> 40 & 1) != 0) {
            for (long g : groups) {
                if (g == dest) {
                    return true;
                }
            }
        }
        return false;
    }

    public void promiscuous(boolean on) {
        synchronized (this) {
            promiscuous = on;
            int flags = getInt(s, base + ST_FLAGS);
            setInt(s, base + ST_FLAGS, on ? flags | 1 : flags & ~1);
        }
    }

    public boolean promiscuous() {
        return promiscuous;
    }

    /**
     * Receives frames sent to multicast group {@code group}.
     *
     * @throws IllegalArgumentException if {@code group} is not a multicast address, or this
     *         station is in {@link WireLayout#MAX_GROUPS} groups already
     */
    public void join(MacAddress group) {
        if (!group.isMulticast() || group.isBroadcast()) {
            throw new IllegalArgumentException(group + " is not a multicast group address (the first byte's low bit is 0)");
        }
        synchronized (this) {
            for (long g : groups) {
                if (g == group.value()) {
                    return;
                }
            }
            if (groups.length == MAX_GROUPS) {
                throw new IllegalArgumentException("station " + mac + " is in " + MAX_GROUPS
                        + " multicast groups already; leave one first");
            }
            long[] next = java.util.Arrays.copyOf(groups, groups.length + 1);
            next[groups.length] = group.value();
            storeGroups(next);
        }
    }

    public void leave(MacAddress group) {
        synchronized (this) {
            storeGroups(java.util.Arrays.stream(groups).filter(g -> g != group.value()).toArray());
        }
    }

    public List<MacAddress> groups() {
        List<MacAddress> list = new ArrayList<>();
        for (long g : groups) {
            list.add(new MacAddress(g));
        }
        return list;
    }

    private void storeGroups(long[] next) {
        for (int i = 0; i < next.length; i++) {
            setLong(s, base + ST_GROUP0 + 8L * i, next[i]);
        }
        setInt(s, base + ST_GROUPS, next.length);
        groups = next;
    }

    /** This station's counters, as the wire holds them. */
    public Wire.StationView view() {
        return wire.view(index);
    }

    public long counter(Counter c) {
        return getLong(s, WireLayout.counter(index, c));
    }

    /** A portal interrupt woke this station's receiver. */
    public void countInterrupt() {
        count(Counter.INTERRUPTS, 1);
    }

    void count(Counter c, long delta) {
        add(s, WireLayout.counter(index, c), delta);
    }

    /** Leaves the wire for good (the vnode shuts down); a new attach starts afresh. */
    public void detach() {
        wire.detach(index);
    }
}
