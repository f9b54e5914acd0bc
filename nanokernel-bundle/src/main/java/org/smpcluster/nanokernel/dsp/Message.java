package org.smpcluster.nanokernel.dsp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One DSP message (see {@link org.smpcluster.nanokernel.layout.DspRingDescriptor} for its
 * layout in a ring slot). Requests carry a type; a response carries its request's type with
 * {@link #RESPONSE} set, the request's id and a status.
 */
public record Message(int type, int status, long requestId, byte[] payload) {

    public static final int JOIN = 1;
    public static final int LEAVE = 2;
    public static final int BRIDGE_OPEN = 3;
    public static final int BRIDGE_CLOSE = 4;
    public static final int PING = 5;
    public static final int DEVICE_LIST = 6;
    public static final int DEVICE_RELEASED = 7;
    public static final int DEVICE_ATTACHED = 8;
    public static final int BRIDGE_FROZEN = 9;
    public static final int RESPONSE = 0x80;

    public static final int OK = 0;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EINVAL = 22;
    public static final int EPROTO = 71;
    /** The root reset the vnode's request ring (its counters were garbage): what was in it is lost. */
    public static final int ECONNRESET = 104;

    public boolean isResponse() {
        return (type & RESPONSE) != 0;
    }

    public Message response(int status, byte[] payload) {
        return new Message(type | RESPONSE, status, requestId, payload);
    }

    /** An error answer; its text is cut to what fits a ring slot (on a character boundary). */
    public Message error(int status, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int max = org.smpcluster.nanokernel.layout.DspRingDescriptor.MAX_PAYLOAD;
        if (utf8.length > max) {
            int cut = max;
            while (cut > 0 && (utf8[cut] & 0xC0) == 0x80) {
                cut--; // do not split a UTF-8 sequence
            }
            utf8 = java.util.Arrays.copyOf(utf8, cut);
        }
        return response(status, utf8);
    }

    /** The payload read as little-endian fields. */
    public ByteBuffer body() {
        return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The payload as text (error responses). */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** A little-endian payload of {@code size} bytes to fill. */
    public static ByteBuffer payload(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static String typeName(int type) {
        String base = switch (type & ~RESPONSE) {
            case JOIN -> "JOIN";
            case LEAVE -> "LEAVE";
            case BRIDGE_OPEN -> "BRIDGE_OPEN";
            case BRIDGE_CLOSE -> "BRIDGE_CLOSE";
            case PING -> "PING";
            case DEVICE_LIST -> "DEVICE_LIST";
            case DEVICE_RELEASED -> "DEVICE_RELEASED";
            case DEVICE_ATTACHED -> "DEVICE_ATTACHED";
            case BRIDGE_FROZEN -> "BRIDGE_FROZEN";
            default -> "type " + (type & ~RESPONSE);
        };
        return (type & RESPONSE) != 0 ? base + " response" : base;
    }
}
