package org.smpcluster.api.vnet;

/**
 * An Ethernet II frame as a NIC sends and delivers it: the FCS is the NIC's business (added on
 * the wire, checked and stripped on receive), and so is padding to the 64-byte minimum.
 *
 * @param destination where it goes (a vnode's NIC, a multicast group, broadcast)
 * @param source the sending NIC
 * @param etherType e.g. 0x0800 (IPv4), 0x0806 (ARP)
 * @param payload 0 to {@link #MAX_PAYLOAD} bytes
 */
public record EthernetFrame(MacAddress destination, MacAddress source, int etherType, byte[] payload) {

    /** The most payload an Ethernet II frame carries. */
    public static final int MAX_PAYLOAD = 1500;

    /** The least payload on the wire; shorter payloads are padded with zeros. */
    public static final int MIN_PAYLOAD = 46;

    public EthernetFrame {
        if (etherType < 0x0600 || etherType > 0xFFFF) {
            throw new IllegalArgumentException("EtherType 0x" + Integer.toHexString(etherType)
                    + " is not an Ethernet II type (0x0600..0xffff)");
        }
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes; at most " + MAX_PAYLOAD);
        }
    }
}
