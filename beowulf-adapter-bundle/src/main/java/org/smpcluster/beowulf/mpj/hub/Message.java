package org.smpcluster.beowulf.mpj.hub;

/**
 * A message on its way: the envelope, the payload, and (for synchronous, buffered and rendezvous
 * sends) the ticket its sender waits on until a receive has consumed it.
 *
 * <p>The payload is an array of one base type ({@code code} says which; the codes are the device
 * SPI's), {@code length} elements from {@code offset}. It is either a copy made for this message, or,
 * for a rendezvous, the sender's own array, which the receiver copies once before it acks.
 */
public final class Message {

    final int context;
    final int source;
    final int tag;
    final Object data;
    final int offset;
    final int length;
    final int code;
    final Ticket sendTicket;

    public Message(int context, int source, int tag, Object data, int offset, int length, int code, Ticket sendTicket) {
        this.context = context;
        this.source = source;
        this.tag = tag;
        this.data = data;
        this.offset = offset;
        this.length = length;
        this.code = code;
        this.sendTicket = sendTicket;
    }

    public int context() {
        return context;
    }

    public int source() {
        return source;
    }

    public int tag() {
        return tag;
    }

    public Object data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    public int code() {
        return code;
    }

    boolean matches(int ctx, int src, int tg, int anySource, int anyTag) {
        return context == ctx && (src == anySource || src == source) && (tg == anyTag || tg == tag);
    }
}
