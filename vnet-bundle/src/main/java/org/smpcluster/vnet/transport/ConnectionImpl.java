package org.smpcluster.vnet.transport;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.smpcluster.api.vnet.Connection;
import org.smpcluster.vnet.ip.UdpSocketImpl;
import org.smpcluster.vnet.nic.Subnet;

/**
 * One end of a transport connection.
 *
 * <p>Sending: messages queue as records; segments are cut from the queue and sent while fewer
 * than the peer's window (and {@link #MAX_IN_FLIGHT}) are unacknowledged. A small segment is
 * held back while earlier ones are unacknowledged (Nagle), so that a sender that outruns the
 * round trip packs many messages per frame; the acknowledgement releases the next segment.
 * The oldest unacknowledged segments (up to 16) are sent again after the retransmission timeout
 * (which doubles, up to 200 ms, until an acknowledgement comes), the oldest alone after three
 * duplicate acknowledgements; the receiver
 * keeps what came after a hole, and each partial acknowledgement resends the next hole.
 *
 * <p>Receiving: in-order segments are taken apart into messages; out-of-order ones wait in a
 * map; duplicates are dropped and acknowledged at once. Every 8th segment,
 * a gap and a window that opens again are acknowledged at once; a segment with PSH within 20 µs
 * (riding on the application's reply if it sends one by then, or alone when the receive thread
 * runs out of frames), anything else within 1 ms.
 */
final class ConnectionImpl implements Connection {

    static final int MSS = org.smpcluster.api.vnet.UdpSocket.MAX_PAYLOAD - Segment.HEADER;
    static final int WINDOW = 512;
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
    private final java.util.ArrayDeque<byte[]> outbox = new java.util.ArrayDeque<>();
    /** One sender at a time, so that the outbox goes out in order. */
    private final ReentrantLock sending = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Send side.
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private int queueOffset;
    private long queuedBytes;
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

    // Receive side.
    private long rcvNext = 1;
    private final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final ArrayDeque<byte[]> inbox = new ArrayDeque<>();
    private long inboxBytes;
    private boolean peerClosed;
    private volatile boolean peerClosedSeen;
    /** Messages put in the inbox and taken from it, for the receiver's busy poll. */
    private volatile long arrived;
    private volatile long taken;
    private int unackedArrivals;
    private long ackDue;
    private boolean windowWasShut;

    volatile boolean established;
    private volatile String failure;

    // Counters.
    private long messagesSent;
    private long messagesReceived;
    private long segmentsSent;
    private long segmentsReceived;
    private long retransmissions;
    private long duplicates;
    private long windowStalls;

    private record Sent(long seq, byte[] bytes, int type, long[] sentAt) {
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
        lock.lock();
        try {
            while (queuedBytes > 0 && queuedBytes + message.length > SEND_BUFFER && failure == null && !finQueued) {
                windowStalls++;
                awaitChange(10);
                checkPeerAlive();
            }
            if (failure != null) {
                throw new SocketException(failure);
            }
            if (finQueued) {
                throw new SocketException("the connection is closed");
            }
            queue.add(message);
            queuedBytes += message.length;
            messagesSent++;
            pump();
        } finally {
            lock.unlock();
        }
        flushOutbox();
    }

    private void checkPeerAlive() {
        if (!unacked.isEmpty() && System.nanoTime() - lastProgress > DEAD_PEER_NANOS) {
            fail("the peer " + Subnet.text(remoteIp) + ":" + remotePort + " acknowledged nothing for "
                    + DEAD_PEER_NANOS / 1_000_000_000 + " s");
        }
    }

    /** Cuts and sends segments while the window allows. Under the lock. */
    void pump() {
        // One segment may always be in flight: it probes a window the peer shut.
        while (established && failure == null && unacked.size() < Math.max(1, Math.min(peerWindow, MAX_IN_FLIGHT))) {
            int available = (int) Math.min(MSS, queuedBytes + 4L * queue.size());
            if (queue.isEmpty()) {
                if (finQueued && !finSent()) {
                    transmit(new Sent(nextSeq++, Segment.header(Segment.FIN, Segment.PSH, 0, 0, 0, 0, 0), Segment.FIN,
                            new long[1]));
                }
                return;
            }
            if (!unacked.isEmpty() && available < MSS) {
                return; // Nagle: the acknowledgement of what is in flight will send this with more
            }
            transmit(cut());
        }
    }

    private boolean finSent() {
        return unacked.stream().anyMatch(s -> s.type() == Segment.FIN) || finAcked;
    }

    /** A DATA segment of as many queued records as fit. */
    private Sent cut() {
        ByteBuffer b = ByteBuffer.allocate(Segment.HEADER + MSS);
        b.position(Segment.HEADER);
        while (!queue.isEmpty() && b.remaining() > Segment.RECORD_HEADER) {
            byte[] m = queue.peek();
            int left = m.length - queueOffset;
            int piece = Math.min(left, b.remaining() - Segment.RECORD_HEADER);
            boolean more = piece < left;
            b.putInt((more ? 0x8000_0000 : 0) | piece);
            b.put(m, queueOffset, piece);
            queuedBytes -= piece;
            if (more) {
                queueOffset += piece;
                break;
            }
            queue.poll();
            queueOffset = 0;
        }
        byte[] bytes = java.util.Arrays.copyOf(b.array(), b.position());
        ByteBuffer.wrap(bytes).put(0, (byte) Segment.DATA);
        return new Sent(nextSeq++, bytes, Segment.DATA, new long[1]);
    }

    /** Stamps the segment's header (sequence, ack, window, id, PSH on the last of a burst) and sends it. */
    private void transmit(Sent s) {
        unacked.add(s);
        send(s, true);
    }

    private void send(Sent s, boolean first) {
        ByteBuffer b = ByteBuffer.wrap(s.bytes());
        b.put(0, (byte) s.type());
        boolean last = queue.isEmpty() || unacked.size() >= Math.min(peerWindow, MAX_IN_FLIGHT);
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
        outbox.add(s.bytes().clone()); // sent by flushOutbox(), outside the lock
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
        byte[] copy = java.util.Arrays.copyOfRange(s.data(), s.offset() - Segment.HEADER, s.offset() + s.length());
        if (s.sequence() > rcvNext) {
            outOfOrder.put(s.sequence(), copy);
            sendAck(); // a gap: tell the sender at once
            return;
        }
        take(copy);
        while (!outOfOrder.isEmpty() && outOfOrder.firstKey() == rcvNext) {
            take(outOfOrder.pollFirstEntry().getValue());
        }
        unackedArrivals++;
        if (unackedArrivals >= 8) {
            sendAck();
        } else {
            // PSH: the sender waits for this acknowledgement. Give the application a moment to
            // answer, so that the acknowledgement rides on its reply; the receive thread sends
            // it alone when it runs out of frames to take.
            long due = System.nanoTime() + ((s.flags() & Segment.PSH) != 0 ? PIGGYBACK_NANOS : ACK_DELAY_NANOS);
            if (ackDue == 0 || due < ackDue) {
                ackDue = due;
                transport.ackPending(this);
            }
        }
        changed.signalAll();
    }

    /** Takes the in-order segment {@code bytes} (header included) apart into messages. */
    private void take(byte[] bytes) {
        rcvNext++;
        if (bytes[0] == Segment.FIN) {
            peerClosed = true;
            peerClosedSeen = true;
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, Segment.HEADER, bytes.length - Segment.HEADER);
        while (b.remaining() >= Segment.RECORD_HEADER) {
            int header = b.getInt();
            int length = header & 0x7FFF_FFFF;
            if (length > b.remaining()) {
                fail("a malformed segment from " + Subnet.text(remoteIp) + ":" + remotePort);
                return;
            }
            int at = b.position();
            b.position(at + length);
            if (header < 0) { // "more": a piece of a message that goes on in the next record
                partial.write(bytes, at, length);
                continue;
            }
            byte[] m;
            if (partial.size() == 0) {
                m = java.util.Arrays.copyOfRange(bytes, at, at + length);
            } else {
                partial.write(bytes, at, length);
                m = partial.toByteArray();
                partial.reset();
            }
            inbox.add(m);
            inboxBytes += m.length;
            arrived++;
        }
    }

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
        long used = inboxBytes / MSS + outOfOrder.size();
        return (int) Math.max(0, WINDOW - used);
    }

    private void sendAck() {
        int w = window();
        windowWasShut = w == 0;
        byte[] ack = Segment.header(Segment.ACK, 0, w, remoteId, 0, rcvNext, 0);
        unackedArrivals = 0;
        ackDue = 0;
        segmentsSent++;
        outbox.add(ack);
    }

    @Override
    public byte[] receive(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // Busy poll a little before sleeping (as SO_BUSY_POLL does): a reply that comes within
        // microseconds is taken without a futex wake-up.
        long spinUntil = System.nanoTime() + Math.min(RECEIVE_SPIN_NANOS, timeout.toNanos());
        while (arrived == taken && failure == null && !peerClosedSeen && System.nanoTime() < spinUntil) {
            if (!transport.poll()) {
                Thread.yield(); // a vnode may have one CPU: let the threads that bring the reply run
            }
        }
        lock.lock();
        try {
            while (failure != null || inbox.isEmpty()) {
                if (failure != null) {
                    throw new SocketException(failure); // what is queued is not delivered (or was handed over)
                }
                if (peerClosed) {
                    throw new EOFException("the peer closed the connection");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                changed.awaitNanos(left);
            }
            byte[] m = inbox.poll();
            inboxBytes -= m.length;
            messagesReceived++;
            taken++;
            if (windowWasShut && window() > WINDOW / 4) {
                sendAck(); // the window opens again: tell the sender
            }
            return m;
        } finally {
            lock.unlock();
            flushOutbox();
        }
    }

    @Override
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while ((!queue.isEmpty() || !unacked.isEmpty()) && failure == null) {
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
        while (true) {
            if (!sending.tryLock()) {
                return;
            }
            try {
                while (true) {
                    byte[] datagram;
                    lock.lock();
                    try {
                        datagram = outbox.poll();
                    } finally {
                        lock.unlock();
                    }
                    if (datagram == null) {
                        break;
                    }
                    try {
                        socket.send(remoteIp, remotePort, datagram, 0, datagram.length);
                    } catch (IOException e) {
                        // lost like a frame on the wire: retransmission or the next ack repairs it
                    }
                }
            } finally {
                sending.unlock();
            }
            lock.lock();
            try {
                if (outbox.isEmpty()) {
                    return; // nothing slipped in between the last poll and the unlock
                }
            } finally {
                lock.unlock();
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
                writeBytes(out, s.bytes());
            }
            out.writeInt(queue.size());
            out.writeInt(queueOffset);
            for (byte[] m : queue) {
                writeBytes(out, m);
            }
            out.writeInt(outOfOrder.size());
            for (var e : outOfOrder.entrySet()) {
                out.writeLong(e.getKey());
                writeBytes(out, e.getValue());
            }
            writeBytes(out, partial.toByteArray());
            out.writeInt(inbox.size());
            for (byte[] m : inbox) {
                writeBytes(out, m);
            }
            for (long c : new long[] {messagesSent, messagesReceived, segmentsSent, segmentsReceived, retransmissions,
                duplicates, windowStalls}) {
                out.writeLong(c);
            }
            failure = "handed over to a new build of the vnet bundle: accept it again from a new listen() of its port";
            changed.signalAll();
        } finally {
            lock.unlock();
        }
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
        c.peerClosedSeen = c.peerClosed;
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
            c.queuedBytes += m.length;
        }
        c.queuedBytes -= c.queueOffset;
        for (int i = in.readInt(); i > 0; i--) {
            long seq = in.readLong();
            c.outOfOrder.put(seq, readBytes(in));
        }
        byte[] partial = readBytes(in);
        c.partial.write(partial, 0, partial.length);
        for (int i = in.readInt(); i > 0; i--) {
            byte[] m = readBytes(in);
            c.inbox.add(m);
            c.inboxBytes += m.length;
            c.arrived++;
        }
        c.messagesSent = in.readLong();
        c.messagesReceived = in.readLong();
        c.segmentsSent = in.readLong();
        c.segmentsReceived = in.readLong();
        c.retransmissions = in.readLong();
        c.duplicates = in.readLong();
        c.windowStalls = in.readLong();
        c.taken = 0;
        return c;
    }

    @Override
    public String toString() {
        return "connection :" + localPort() + " <-> " + Subnet.text(remoteIp) + ":" + remotePort;
    }
}
