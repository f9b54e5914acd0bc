package org.smpcluster.api.vnet;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One end of a {@link Transport} connection: messages in order, each once, none lost.
 */
@ProviderType
public interface Connection extends AutoCloseable {

    /** The largest message {@link #send} takes. */
    int MAX_MESSAGE = 16 << 20;

    Inet4Address remoteAddress();

    int remotePort();

    int localPort();

    /**
     * Sends one message (0 to {@link #MAX_MESSAGE} bytes). Returns once the message is queued;
     * blocks while the peer's receive window and this end's send buffer are full (flow control).
     *
     * @throws java.net.SocketException if the connection was closed or reset, or its peer stopped
     *         acknowledging for the connection's timeout
     */
    void send(byte[] message) throws IOException;

    /**
     * The next message, or null if none arrived within {@code timeout}.
     *
     * @throws java.io.EOFException once the peer has closed and every message it sent was received
     * @throws java.net.SocketException if the connection was reset
     */
    byte[] receive(Duration timeout) throws IOException, InterruptedException;

    /**
     * The next message, as {@link #receive(Duration)} takes it (one message per call, in order),
     * copied into {@code buffer} from {@code offset} instead of into an array of its own: what
     * a stream's {@code read} into a buffer the caller reuses is to a socket.
     *
     * @return the message's length (0 for an empty message), or -1 if none arrived within
     *         {@code timeout}
     * @throws IllegalArgumentException if the next message is longer than {@code length}; it
     *         stays queued, for a larger buffer or {@link #receive(Duration)}
     * @throws java.io.EOFException once the peer has closed and every message it sent was received
     * @throws java.net.SocketException if the connection was reset
     */
    int receive(byte[] buffer, int offset, int length, Duration timeout) throws IOException, InterruptedException;

    /** Sends whatever is queued and waits until the peer has acknowledged all of it, or the timeout. */
    boolean flush(Duration timeout) throws InterruptedException;

    /** Flushes (up to a few seconds), then closes this end: the peer reads end of stream. */
    @Override
    void close();

    /** The connection's counters. */
    ConnectionStats stats();

    /**
     * @param messagesSent messages handed to {@link #send}
     * @param messagesReceived messages delivered by {@link #receive}
     * @param segmentsSent segments put on the wire, retransmissions included
     * @param segmentsReceived segments that arrived
     * @param retransmissions segments sent again after a timeout
     * @param duplicates segments that arrived a second time (dropped)
     * @param windowStalls times a sender had to wait for the peer's window
     */
    record ConnectionStats(long messagesSent, long messagesReceived, long segmentsSent, long segmentsReceived,
            long retransmissions, long duplicates, long windowStalls) {
    }
}
