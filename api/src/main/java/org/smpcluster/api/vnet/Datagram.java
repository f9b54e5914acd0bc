package org.smpcluster.api.vnet;

import java.net.Inet4Address;

/**
 * A UDP datagram as a {@link UdpSocket} received it.
 *
 * @param source the sender's address
 * @param sourcePort the sender's port
 * @param payload the data
 */
public record Datagram(Inet4Address source, int sourcePort, byte[] payload) {
}
