package org.smpcluster.vnet.ip;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.smpcluster.api.vnet.Datagram;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.vnet.nic.Subnet;

/**
 * A UDP socket of an {@link IpStack}: datagrams queue for {@link #receive}, or go straight to a
 * handler on the receive thread (the transport's way, for latency).
 */
public final class UdpSocketImpl implements UdpSocket {

    /** Takes datagrams on the NIC's receive thread; must not block. */
    @FunctionalInterface
    public interface Handler {
        void datagram(int source, int sourcePort, byte[] data, int offset, int length);
    }

    private final IpStack stack;
    private final int port;
    private final BlockingQueue<Datagram> queue = new ArrayBlockingQueue<>(4096);
    private final AtomicLong dropped = new AtomicLong();
    private volatile Handler handler;
    private volatile boolean closed;

    UdpSocketImpl(IpStack stack, int port) {
        this.stack = stack;
        this.port = port;
    }

    /** Routes datagrams to {@code h} instead of the queue. */
    public void handler(Handler h) {
        handler = h;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public void send(Inet4Address address, int port, byte[] payload) throws IOException {
        send(Subnet.ip(address), port, payload, 0, payload.length);
    }

    public void send(int address, int port, byte[] payload, int offset, int length) throws IOException {
        if (closed) {
            throw new java.net.SocketException("UDP socket " + this.port + " is closed");
        }
        stack.sendUdp(this.port, address, port, payload, offset, length);
    }

    /** Where a datagram's payload starts in a frame made by {@link #frame}. */
    public static final int PAYLOAD = IpStack.UDP_AT + IpStack.UDP_HEADER;

    /**
     * An Ethernet frame for a datagram of {@code length} payload bytes, to be copied in at
     * {@link #PAYLOAD}, for {@link #sendFrame}: the headers, padding and FCS go around it in place.
     */
    public static byte[] frame(int length) {
        return IpStack.frame(IpStack.UDP_HEADER + length);
    }

    /**
     * Sends the datagram whose {@code length} payload bytes are in {@code frame} (made by
     * {@link #frame}), completing the frame in place.
     */
    public void sendFrame(int address, int port, byte[] frame, int length) throws IOException {
        if (closed) {
            throw new java.net.SocketException("UDP socket " + this.port + " is closed");
        }
        if (frame.length < PAYLOAD + length) {
            throw new IllegalArgumentException("a datagram of " + length + " bytes in a frame of " + frame.length);
        }
        stack.sendUdpFrame(this.port, address, port, frame, length);
    }

    /**
     * Sends {@code count} datagrams, each in a frame made by {@link #frame} ({@code lengths}:
     * their payloads'), back to back (in bursts on the wire); returns how many went out.
     */
    public int sendFrames(int address, int port, byte[][] frames, int[] lengths, int count) throws IOException {
        if (closed) {
            throw new java.net.SocketException("UDP socket " + this.port + " is closed");
        }
        for (int i = 0; i < count; i++) {
            if (frames[i].length < PAYLOAD + lengths[i]) {
                throw new IllegalArgumentException("a datagram of " + lengths[i] + " bytes in a frame of " + frames[i].length);
            }
        }
        return stack.sendUdpFrames(this.port, address, port, frames, lengths, count);
    }

    void deliver(int source, int sourcePort, byte[] p, int offset, int length) {
        Handler h = handler;
        if (h != null) {
            h.datagram(source, sourcePort, p, offset, length);
            return;
        }
        byte[] data = java.util.Arrays.copyOfRange(p, offset, offset + length);
        if (!queue.offer(new Datagram(Subnet.inet(source), sourcePort, data))) {
            dropped.incrementAndGet();
        }
    }

    @Override
    public Datagram receive(Duration timeout) throws InterruptedException {
        return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        closed = true;
        stack.closed(this);
    }
}
