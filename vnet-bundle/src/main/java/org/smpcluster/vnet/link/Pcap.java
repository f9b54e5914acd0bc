package org.smpcluster.vnet.link;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes the classic libpcap file format (microsecond timestamps, link type 1: Ethernet), as
 * tcpdump, Wireshark and tshark read it. Frames are written without their FCS, as Linux
 * captures them.
 *
 * <pre>
 *  file header, 24 bytes, little-endian:
 *    magic a1b2c3d4 | version 2.4 | thiszone 0 | sigfigs 0 | snaplen 65535 | linktype 1
 *  each record: ts_sec | ts_usec | captured length | original length | the bytes
 * </pre>
 */
public final class Pcap implements AutoCloseable {

    public static final int LINKTYPE_ETHERNET = 1;

    private final OutputStream out;
    private long records;

    public Pcap(OutputStream out) throws IOException {
        this.out = out;
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(LINKTYPE_ETHERNET);
        out.write(header.array());
    }

    /** Writes one frame as the wire carried it ({@code bytes} with its FCS, which is left out). */
    public void frame(long epochMicros, byte[] bytes) throws IOException {
        int length = Math.max(0, bytes.length - FrameCodec.FCS);
        ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        record.putInt((int) (epochMicros / 1_000_000)).putInt((int) (epochMicros % 1_000_000)).putInt(length)
                .putInt(length);
        out.write(record.array());
        out.write(bytes, 0, length);
        records++;
    }

    public long records() {
        return records;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
