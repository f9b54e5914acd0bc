package org.smpcluster.api.vnet;

import java.util.HexFormat;
import java.util.Locale;

/**
 * A 48-bit Ethernet MAC address, held in the low 48 bits of {@link #value()}.
 *
 * @param value the address, most significant (first transmitted) byte in bits 40..47
 */
public record MacAddress(long value) {

    /** ff:ff:ff:ff:ff:ff */
    public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);

    public MacAddress {
        if ((value & ~0xFFFF_FFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("a MAC address has 48 bits, got 0x" + Long.toHexString(value));
        }
    }

    /** Reads "02:00:00:01:00:07" (colons or dashes). */
    public static MacAddress parse(String text) {
        String[] parts = text.strip().split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address like 02:00:00:01:00:07");
        }
        long v = 0;
        for (String p : parts) {
            if (p.length() != 2) {
                throw new IllegalArgumentException("'" + text + "' is not a MAC address like 02:00:00:01:00:07");
            }
            v = v << 8 | HexFormat.fromHexDigits(p);
        }
        return new MacAddress(v);
    }

    /**
     * The stable, locally administered unicast address of {@code vnode}'s NIC on network number
     * {@code network}: 02:53:4d:NN:00:VV ("SM" for smpcluster, the network, the vnode).
     */
    public static MacAddress of(int network, int vnode) {
        if (network < 0 || network > 0xFF || vnode < 0 || vnode > 0xFFFF) {
            throw new IllegalArgumentException("network=" + network + " vnode=" + vnode + " out of range");
        }
        return new MacAddress(0x02_53_4D_00_0000L | (long) network << 16 | vnode);
    }

    /** The six bytes, first transmitted first. */
    public byte[] bytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (value >>> (40 - 8 * i));
        }
        return b;
    }

    public static MacAddress of(byte[] bytes, int offset) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = v << 8 | (bytes[offset + i] & 0xFF);
        }
        return new MacAddress(v);
    }

    public boolean isBroadcast() {
        return value == BROADCAST.value;
    }

    /** The group bit: the least significant bit of the first byte (broadcast included). */
    public boolean isMulticast() {
        return (value >>> 40 & 1) != 0;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(17);
        for (byte b : bytes()) {
            if (!s.isEmpty()) {
                s.append(':');
            }
            s.append(String.format(Locale.ROOT, "%02x", b & 0xFF));
        }
        return s.toString();
    }
}
