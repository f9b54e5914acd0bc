package org.smpcluster.api.vnet;

import java.net.Inet4Address;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A vnode's network interface on one network (one wire). Registered as an OSGi service per
 * network, with the service property {@value #NETWORK}, so a bundle can ask for
 * {@code (smpcluster.network=eth0)}.
 *
 * <p>The NIC's state (its place in the wire's ring, counters, filters) lives on the wire,
 * not in the driver: a new build of the driver bundle continues where the old one stopped.
 */
@ProviderType
public interface Nic {

    /** Service property: the network's name. */
    String NETWORK = "smpcluster.network";

    /** The network's (and the interface's) name, e.g. {@code eth0}. */
    String network();

    /** This NIC's MAC address: stable per vnode and network, locally administered. */
    MacAddress mac();

    /** The vnode this NIC belongs to. */
    int vnode();

    /** This NIC's IPv4 address on the network. */
    Inet4Address address();

    /** The network's prefix length (24 for a /24). */
    int prefixLength();

    /**
     * Puts a frame on the wire (source address as given), blocking while the wire is busy
     * (deferring) and while backing off after collisions. Frames are not queued: when this
     * returns the frame is on the wire.
     *
     * @throws ExcessiveCollisionsException after 16 collisions of this frame (it was not sent)
     */
    void send(EthernetFrame frame) throws ExcessiveCollisionsException;

    /**
     * Delivers every received frame of {@code etherType} (or of every type, for {@code -1}) to
     * {@code listener}, on the NIC's receive thread, until the returned registration is closed.
     * Listeners must not block: hand the frame to another thread for long work.
     */
    Registration listen(int etherType, FrameListener listener);

    /** Also receives frames sent to multicast group {@code group}. */
    void join(MacAddress group);

    /** Stops receiving frames sent to {@code group}. */
    void leave(MacAddress group);

    /** The multicast groups joined. */
    List<MacAddress> groups();

    /** In promiscuous mode a NIC receives every frame on the wire. */
    void promiscuous(boolean on);

    boolean promiscuous();

    /** The NIC's counters, as {@code ip -s link} shows them. */
    NicStats stats();

    /** A listener's registration; closing it removes the listener. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
