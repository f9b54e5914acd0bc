package org.smpcluster.api.vnet;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** The vnode's virtual network driver: its NICs, one per network. */
@ProviderType
public interface Vnet {

    /** The NICs of this vnode, in the order their networks were attached. */
    List<Nic> nics();

    /** The NIC on {@code network}, if this vnode has one. */
    Optional<Nic> nic(String network);

    /**
     * Attaches this vnode to {@code network} (creating its wire if no vnode has) and returns its
     * NIC there; if already attached, returns that NIC.
     *
     * @param subnet the network's IPv4 subnet in CIDR form, e.g. {@code 10.0.0.0/24}; ignored if
     *        the wire exists already (the wire's own wins)
     * @throws IllegalArgumentException for a bad name or subnet
     */
    Nic attach(String network, String subnet);

    /**
     * Opens a UDP socket on {@code port} (0 for an ephemeral port).
     *
     * @throws IllegalArgumentException if the port is out of range or taken
     */
    UdpSocket openUdp(int port);

    /**
     * Sends one ICMP echo request to {@code address} and waits for the reply; returns the round
     * trip time.
     *
     * @throws java.net.SocketTimeoutException if no reply came within {@code timeout}
     * @throws IOException if the address is not on any network of this vnode or does not answer ARP
     */
    Duration ping(Inet4Address address, Duration timeout) throws IOException;

    /** The vnode's message transport over these networks. */
    Transport transport();
}
