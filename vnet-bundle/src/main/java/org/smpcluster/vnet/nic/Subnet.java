package org.smpcluster.vnet.nic;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 subnet in CIDR form and the default address plan on it: vnode {@code v} is host
 * {@code v + 1} (the root .1, vnode 1 .2, ...).
 *
 * @param address the network address, host bits zero
 * @param prefix the prefix length, 8..30
 */
public record Subnet(int address, int prefix) {

    public Subnet {
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("prefix length /" + prefix + " outside /8../30");
        }
        if ((address & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException(text(address) + "/" + prefix + " has host bits set; did you mean "
                    + text(address & mask(prefix)) + "/" + prefix + "?");
        }
    }

    /** Reads {@code 10.0.0.0/24}. */
    public static Subnet parse(String cidr) {
        String[] parts = cidr.strip().split("/");
        if (parts.length != 2 || !parts[0].matches("\\d{1,3}(\\.\\d{1,3}){3}") || !parts[1].matches("\\d{1,2}")) {
            throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 subnet like 10.0.0.0/24");
        }
        int a = 0;
        for (String octet : parts[0].split("\\.")) {
            int o = Integer.parseInt(octet);
            if (o > 255) {
                throw new IllegalArgumentException("'" + cidr + "': octet " + o + " is over 255");
            }
            a = a << 8 | o;
        }
        return new Subnet(a, Integer.parseInt(parts[1]));
    }

    static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** Vnode {@code vnode}'s address on this subnet. */
    public int host(int vnode) {
        int host = vnode + 1;
        if (vnode < 0 || host >= (1 << (32 - prefix)) - 1) {
            throw new IllegalArgumentException("vnode " + vnode + " has no address in " + this);
        }
        return address | host;
    }

    /** The vnode that owns {@code ip} in the default plan, or -1. */
    public int vnodeOf(int ip) {
        if ((ip & mask(prefix)) != address) {
            return -1;
        }
        return (ip & ~mask(prefix)) - 1;
    }

    public boolean contains(int ip) {
        return (ip & mask(prefix)) == address;
    }

    public int broadcast() {
        return address | ~mask(prefix);
    }

    public static Inet4Address inet(int ip) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16),
                (byte) (ip >>> 8), (byte) ip});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public static int ip(Inet4Address address) {
        byte[] b = address.getAddress();
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | b[3] & 0xFF;
    }

    public static String text(int ip) {
        return (ip >>> 24) + "." + (ip >>> 16 & 0xFF) + "." + (ip >>> 8 & 0xFF) + "." + (ip & 0xFF);
    }

    @Override
    public String toString() {
        return text(address) + "/" + prefix;
    }
}
