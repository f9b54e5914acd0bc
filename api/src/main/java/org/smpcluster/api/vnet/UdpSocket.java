package org.smpcluster.api.vnet;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A UDP endpoint on this vnode's IPv4 addresses (every network it is on): real UDP in real
 * IPv4 packets in Ethernet frames on the wires. Unreliable, as UDP is: a receiver that does not
 * keep up loses datagrams (counted).
 */
@ProviderType
public interface UdpSocket extends AutoCloseable {

    /** The local port. */
    int port();

    /**
     * Sends {@code payload} (at most {@link #MAX_PAYLOAD} bytes) to {@code port} at
     * {@code address}, through the network whose subnet holds the address (ARP resolves it).
     *
     * @throws java.net.NoRouteToHostException if no network of this vnode holds the address
     * @throws IOException if the address does not answer ARP, or the frame collided 16 times
     */
    void send(Inet4Address address, int port, byte[] payload) throws IOException;

    /** The next datagram, or null if none arrived within {@code timeout}. */
    Datagram receive(Duration timeout) throws InterruptedException;

    /** Datagrams dropped because this socket's queue was full. */
    long dropped();

    @Override
    void close();

    /** The most payload one datagram carries: a 1500-byte MTU less the IPv4 and UDP headers. */
    int MAX_PAYLOAD = 1472;
}
