package org.smpcluster.vnet.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.Transport;
import org.smpcluster.api.vnet.TransportListener;
import org.smpcluster.vnet.ip.IpStack;
import org.smpcluster.vnet.ip.UdpSocketImpl;
import org.smpcluster.vnet.nic.Subnet;

/**
 * The reference {@link Transport}: connections over UDP (a listener's port is a UDP port; a
 * connecting end takes an ephemeral one), segments as {@link Segment} lays them out. One timer
 * thread per vnode retransmits and sends delayed acknowledgements: it looks every millisecond
 * while anything is outstanding and every 5 ms otherwise (less than the shortest retransmission
 * timeout), so that a sender never pays for waking it (a futex wake and, on a one-CPU vnode, a
 * context switch per message).
 */
public final class TransportImpl implements Transport, AutoCloseable {

    private record Key(int localPort, int remoteIp, int remotePort) {
    }

    private final IpStack ip;
    private final Map<Key, ConnectionImpl> connections = new ConcurrentHashMap<>();
    private final Map<Integer, Listener> listeners = new ConcurrentHashMap<>();
    /** Listeners an older build handed over, until their port is listened on again. */
    private final Map<Integer, Listener> handedOver = new ConcurrentHashMap<>();
    private final java.util.List<Connection> resumedDialed = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread timer;
    private volatile boolean running = true;

    /** The NICs, polled by an application thread waiting for a message. */
    public interface Poller {
        /** Polls the NICs from the calling thread if nobody else is; true if it found frames. */
        boolean poll();

        /** The calling thread starts ({@code true}) or stops busy polling. */
        void polling(boolean on);
    }

    private final Poller poller;

    /** {@code threads}: where the timer thread comes from (in a vnode, a kernel thread). */
    public TransportImpl(IpStack ip, int vnode, org.smpcluster.vnet.nic.VnetCore.Threads threads, Poller poller) {
        this.ip = ip;
        this.poller = poller;
        this.timer = threads.unstarted("vnode-" + vnode + "-transport-timer", () -> {
            try {
                timer();
            } catch (RuntimeException e) {
                if (running) {
                    throw e; // a kernel thread's death: the vnode panics rather than never retransmit again
                }
                // the transport closed under it
            }
        });
        this.timer.start();
    }

    @Override
    public TransportListener listen(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
        Listener handed = handedOver.remove(port);
        if (handed != null) {
            return handed; // an older build's listener, with its connections to accept again
        }
        UdpSocketImpl socket = ip.openUdp(port);
        Listener l = new Listener(socket);
        listeners.put(port, l);
        socket.handler((src, sport, data, off, len) -> datagram(socket, src, sport, data, off, len));
        return l;
    }

    @Override
    public Connection connect(Inet4Address address, int port, Duration timeout) throws IOException {
        int remote = Subnet.ip(address);
        UdpSocketImpl socket = ip.openUdp(0);
        ConnectionImpl c = new ConnectionImpl(this, socket, true, ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE),
                remote, port);
        Key key = new Key(socket.port(), remote, port);
        connections.put(key, c);
        socket.handler((src, sport, data, off, len) -> datagram(socket, src, sport, data, off, len));
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            long wait = 20_000_000;
            while (true) {
                byte[] syn = Segment.header(Segment.SYN, 0, ConnectionImpl.WINDOW, 0, 0, c.localId, 0);
                socket.send(remote, port, syn, 0, syn.length);
                long left = deadline - System.nanoTime();
                if (c.awaitEstablished(Math.min(wait, Math.max(0, left)))) {
                    return c;
                }
                if (c.failure() != null) {
                    throw new ConnectException(address.getHostAddress() + ":" + port + ": " + c.failure());
                }
                if (System.nanoTime() >= deadline) {
                    throw new ConnectException(address.getHostAddress() + ":" + port + " did not answer within "
                            + timeout.toMillis() + " ms (nothing listens there, or that vnode is down)");
                }
                wait = Math.min(wait * 2, 500_000_000);
            }
        } catch (IOException | RuntimeException e) {
            connections.remove(key, c);
            socket.close();
            throw e;
        } catch (InterruptedException e) {
            connections.remove(key, c);
            socket.close();
            Thread.currentThread().interrupt();
            throw new ConnectException("interrupted connecting to " + address.getHostAddress() + ":" + port);
        }
    }

    /** A datagram for a transport port (on the receive thread). */
    private void datagram(UdpSocketImpl socket, int source, int sourcePort, byte[] data, int offset, int length) {
        Segment s = Segment.parse(data, offset, length);
        if (s == null) {
            return;
        }
        Key key = new Key(socket.port(), source, sourcePort);
        ConnectionImpl c = connections.get(key);
        switch (s.type()) {
            case Segment.SYN -> {
                Listener l = listeners.get(socket.port());
                if (l == null || l.closed) {
                    return;
                }
                int peerId = (int) s.ack();
                if (c == null || c.remoteId != peerId) {
                    if (c != null) {
                        c.fail("the peer opened a new connection from the same port"); // it restarted
                    }
                    ConnectionImpl accepted = new ConnectionImpl(this, socket, false,
                            ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE), source, sourcePort);
                    accepted.lock.lock();
                    try {
                        accepted.establish(peerId);
                    } finally {
                        accepted.lock.unlock();
                    }
                    connections.put(key, accepted);
                    l.queue.add(accepted);
                    c = accepted;
                }
                byte[] synAck = Segment.header(Segment.SYN_ACK, 0, ConnectionImpl.WINDOW, peerId, 0, c.localId, 0);
                try {
                    socket.send(source, sourcePort, synAck, 0, synAck.length);
                } catch (IOException e) {
                    // the peer sends its SYN again
                }
            }
            case Segment.SYN_ACK -> {
                if (c != null && !c.established && s.id() == c.localId) {
                    c.lock.lock();
                    try {
                        c.establish((int) s.ack());
                    } finally {
                        c.lock.unlock();
                    }
                    c.flushOutbox();
                }
            }
            case Segment.RST -> {
                if (c != null && s.ack() == c.remoteId) { // it names the id the peer had from us
                    c.lock.lock();
                    try {
                        c.segment(s);
                    } finally {
                        c.lock.unlock();
                    }
                    c.flushOutbox();
                }
            }
            default -> {
                if (c == null || s.id() != c.localId) {
                    // A segment of a connection that is gone (closed, or its vnode restarted): reset
                    // it, naming the id it was sent to, so that the other end stops at once.
                    byte[] rst = Segment.header(Segment.RST, 0, 0, 0, 0, s.id(), 0);
                    try {
                        socket.send(source, sourcePort, rst, 0, rst.length);
                    } catch (IOException e) {
                        // the other end finds out by its own timeout
                    }
                    return;
                }
                c.lock.lock();
                try {
                    c.segment(s);
                } finally {
                    c.lock.unlock();
                }
                c.flushOutbox();
            }
        }
    }

    void closed(ConnectionImpl c) {
        connections.remove(new Key(c.localPort(), c.remoteIp, c.remotePort), c);
        int port = c.localPort();
        if (!c.ownsSocket() && !listeners.containsKey(port) && !handedOver.containsKey(port)
                && connections.keySet().stream().noneMatch(k -> k.localPort() == port)) {
            c.socket().close(); // the listener was closed before its last connection: the port is free now
        }
    }

    /** Connections with an acknowledgement waiting to be sent. */
    private final java.util.Set<ConnectionImpl> acking = ConcurrentHashMap.newKeySet();

    void ackPending(ConnectionImpl c) {
        acking.add(c);
    }

    /**
     * Sends the acknowledgements that are due ({@code force}: every pending one); the receive
     * thread calls this while it polls for frames and before it sleeps.
     */
    public void flushAcks(boolean force) {
        if (acking.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (ConnectionImpl c : acking) {
            if (c.lock.tryLock()) {
                try {
                    if (!c.flushAck(now, force)) {
                        acking.remove(c);
                        c.ackListed = false;
                    }
                } finally {
                    c.lock.unlock();
                }
                c.flushOutbox();
            }
        }
    }

    /** A receiver waiting for a message polls the NICs itself. */
    boolean poll() {
        return poller.poll();
    }

    void polling(boolean on) {
        poller.polling(on);
    }

    private void timer() {
        while (running) {
            boolean busy = false;
            long now = System.nanoTime();
            for (ConnectionImpl c : connections.values()) {
                c.lock.lock();
                try {
                    c.tick(now);
                    busy |= c.busy();
                } finally {
                    c.lock.unlock();
                }
                c.flushOutbox();
            }
            LockSupport.parkNanos(busy ? 1_000_000 : 5_000_000);
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(timer);
        joinTimer();
        for (ConnectionImpl c : connections.values()) {
            c.fail("the transport is shutting down");
        }
        listeners.values().forEach(Listener::close);
    }

    /**
     * Hot swap, old side: stops and writes every listener and connection, after the NICs
     * stopped receiving. The objects handed out fail from now on.
     */
    public byte[] handOver() throws IOException {
        running = false;
        LockSupport.unpark(timer);
        joinTimer();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            java.util.Set<Integer> ports = new java.util.TreeSet<>(listeners.keySet());
            ports.addAll(handedOver.keySet());
            for (ConnectionImpl c : connections.values()) {
                if (!c.ownsSocket()) {
                    ports.add(c.localPort()); // accepted from a listener closed since: the port goes on
                }
            }
            out.writeInt(ports.size());
            for (int port : ports) {
                out.writeInt(port);
            }
            java.util.List<ConnectionImpl> all = connections.values().stream().filter(c -> !c.lingering()).toList();
            out.writeInt(all.size());
            for (ConnectionImpl c : all) {
                c.handOver(out);
            }
        }
        return bytes.toByteArray();
    }

    /**
     * Hot swap, new side: takes over what {@link #handOver} wrote, before the NICs receive. A
     * handed-over listener is returned by the next {@link #listen} of its port, its accepted
     * connections queued to be accepted again; connections this vnode dialed are in
     * {@link #resumed()}.
     */
    public int takeOver(byte[] state) throws IOException {
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(state));
        Map<Integer, UdpSocketImpl> listenerSockets = new java.util.HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            int port = in.readInt();
            UdpSocketImpl socket = ip.openUdp(port);
            Listener l = new Listener(socket);
            listenerSockets.put(port, socket);
            listeners.put(port, l);
            handedOver.put(port, l);
            socket.handler((src, sport, data, off, len) -> datagram(socket, src, sport, data, off, len));
        }
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            ConnectionImpl c = ConnectionImpl.takeOver(in, this, (port, owns) -> {
                if (!owns) {
                    UdpSocketImpl shared = listenerSockets.get(port);
                    if (shared != null) {
                        return shared;
                    }
                }
                UdpSocketImpl own = ip.openUdp(port);
                own.handler((src, sport, data, off, len) -> datagram(own, src, sport, data, off, len));
                return own;
            });
            connections.put(new Key(c.localPort(), c.remoteIp, c.remotePort), c);
            Listener l = handedOver.get(c.localPort());
            if (!c.ownsSocket() && l != null) {
                l.queue.add(c);
            } else {
                resumedDialed.add(c);
            }
        }
        LockSupport.unpark(timer);
        return count;
    }

    /** Connections this vnode had dialed before a hot swap, resumed; taken once. */
    public java.util.List<Connection> resumed() {
        java.util.List<Connection> list = java.util.List.copyOf(resumedDialed);
        resumedDialed.removeAll(list);
        return list;
    }

    private void joinTimer() {
        if (Thread.currentThread() == timer) {
            return;
        }
        try {
            timer.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Connections open now, for display. */
    public int connectionCount() {
        return connections.size();
    }

    private final class Listener implements TransportListener {
        final UdpSocketImpl socket;
        final BlockingQueue<Connection> queue = new LinkedBlockingQueue<>();
        volatile boolean closed;

        Listener(UdpSocketImpl socket) {
            this.socket = socket;
        }

        @Override
        public int port() {
            return socket.port();
        }

        @Override
        public Connection accept(Duration timeout) throws InterruptedException {
            return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void close() {
            closed = true;
            listeners.remove(socket.port(), this);
            // The UDP port stays open while accepted connections use it; closing them closes nothing else.
            if (connections.keySet().stream().noneMatch(k -> k.localPort() == socket.port())) {
                socket.close();
            }
        }
    }
}
