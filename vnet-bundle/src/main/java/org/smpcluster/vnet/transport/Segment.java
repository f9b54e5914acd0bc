package org.smpcluster.vnet.transport;

import java.nio.ByteBuffer;

/**
 * A transport segment, the payload of one UDP datagram:
 *
 * <pre>
 *   0        8        16               32
 *  +--------+--------+----------------+
 *  | type   | flags  | window         |  type: SYN 1, SYN_ACK 2, DATA 3, ACK 4, FIN 5, RST 6
 *  | destination connection id        |  flags: PSH 1 (acknowledge now)
 *  | sequence (64 bits)               |  window: segments the sender can still take in
 *  |                                  |
 *  | acknowledgement (64 bits):       |  the next sequence expected from the peer;
 *  |   SYN, SYN_ACK: the sender's id  |
 *  +----------------------------------+
 *  | records: [more:1 | length:31] bytes, ...  a message is one record, or several
 *  +----------------------------------+  with "more" set on all but the last
 * </pre>
 */
record Segment(int type, int flags, int window, int id, long sequence, long ack, byte[] data, int offset, int length) {

    static final int SYN = 1;
    static final int SYN_ACK = 2;
    static final int DATA = 3;
    static final int ACK = 4;
    static final int FIN = 5;
    static final int RST = 6;
    static final int PSH = 1;
    static final int HEADER = 24;
    static final int RECORD_HEADER = 4;

    static Segment parse(byte[] p, int offset, int length) {
        if (length < HEADER) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(p, offset, length);
        int type = b.get() & 0xFF;
        int flags = b.get() & 0xFF;
        int window = b.getShort() & 0xFFFF;
        int id = b.getInt();
        long seq = b.getLong();
        long ack = b.getLong();
        if (type < SYN || type > RST) {
            return null;
        }
        return new Segment(type, flags, window, id, seq, ack, p, offset + HEADER, length - HEADER);
    }

    static byte[] header(int type, int flags, int window, int id, long sequence, long ack, int payload) {
        byte[] s = new byte[HEADER + payload];
        ByteBuffer.wrap(s).put((byte) type).put((byte) flags).putShort((short) Math.min(window, 0xFFFF)).putInt(id)
                .putLong(sequence).putLong(ack);
        return s;
    }
}
