package org.smpcluster.vnet.link;

import java.util.Arrays;
import java.util.zip.CRC32;

import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.MacAddress;

/**
 * Ethernet II frames on the wire, as 802.3 lays them out:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  Destination MAC (6 bytes)                    |  0
 *  +                               +-------------------------------+
 *  |                               |                               |  4
 *  +-------------------------------+                               +
 *  |                     Source MAC (6 bytes)                      |  8
 *  +-------------------------------+-------------------------------+
 *  |           EtherType           |                               | 12
 *  +-------------------------------+                               +
 *  |        Payload, 46..1500 bytes (short payloads zero-padded)   | 14
 *  +---------------------------------------------------------------+
 *  |      FCS: CRC-32 of everything before it, low byte first      | 14+n
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * 64 to 1518 bytes in all. The FCS is the JDK's CRC-32 (the IEEE 802.3 polynomial),
 * transmitted least significant byte first, as capture tools expect.
 */
public final class FrameCodec {

    public static final int HEADER = 14;
    public static final int FCS = 4;
    public static final int MIN_FRAME = HEADER + EthernetFrame.MIN_PAYLOAD + FCS;
    public static final int MAX_FRAME = HEADER + EthernetFrame.MAX_PAYLOAD + FCS;

    /** Why a received frame was dropped. */
    public enum Defect {
        RUNT, OVERSIZE, BAD_FCS
    }

    /** A decoded frame, or why it was refused. */
    public record Decoded(EthernetFrame frame, Defect defect) {
        public boolean ok() {
            return defect == null;
        }
    }

    private FrameCodec() {
    }

    /** The frame's bytes on the wire, padded, with its FCS. */
    public static byte[] encode(EthernetFrame frame) {
        int payload = Math.max(frame.payload().length, EthernetFrame.MIN_PAYLOAD);
        byte[] wire = new byte[HEADER + payload + FCS];
        System.arraycopy(frame.destination().bytes(), 0, wire, 0, 6);
        System.arraycopy(frame.source().bytes(), 0, wire, 6, 6);
        wire[12] = (byte) (frame.etherType() >>> 8);
        wire[13] = (byte) frame.etherType();
        System.arraycopy(frame.payload(), 0, wire, HEADER, frame.payload().length);
        int fcs = fcs(wire, 0, HEADER + payload);
        int at = HEADER + payload;
        wire[at] = (byte) fcs;
        wire[at + 1] = (byte) (fcs >>> 8);
        wire[at + 2] = (byte) (fcs >>> 16);
        wire[at + 3] = (byte) (fcs >>> 24);
        return wire;
    }

    /**
     * Completes the frame in {@code wire} whose payload ({@code payload} bytes) is in place at
     * {@link #HEADER}: the addresses and EtherType before it, padding (the array's zeros) and
     * the FCS after it. Returns the frame's length.
     */
    public static int seal(byte[] wire, MacAddress destination, MacAddress source, int etherType, int payload) {
        int end = HEADER + Math.max(payload, EthernetFrame.MIN_PAYLOAD);
        if (wire.length < end + FCS) {
            throw new IllegalArgumentException("a frame of " + payload + " payload bytes needs " + (end + FCS)
                    + " bytes, the array has " + wire.length);
        }
        long d = destination.value();
        long s = source.value();
        for (int i = 0; i < 6; i++) {
            wire[i] = (byte) (d >>> (40 - 8 * i));
            wire[6 + i] = (byte) (s >>> (40 - 8 * i));
        }
        wire[12] = (byte) (etherType >>> 8);
        wire[13] = (byte) etherType;
        int fcs = fcs(wire, 0, end);
        wire[end] = (byte) fcs;
        wire[end + 1] = (byte) (fcs >>> 8);
        wire[end + 2] = (byte) (fcs >>> 16);
        wire[end + 3] = (byte) (fcs >>> 24);
        return end + FCS;
    }

    /** Checks and decodes {@code length} bytes at {@code offset}; the payload keeps any padding. */
    public static Decoded decode(byte[] wire, int offset, int length) {
        if (length < MIN_FRAME) {
            return new Decoded(null, Defect.RUNT);
        }
        if (length > MAX_FRAME) {
            return new Decoded(null, Defect.OVERSIZE);
        }
        int at = offset + length - FCS;
        int carried = (wire[at] & 0xFF) | (wire[at + 1] & 0xFF) << 8 | (wire[at + 2] & 0xFF) << 16
                | (wire[at + 3] & 0xFF) << 24;
        if (carried != fcs(wire, offset, length - FCS)) {
            return new Decoded(null, Defect.BAD_FCS);
        }
        int type = (wire[offset + 12] & 0xFF) << 8 | (wire[offset + 13] & 0xFF);
        if (type < 0x0600) {
            return new Decoded(null, Defect.RUNT); // an 802.3 length field: not a frame of ours
        }
        return new Decoded(new EthernetFrame(MacAddress.of(wire, offset), MacAddress.of(wire, offset + 6), type,
                Arrays.copyOfRange(wire, offset + HEADER, at)), null);
    }

    /**
     * Checks the {@code length} bytes of the frame at the start of {@code wire}: null if it is
     * good, or its defect. {@code crc}: the caller's, reset here.
     */
    public static Defect check(byte[] wire, int length, CRC32 crc) {
        if (length < MIN_FRAME) {
            return Defect.RUNT;
        }
        if (length > MAX_FRAME) {
            return Defect.OVERSIZE;
        }
        int at = length - FCS;
        int carried = (wire[at] & 0xFF) | (wire[at + 1] & 0xFF) << 8 | (wire[at + 2] & 0xFF) << 16
                | (wire[at + 3] & 0xFF) << 24;
        crc.reset();
        crc.update(wire, 0, at);
        if (carried != (int) crc.getValue()) {
            return Defect.BAD_FCS;
        }
        if (((wire[12] & 0xFF) << 8 | (wire[13] & 0xFF)) < 0x0600) {
            return Defect.RUNT; // an 802.3 length field: not a frame of ours
        }
        return null;
    }

    /** The frame {@link #check} passed, decoded (its payload copied, padding included). */
    public static EthernetFrame frame(byte[] wire, int length) {
        int type = (wire[12] & 0xFF) << 8 | (wire[13] & 0xFF);
        return new EthernetFrame(MacAddress.of(wire, 0), MacAddress.of(wire, 6), type,
                Arrays.copyOfRange(wire, HEADER, length - FCS));
    }

    /** The destination MAC of the frame at {@code offset}, read without decoding the rest. */
    public static MacAddress destination(byte[] wire, int offset) {
        return MacAddress.of(wire, offset);
    }

    private static int fcs(byte[] bytes, int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
