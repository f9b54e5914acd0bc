package org.smpcluster.vnet.transport;

import java.io.EOFException;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.smpcluster.api.vnet.Connection;
import org.smpcluster.vnet.ip.UdpSocketImpl;
import org.smpcluster.vnet.nic.Subnet;

/**
 * One end of a transport connection.
 *
 * <p>Sending: a small message is copied at once into the records of the segment being filled
 * (a larger one queues as it is, to be cut into pieces); segments go out while fewer than the
 * peer's window (and {@link #MAX_IN_FLIGHT}) are unacknowledged, their frames built outside
 * the lock and handed to the wire together (in bursts). A small segment is
 * held back while earlier ones are unacknowledged (Nagle), so that a sender that outruns the
 * round trip packs many messages per frame; the acknowledgement releases the next segment.
 * The oldest unacknowledged segments (up to 16) are sent again after the retransmission timeout
 * (which doubles, up to 200 ms, until an acknowledgement comes), the oldest alone after three
 * duplicate acknowledgements; the receiver
 * keeps what came after a hole, and each partial acknowledgement resends the next hole.
 *
 * <p>Receiving: the receive thread checks an in-order segment's records and queues them, one
 * copy per segment; the application's {@code receive} takes them apart into messages, under a
 * lock of its own (one reader at a time), so that the receive thread and the reader meet once
 * per segment (a lock-free queue), not once per message. Out-of-order segments wait in a
 * map; duplicates are dropped and acknowledged at once. Every 16th segment,
 * a gap and a window that opens again are acknowledged at once; a segment with PSH within 20 µs
 * (riding on the application's reply if it sends one by then, or alone when the receive thread
 * runs out of frames), anything else within 1 ms.
 */
final class ConnectionImpl implements Connection {

    static final int MSS = org.smpcluster.api.vnet.UdpSocket.MAX_PAYLOAD - Segment.HEADER;
    static final int WINDOW = 512;
    /**
     * Segments acknowledged at once: an eighth of what may be in flight, so that the sender
     * always has room while the acknowledgement travels (each costs a frame both ways).
     */
    static final int ACK_EVERY = 16;
    static final int MAX_IN_FLIGHT = 128;
    static final long SEND_BUFFER = 4L << 20;
    static final long RTO_MIN_NANOS = 5_000_000;
    static final long RTO_MAX_NANOS = 200_000_000;
    static final int RTO_BURST = 16;
    static final long ACK_DELAY_NANOS = 1_000_000;
    static final long PIGGYBACK_NANOS = 20_000;
    static final long DEAD_PEER_NANOS = 10_000_000_000L;
    static final long RECEIVE_SPIN_NANOS = 50_000;
    static final long LINGER_NANOS = 5_000_000_000L;

    private final TransportImpl transport;
    private final UdpSocketImpl socket;
    private final boolean ownsSocket;
    final int localId;
    volatile int remoteId;
    final int remoteIp;
    final int remotePort;

    final ReentrantLock lock = new ReentrantLock();
    /**
     * Datagrams cut and stamped under {@link #lock}, put on the wire after it is released (a
     * transmission may wait for the carrier; the receive thread must never wait for that).
     */
    private final java.util.ArrayDeque<Outgoing> outbox = new java.util.ArrayDeque<>();

    /** Frames taken from the outbox at a time, to go out back to back. */
    static final int OUTBOX_BATCH = 16;

    /** A datagram of {@code length} bytes in a frame built around it by {@link UdpSocketImpl#frame}. */
    private record Outgoing(byte[] header, byte[] segment, int length) {
        /**
         * The frame for the wire: the stamped header, then the segment's records (a segment
         * is not written after it is cut, so this copy needs no lock).
         */
        byte[] frame() {
            byte[] frame = UdpSocketImpl.frame(length);
            System.arraycopy(header, 0, frame, UdpSocketImpl.PAYLOAD, Segment.HEADER);
            if (segment != null) {
                System.arraycopy(segment, Segment.HEADER, frame, UdpSocketImpl.PAYLOAD + Segment.HEADER,
                        length - Segment.HEADER);
            }
            return frame;
        }
    }

    /** The outbox's size, written under the lock, read without it: most calls have nothing to send. */
    private volatile int outboxSize;
    /** One sender at a time, so that the outbox goes out in order. */
    private final ReentrantLock sending = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Send side.
    /**
     * What is not cut into segments yet, in order: messages (byte[], the first perhaps partly
     * cut, up to queueOffset) and blocks of small messages laid out as records already.
     */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private int queueOffset;
    /** The record bytes queued (a message's bytes and its record header), the open block's included. */
    private long queuedBytes;
    /**
     * Small messages are copied at send into the records of a segment to be (as a stream's
     * write copies into the socket buffer), which goes out whole: no copy and no queue entry
     * per message when segments are cut. The open block comes after everything in the queue.
     */
    private byte[] open;
    private int openAt;
    /** The largest message copied into a block; larger ones are queued as they are. */
    static final int SMALL = 512;

    /** A segment's bytes: header room, then records up to {@code length}. */
    private record Block(byte[] bytes, int length) {
    }
    private final ArrayDeque<Sent> unacked = new ArrayDeque<>();
    private long nextSeq = 1;
    private int peerWindow = WINDOW;
    private long rto = RTO_MIN_NANOS * 2;
    private long lastProgress = System.nanoTime();
    private boolean finQueued;
    private boolean lingering;
    private long lingerUntil;
    private long lastAck = 1;
    private int dupAcks;
    private long recoverPoint;
    private boolean finAcked;

    // Receive side, the receive thread's (under lock).
    private long rcvNext = 1;
    /** Segments after a hole, header included. */
    private final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();
    /** Record bytes ever put in {@link #chunks}. */
    private long appendedBytes;
    /** Set after the chunks before the FIN are queued: a reader that sees it and no chunk is at the end. */
    private volatile boolean peerClosed;
    private int unackedArrivals;
    private long ackDue;
    /** In the transport's list of connections with an acknowledgement pending (under the lock). */
    boolean ackListed;
    /** The window was advertised shut: the reader tells the sender when it opens again. */
    private volatile boolean windowWasShut;

    // Between the receive thread and the reader: the records of in-order segments, one array per
    // segment, checked, in order; and the record bytes the reader is done with (for the window).
    private final ConcurrentLinkedQueue<byte[]> chunks = new ConcurrentLinkedQueue<>();
    private final AtomicLong consumedBytes = new AtomicLong();

    // The reader's (under reading): where it is in the current chunk, and a message that spans
    // chunks, assembled from its pieces.
    /**
     * One reader at a time. Held only while a message is taken, never while a reader waits,
     * so a CAS and a release store do (a lock's release fences, once per message).
     */
    @SuppressWarnings("unused") // through READING
    private volatile int reading;
    private byte[] chunk;
    private int chunkAt;
    private byte[] partial = new byte[0];
    private int partialLength;
    private byte[] assembled;
    /** The message {@link #nextMessage} found: in {@code found} at {@code foundAt}, {@code foundLength} bytes. */
    private byte[] found;
    private int foundAt;
    private int foundLength;

    volatile boolean established;
    private volatile String failure;

    // Counters.
    private long messagesSent;
    /** Written by the reader alone (under reading), read for stats without it. */
    private long messagesReceived;
    private long segmentsSent;
    private long segmentsReceived;
    private long retransmissions;
    private long duplicates;
    private long windowStalls;

    /** A segment sent and not acknowledged yet: its first {@code length} bytes of {@code bytes}. */
    private record Sent(long seq, byte[] bytes, int length, int type, long[] sentAt) {
        Sent(long seq, byte[] bytes, int type, long[] sentAt) {
            this(seq, bytes, bytes.length, type, sentAt);
        }
    }

    ConnectionImpl(TransportImpl transport, UdpSocketImpl socket, boolean ownsSocket, int localId, int remoteIp,
            int remotePort) {
        this.transport = transport;
        this.socket = socket;
        this.ownsSocket = ownsSocket;
        this.localId = localId;
        this.remoteIp = remoteIp;
        this.remotePort = remotePort;
    }

    @Override
    public Inet4Address remoteAddress() {
        return Subnet.inet(remoteIp);
    }

    @Override
    public int remotePort() {
        return remotePort;
    }

    @Override
    public int localPort() {
        return socket.port();
    }

    // Sending.

    @Override
    public void send(byte[] message) throws IOException {
        if (message.length > MAX_MESSAGE) {
            throw new IllegalArgumentException("a message of " + message.length + " bytes; at most " + MAX_MESSAGE);
        }
        boolean windowFull;
        lock.lock();
        try {
            int record = Segment.RECORD_HEADER + message.length;
            while (queuedBytes > 0 && queuedBytes + record > SEND_BUFFER && failure == null && !finQueued) {
                windowStalls++;
                // The acknowledgements that make room may be on the wire already: take them
                // here rather than wait for the receive thread to be scheduled.
                lock.unlock();
                boolean found;
                try {
                    flushOutbox();
                    found = transport.poll();
                } finally {
                    lock.lock();
                }
                if (!found) {
                    awaitChange(1);
                }
                checkPeerAlive();
            }
            if (failure != null) {
                throw new SocketException(failure);
            }
            if (finQueued) {
                throw new SocketException("the connection is closed");
            }
            if (message.length <= SMALL) {
                if (open != null && openAt + record > open.length) {
                    closeBlock();
                }
                if (open == null) {
                    open = new byte[Segment.HEADER + MSS];
                    openAt = Segment.HEADER;
                }
                BIG_ENDIAN_INT.set(open, openAt, message.length);
                System.arraycopy(message, 0, open, openAt + Segment.RECORD_HEADER, message.length);
                openAt += record;
            } else {
                closeBlock(); // it goes before this message
                queue.add(message);
            }
            queuedBytes += record;
            messagesSent++;
            pump();
            windowFull = !unacked.isEmpty() && unacked.size() >= Math.min(peerWindow, MAX_IN_FLIGHT);
        } finally {
            lock.unlock();
        }
        flushOutbox();
        if (windowFull) {
            // As a send on Linux runs the receive work its CPU has pending: the acknowledgement
            // that opens the window is taken (and what it releases sent) by this thread, if
            // nobody else is polling, instead of after a switch to the receive thread.
            transport.poll();
            flushOutbox();
        }
    }

    private void checkPeerAlive() {
        if (!unacked.isEmpty() && System.nanoTime() - lastProgress > DEAD_PEER_NANOS) {
            fail("the peer " + Subnet.text(remoteIp) + ":" + remotePort + " acknowledged nothing for "
                    + DEAD_PEER_NANOS / 1_000_000_000 + " s");
        }
    }

    /** Queues the open block, if any. Under the lock. */
    private void closeBlock() {
        if (open != null) {
            queue.add(new Block(open, openAt));
            open = null;
        }
    }

    /** Nothing is queued to be cut. Under the lock. */
    private boolean drained() {
        return queue.isEmpty() && open == null;
    }

    /** Cuts and sends segments while the window allows. Under the lock. */
    void pump() {
        // One segment may always be in flight: it probes a window the peer shut.
        while (established && failure == null && unacked.size() < Math.max(1, Math.min(peerWindow, MAX_IN_FLIGHT))) {
            if (drained()) {
                if (finQueued && !finSent()) {
                    transmit(new Sent(nextSeq++, Segment.header(Segment.FIN, Segment.PSH, 0, 0, 0, 0, 0), Segment.FIN,
                            new long[1]));
                }
                return;
            }
            if (!unacked.isEmpty() && queuedBytes < MSS) {
                return; // Nagle: the acknowledgement of what is in flight will send this with more
            }
            transmit(cut());
        }
    }

    private boolean finSent() {
        return unacked.stream().anyMatch(s -> s.type() == Segment.FIN) || finAcked;
    }

    /** A DATA segment: a block whole, or as many queued messages' records as fit. */
    private Sent cut() {
        if (queue.isEmpty()) {
            closeBlock(); // nothing else is queued: the open block goes as it is
        }
        if (queue.peek() instanceof Block block) {
            queue.poll();
            queuedBytes -= block.length() - Segment.HEADER;
            block.bytes()[0] = (byte) Segment.DATA;
            return new Sent(nextSeq++, block.bytes(), block.length(), Segment.DATA, new long[1]);
        }
        byte[] bytes = new byte[Segment.HEADER + MSS];
        int at = Segment.HEADER;
        while (queue.peek() instanceof byte[] m && bytes.length - at > Segment.RECORD_HEADER) {
            int left = m.length - queueOffset;
            int piece = Math.min(left, bytes.length - at - Segment.RECORD_HEADER);
            boolean more = piece < left;
            BIG_ENDIAN_INT.set(bytes, at, (more ? 0x8000_0000 : 0) | piece);
            System.arraycopy(m, queueOffset, bytes, at + Segment.RECORD_HEADER, piece);
            at += Segment.RECORD_HEADER + piece;
            queuedBytes -= piece;
            if (more) {
                queueOffset += piece;
                break;
            }
            queuedBytes -= Segment.RECORD_HEADER;
            queue.poll();
            queueOffset = 0;
        }
        if (at < bytes.length) {
            bytes = java.util.Arrays.copyOf(bytes, at);
        }
        bytes[0] = (byte) Segment.DATA;
        return new Sent(nextSeq++, bytes, Segment.DATA, new long[1]);
    }

    /** Stamps the segment's header (sequence, ack, window, id, PSH on the last of a burst) and sends it. */
    private void transmit(Sent s) {
        unacked.add(s);
        send(s, true);
    }

    private void send(Sent s, boolean first) {
        // A header of its own for this transmission; the frame is built around it and the
        // records outside the lock (the segment's one copy on its way out).
        byte[] header = new byte[Segment.HEADER];
        ByteBuffer b = ByteBuffer.wrap(header);
        b.put(0, (byte) s.type());
        boolean last = drained() || unacked.size() >= Math.min(peerWindow, MAX_IN_FLIGHT);
        b.put(1, (byte) (last || s.type() == Segment.FIN ? Segment.PSH : 0));
        b.putShort(2, (short) Math.min(window(), 0xFFFF));
        b.putInt(4, remoteId);
        b.putLong(8, s.seq());
        b.putLong(16, rcvNext);
        s.sentAt()[0] = System.nanoTime();
        segmentsSent++;
        if (!first) {
            retransmissions++;
        }
        unackedArrivals = 0;
        ackDue = 0;
        outbox.add(new Outgoing(header, s.bytes(), s.length())); // sent by flushOutbox(), outside the lock
        outboxSize = outbox.size();
    }

    /** The timer: retransmits after the timeout, sends due acknowledgements. Under the lock. */
    void tick(long now) {
        if (lingering) {
            if (peerClosed || now > lingerUntil) {
                lingering = false;
                release();
            }
            return;
        }
        if (failure != null) {
            return;
        }
        if (!unacked.isEmpty() && now - unacked.peek().sentAt()[0] > rto) {
            // The oldest few are resent (on a wire whose receiver overruns, one alone may well be
            // lost again); the receiver keeps what came after them, and each partial
            // acknowledgement resends the next hole (NewReno-style recovery).
            int n = 0;
            for (Sent s : unacked) {
                if (n++ == RTO_BURST) {
                    break;
                }
                send(s, false);
            }
            recoverPoint = nextSeq;
            rto = Math.min(rto * 2, RTO_MAX_NANOS);
            checkPeerAlive();
        }
        if (ackDue != 0 && now >= ackDue) {
            sendAck();
        }
    }

    /** Sends the acknowledgement if one is due ({@code force}: if one is pending at all). Under the lock. */
    boolean flushAck(long now, boolean force) {
        if (ackDue != 0 && (force || now >= ackDue)) {
            sendAck();
        }
        return ackDue != 0;
    }

    boolean busy() {
        return lingering || failure == null && (!unacked.isEmpty() || ackDue != 0);
    }

    // Receiving.

    /** A segment for this connection arrived (on the receive thread). Under the lock. */
    void segment(Segment s) {
        if (lingering) {
            if (s.type() == Segment.FIN && s.sequence() == rcvNext) {
                rcvNext++;
                peerClosed = true; // the timer lets the connection go
            }
            if (s.type() == Segment.DATA || s.type() == Segment.FIN) {
                sendAck(); // what the peer sends now has no reader; acknowledged so it stops
            }
            return;
        }
        if (failure != null) {
            return; // reset, closed or handed over: nothing more goes in
        }
        segmentsReceived++;
        if (s.type() == Segment.RST) {
            if (peerClosed) {
                // The peer closed and is gone: what it sent stays readable, our FIN needs no ack.
                finAcked = true;
                unacked.clear();
                queue.clear();
                open = null;
                queuedBytes = 0;
                changed.signalAll();
            } else {
                fail("reset by the peer");
            }
            return;
        }
        // Every segment but SYN carries the peer's cumulative acknowledgement and window.
        acknowledge(s.ack(), s.window(), s.type() == Segment.ACK);
        if (s.type() == Segment.ACK) {
            pump();
            return;
        }
        if (s.type() != Segment.DATA && s.type() != Segment.FIN) {
            return;
        }
        if (s.sequence() < rcvNext || outOfOrder.containsKey(s.sequence())) {
            duplicates++;
            sendAck();
            return;
        }
        if (s.sequence() >= rcvNext + WINDOW || (window() == 0 && s.type() == Segment.DATA)) {
            // Beyond the window we advertised, or no room left (the application stopped
            // reading): dropped, and the sender told the window again; it probes until it opens.
            sendAck();
            return;
        }
        if (s.sequence() > rcvNext) {
            outOfOrder.put(s.sequence(),
                    java.util.Arrays.copyOfRange(s.data(), s.offset() - Segment.HEADER, s.offset() + s.length()));
            sendAck(); // a gap: tell the sender at once
            return;
        }
        if (!take(s.type(), s.data(), s.offset(), s.length())) {
            return;
        }
        while (!outOfOrder.isEmpty() && outOfOrder.firstKey() == rcvNext) {
            byte[] next = outOfOrder.pollFirstEntry().getValue();
            if (!take(next[0], next, Segment.HEADER, next.length - Segment.HEADER)) {
                return;
            }
        }
        unackedArrivals++;
        if (unackedArrivals >= ACK_EVERY) {
            sendAck();
        } else if (ackDue == 0 || (s.flags() & Segment.PSH) != 0) { // else one is due sooner already
            // PSH: the sender waits for this acknowledgement. Give the application a moment to
            // answer, so that the acknowledgement rides on its reply; the receive thread sends
            // it alone when it runs out of frames to take.
            long due = System.nanoTime() + ((s.flags() & Segment.PSH) != 0 ? PIGGYBACK_NANOS : ACK_DELAY_NANOS);
            if (ackDue == 0 || due < ackDue) {
                ackDue = due;
                if (!ackListed) {
                    ackListed = true;
                    transport.ackPending(this);
                }
            }
        }
        changed.signalAll();
    }

    /**
     * Takes the in-order segment whose records are {@code length} bytes of {@code data} from
     * {@code offset}: checks that they are well formed and queues one copy of them for the
     * reader. False if the connection failed on a malformed segment.
     */
    private boolean take(int type, byte[] data, int offset, int length) {
        rcvNext++;
        if (type == Segment.FIN) {
            peerClosed = true;
            return true;
        }
        int at = offset;
        int end = offset + length;
        while (end - at >= Segment.RECORD_HEADER) {
            int records = (int) BIG_ENDIAN_INT.get(data, at) & 0x7FFF_FFFF;
            if (records > end - at - Segment.RECORD_HEADER) {
                break;
            }
            at += Segment.RECORD_HEADER + records;
        }
        if (at != end) {
            fail("a malformed segment from " + Subnet.text(remoteIp) + ":" + remotePort);
            return false;
        }
        if (length > 0) {
            chunks.add(java.util.Arrays.copyOfRange(data, offset, end));
            appendedBytes += length;
        }
        return true;
    }

    private static final java.lang.invoke.VarHandle BIG_ENDIAN_INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private void acknowledge(long ack, int window, boolean pure) {
        boolean progress = false;
        while (!unacked.isEmpty() && unacked.peek().seq() < ack) {
            Sent done = unacked.poll();
            if (done.type() == Segment.FIN) {
                finAcked = true;
            }
            progress = true;
        }
        peerWindow = window;
        if (progress) {
            lastProgress = System.nanoTime();
            rto = RTO_MIN_NANOS * 2;
            dupAcks = 0;
            if (recoverPoint != 0 && ack < recoverPoint && !unacked.isEmpty()) {
                send(unacked.peek(), false); // a partial acknowledgement: the next hole
            } else {
                recoverPoint = 0;
            }
            changed.signalAll();
        } else if (pure && ack == lastAck && !unacked.isEmpty() && ++dupAcks == 3 && recoverPoint == 0) {
            send(unacked.peek(), false); // three duplicate acknowledgements: fast retransmit
            recoverPoint = nextSeq;
        }
        lastAck = Math.max(lastAck, ack);
    }

    /** Segments' worth of room left for the peer to send into. */
    private int window() {
        long used = (appendedBytes - consumedBytes.get()) / MSS + outOfOrder.size();
        return (int) Math.max(0, WINDOW - used);
    }

    private void sendAck() {
        int w = window();
        windowWasShut = w == 0;
        byte[] header = Segment.header(Segment.ACK, 0, w, remoteId, 0, rcvNext, 0);
        unackedArrivals = 0;
        ackDue = 0;
        segmentsSent++;
        outbox.add(new Outgoing(header, null, header.length));
        outboxSize = outbox.size();
    }

    @Override
    public byte[] receive(Duration timeout) throws IOException, InterruptedException {
        long deadline = 0;
        for (boolean first = true;; first = false) {
            lockReading();
            try {
                if (failure != null) {
                    throw new SocketException(failure); // what is queued is not delivered (or was handed over)
                }
                boolean closed = peerClosed; // before looking: every chunk before the FIN is queued by then
                if (nextMessage()) {
                    byte[] m = found == assembled ? assembled
                            : java.util.Arrays.copyOfRange(found, foundAt, foundAt + foundLength);
                    taken();
                    return m;
                }
                if (closed) {
                    throw new EOFException("the peer closed the connection");
                }
            } finally {
                unlockReading();
                flushOutbox(); // an acknowledgement that the window opened again
            }
            if (first) {
                deadline = System.nanoTime() + timeout.toNanos(); // only when there is something to wait for
            }
            if (!await(deadline, first)) {
                return null;
            }
        }
    }

    @Override
    public int receive(byte[] buffer, int offset, int length, Duration timeout) throws IOException, InterruptedException {
        java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
        long deadline = 0;
        for (boolean first = true;; first = false) {
            lockReading();
            try {
                if (failure != null) {
                    throw new SocketException(failure);
                }
                boolean closed = peerClosed;
                if (nextMessage()) {
                    int n = foundLength;
                    if (n > length) {
                        throw new IllegalArgumentException("the next message has " + n + " bytes, the buffer room for "
                                + length + " (the message stays queued)");
                    }
                    System.arraycopy(found, foundAt, buffer, offset, n);
                    taken();
                    return n;
                }
                if (closed) {
                    throw new EOFException("the peer closed the connection");
                }
            } finally {
                unlockReading();
                flushOutbox();
            }
            if (first) {
                deadline = System.nanoTime() + timeout.toNanos();
            }
            if (!await(deadline, first)) {
                return -1;
            }
        }
    }

    private static final java.lang.invoke.VarHandle READING;

    static {
        try {
            READING = java.lang.invoke.MethodHandles.lookup().findVarHandle(ConnectionImpl.class, "reading", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private void lockReading() {
        while (!READING.weakCompareAndSetAcquire(this, 0, 1)) {
            Thread.yield(); // another reader is taking a message: a moment
        }
    }

    private void unlockReading() {
        READING.setRelease(this, 0);
    }

    /**
     * Waits until something may have arrived (or the connection changed), or {@code deadline}
     * (false then). {@code spin}: busy polls a little first (as SO_BUSY_POLL does), so that a
     * reply that comes within microseconds is taken without a futex wake-up.
     */
    private boolean await(long deadline, boolean spin) throws InterruptedException {
        long now = System.nanoTime();
        if (spin) {
            long spinUntil = Math.min(now + RECEIVE_SPIN_NANOS, deadline);
            transport.polling(true); // the receive thread stands aside: this thread takes what comes
            try {
                for (int n = 1; chunks.isEmpty() && failure == null && !peerClosed && now < spinUntil; n++) {
                    if (!transport.poll()) {
                        transport.flushAcks(false); // the receive thread's chore while it stands aside
                        if ((n & 255) == 0) {
                            Thread.yield(); // a vnode may have one CPU: now and then (some 20 µs), let others run
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    now = System.nanoTime();
                }
            } finally {
                transport.polling(false);
            }
        }
        if (!chunks.isEmpty() || failure != null || peerClosed) {
            return true;
        }
        lock.lock();
        try {
            // The receive thread queues chunks and signals under the lock: nothing is missed.
            while (chunks.isEmpty() && failure == null && !peerClosed) {
                long left = deadline - now;
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
                now = System.nanoTime();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under reading: finds the next complete message (in {@link #found}), taking chunks from
     * the queue as needed; false if none is complete yet.
     */
    private boolean nextMessage() {
        if (assembled != null) {
            found = assembled;
            foundAt = 0;
            foundLength = assembled.length;
            return true;
        }
        while (true) {
            if (chunk == null) {
                chunk = chunks.poll();
                if (chunk == null) {
                    return false;
                }
                chunkAt = 0;
            }
            int header = (int) BIG_ENDIAN_INT.get(chunk, chunkAt);
            int length = header & 0x7FFF_FFFF;
            int at = chunkAt + Segment.RECORD_HEADER;
            if (header < 0 || partialLength > 0) { // a piece of a message that spans segments
                if (partialLength + length > partial.length) {
                    partial = java.util.Arrays.copyOf(partial, Math.max(partialLength + length, 2 * partial.length));
                }
                System.arraycopy(chunk, at, partial, partialLength, length);
                partialLength += length;
                advance(at + length);
                if (header < 0) {
                    continue;
                }
                assembled = java.util.Arrays.copyOf(partial, partialLength);
                partialLength = 0;
                if (partial.length > 1 << 16) {
                    partial = new byte[0]; // a large message's room is not kept
                }
                found = assembled;
                foundAt = 0;
                foundLength = assembled.length;
                return true;
            }
            found = chunk;
            foundAt = at;
            foundLength = length;
            return true;
        }
    }

    /** Under reading: the message {@link #nextMessage} found was delivered. */
    private void taken() {
        if (found == assembled) {
            assembled = null;
        } else {
            advance(foundAt + foundLength);
        }
        found = null;
        messagesReceived++;
    }

    /** Under reading: moves past a record; a chunk done with leaves the window. */
    private void advance(int to) {
        chunkAt = to;
        if (to == chunk.length) {
            consumedBytes.lazySet(consumedBytes.get() + chunk.length); // one writer: the reader
            chunk = null;
            if (windowWasShut) {
                lock.lock();
                try {
                    if (windowWasShut && window() > WINDOW / 4) {
                        sendAck(); // the window opens again: tell the sender (flushOutbox sends it)
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    @Override
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while ((!drained() || !unacked.isEmpty()) && failure == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(Math.min(left, 10_000_000));
                checkPeerAlive();
            }
            return failure == null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!finQueued && failure == null && established) {
                finQueued = true;
                pump();
            }
        } finally {
            lock.unlock();
        }
        flushOutbox();
        try {
            flush(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean linger;
        lock.lock();
        try {
            // Closed by us while the peer is still there: stay a little (as TIME_WAIT), to
            // acknowledge the peer's FIN when it closes too, so that it does not wait in vain.
            linger = failure == null && established && !peerClosed;
            if (failure == null) {
                failure = "the connection is closed";
            }
            lingering = linger;
            lingerUntil = System.nanoTime() + LINGER_NANOS;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (!linger) {
            release();
        }
    }

    /** Leaves the transport's table and frees the port if it is this connection's own. */
    private void release() {
        transport.closed(this);
        if (ownsSocket) {
            socket.close();
        }
    }

    void fail(String why) {
        lock.lock();
        try {
            if (failure == null) {
                failure = why;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (!why.startsWith("handed over")) {
            transport.closed(this);
        }
    }

    /** The other end accepted (SYN_ACK) or we accepted its SYN. Under the lock. */
    void establish(int peerId) {
        remoteId = peerId;
        established = true;
        changed.signalAll();
        pump();
    }

    boolean awaitEstablished(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        lock.lock();
        try {
            while (!established && failure == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return established;
        } finally {
            lock.unlock();
        }
    }

    String failure() {
        return failure;
    }

    private void awaitChange(long millis) {
        try {
            changed.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    @Override
    public ConnectionStats stats() {
        lock.lock();
        try {
            return new ConnectionStats(messagesSent, messagesReceived, segmentsSent, segmentsReceived, retransmissions,
                    duplicates, windowStalls);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends what the outbox holds, in order; called without {@link #lock}. If another thread is
     * sending, it takes what was added too, and this one returns at once.
     */
    void flushOutbox() {
        while (outboxSize != 0) {
            if (!sending.tryLock()) {
                return; // the sender takes what was added too: it looks again after it lets go
            }
            try {
                // What waits goes out together, in bursts on the wire (one contention for the
                // carrier per burst of frames, as 802.3z lets a station do).
                Outgoing[] taken = new Outgoing[OUTBOX_BATCH];
                byte[][] frames = new byte[OUTBOX_BATCH][];
                int[] lengths = new int[OUTBOX_BATCH];
                while (true) {
                    int n = 0;
                    lock.lock();
                    try {
                        for (Outgoing o; n < OUTBOX_BATCH && (o = outbox.poll()) != null; n++) {
                            taken[n] = o;
                        }
                        outboxSize = outbox.size();
                    } finally {
                        lock.unlock();
                    }
                    for (int i = 0; i < n; i++) {
                        frames[i] = taken[i].frame();
                        lengths[i] = taken[i].length();
                    }
                    if (n == 0) {
                        break;
                    }
                    try {
                        if (n == 1) {
                            socket.sendFrame(remoteIp, remotePort, frames[0], lengths[0]);
                        } else {
                            socket.sendFrames(remoteIp, remotePort, frames, lengths, n);
                        }
                    } catch (IOException e) {
                        // lost like a frame on the wire: retransmission or the next ack repairs it
                    }
                }
            } finally {
                sending.unlock();
            }
        }
    }

    // Hot swap: the state a new build of the driver continues from.

    boolean ownsSocket() {
        return ownsSocket;
    }

    UdpSocketImpl socket() {
        return socket;
    }

    /** Closed by its user, waiting for the peer's FIN: nothing a new build needs. */
    boolean lingering() {
        lock.lock();
        try {
            return lingering;
        } finally {
            lock.unlock();
        }
    }

    /** Writes everything this end knows, and fails this object for its users. Under no lock. */
    void handOver(java.io.DataOutputStream out) throws IOException {
        lock.lock();
        try {
            // First fail it for its users: a reader waiting lets go of the reading lock.
            failure = "handed over to a new build of the vnet bundle: accept it again from a new listen() of its port";
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        lockReading();
        lock.lock();
        try {
            out.writeInt(localId);
            out.writeInt(remoteId);
            out.writeInt(remoteIp);
            out.writeInt(remotePort);
            out.writeInt(socket.port());
            out.writeBoolean(ownsSocket);
            out.writeBoolean(established);
            out.writeBoolean(finQueued);
            out.writeBoolean(finAcked);
            out.writeBoolean(peerClosed);
            out.writeLong(nextSeq);
            out.writeLong(rcvNext);
            out.writeLong(lastAck);
            out.writeInt(peerWindow);
            out.writeInt(unacked.size());
            for (Sent s : unacked) {
                out.writeLong(s.seq());
                out.writeInt(s.type());
                writeBytes(out, java.util.Arrays.copyOf(s.bytes(), s.length()));
            }
            // The queue as the messages in it (a block's records taken apart).
            java.util.List<byte[]> queued = new java.util.ArrayList<>();
            closeBlock();
            for (Object o : queue) {
                if (o instanceof Block block) {
                    for (int at = Segment.HEADER; at < block.length();) {
                        int length = (int) BIG_ENDIAN_INT.get(block.bytes(), at);
                        queued.add(java.util.Arrays.copyOfRange(block.bytes(), at + Segment.RECORD_HEADER,
                                at + Segment.RECORD_HEADER + length));
                        at += Segment.RECORD_HEADER + length;
                    }
                } else {
                    queued.add((byte[]) o);
                }
            }
            out.writeInt(queued.size());
            out.writeInt(queueOffset); // into the first: a block is never partly cut
            for (byte[] m : queued) {
                writeBytes(out, m);
            }
            out.writeInt(outOfOrder.size());
            for (var e : outOfOrder.entrySet()) {
                out.writeLong(e.getKey());
                writeBytes(out, e.getValue());
            }
            // What the reader has not taken, as the messages it makes and a message's pieces.
            java.util.List<byte[]> inbox = new java.util.ArrayList<>();
            long received = messagesReceived;
            while (nextMessage()) {
                inbox.add(found == assembled ? assembled : java.util.Arrays.copyOfRange(found, foundAt, foundAt + foundLength));
                taken();
            }
            messagesReceived = received;
            writeBytes(out, java.util.Arrays.copyOf(partial, partialLength));
            out.writeInt(inbox.size());
            for (byte[] m : inbox) {
                writeBytes(out, m);
            }
            for (long c : new long[] {messagesSent, messagesReceived, segmentsSent, segmentsReceived, retransmissions,
                duplicates, windowStalls}) {
                out.writeLong(c);
            }
        } finally {
            lock.unlock();
            unlockReading();
        }
    }

    /** Queues {@code bytes} for the reader as a chunk of one record ({@code more}: a message's first piece). */
    private void queueChunk(byte[] bytes, boolean more) {
        byte[] record = new byte[Segment.RECORD_HEADER + bytes.length];
        BIG_ENDIAN_INT.set(record, 0, (more ? 0x8000_0000 : 0) | bytes.length);
        System.arraycopy(bytes, 0, record, Segment.RECORD_HEADER, bytes.length);
        chunks.add(record);
        appendedBytes += record.length;
    }

    private static void writeBytes(java.io.DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(java.io.DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return b;
    }

    /** A connection as an older build of the driver handed it over; {@code sockets} opens its UDP port. */
    static ConnectionImpl takeOver(java.io.DataInputStream in, TransportImpl transport,
            java.util.function.BiFunction<Integer, Boolean, UdpSocketImpl> sockets) throws IOException {
        int localId = in.readInt();
        int remoteId = in.readInt();
        int remoteIp = in.readInt();
        int remotePort = in.readInt();
        int localPort = in.readInt();
        boolean owns = in.readBoolean();
        ConnectionImpl c = new ConnectionImpl(transport, sockets.apply(localPort, owns), owns, localId, remoteIp,
                remotePort);
        c.remoteId = remoteId;
        c.established = in.readBoolean();
        c.finQueued = in.readBoolean();
        c.finAcked = in.readBoolean();
        c.peerClosed = in.readBoolean();
        c.nextSeq = in.readLong();
        c.rcvNext = in.readLong();
        c.lastAck = in.readLong();
        c.peerWindow = in.readInt();
        for (int i = in.readInt(); i > 0; i--) {
            long seq = in.readLong();
            int type = in.readInt();
            c.unacked.add(new Sent(seq, readBytes(in), type, new long[] {0}));
        }
        int queued = in.readInt();
        c.queueOffset = in.readInt();
        for (int i = 0; i < queued; i++) {
            byte[] m = readBytes(in);
            c.queue.add(m);
            c.queuedBytes += Segment.RECORD_HEADER + m.length;
        }
        c.queuedBytes -= c.queueOffset;
        for (int i = in.readInt(); i > 0; i--) {
            long seq = in.readLong();
            c.outOfOrder.put(seq, readBytes(in));
        }
        // The messages the old reader had not taken, each a chunk of one record, and after them
        // the pieces of the message that goes on in the next segment, as a "more" record.
        byte[] partial = readBytes(in);
        for (int i = in.readInt(); i > 0; i--) {
            c.queueChunk(readBytes(in), false);
        }
        if (partial.length > 0) {
            c.queueChunk(partial, true);
        }
        c.messagesSent = in.readLong();
        c.messagesReceived = in.readLong();
        c.segmentsSent = in.readLong();
        c.segmentsReceived = in.readLong();
        c.retransmissions = in.readLong();
        c.duplicates = in.readLong();
        c.windowStalls = in.readLong();
        return c;
    }

    @Override
    public String toString() {
        return "connection :" + localPort() + " <-> " + Subnet.text(remoteIp) + ":" + remotePort;
    }
}
