package org.smpcluster.nanokernel.dsp;

import java.lang.foreign.MemorySegment;

import org.smpcluster.nanokernel.layout.DspRingDescriptor;

/**
 * One single-producer, single-consumer DSP ring in shared memory. The producer side and the
 * consumer side are used by different processes; within a process each side is used by one
 * thread at a time (callers serialize).
 */
final class Ring {

    /** What the consumer found in a slot that does not hold a valid message. */
    static final class MalformedMessage extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long requestId;

        MalformedMessage(String message, long requestId) {
            super(message);
            this.requestId = requestId;
        }
    }

    private final MemorySegment ring;

    Ring(MemorySegment physmem, long offset) {
        this.ring = physmem.asSlice(offset, DspRingDescriptor.LENGTH);
    }

    /** Producer: appends {@code m}; false when the ring is full (back-pressure, try again). */
    boolean offer(Message m) {
        if (m.payload().length > DspRingDescriptor.MAX_PAYLOAD) {
            throw new IllegalArgumentException(Message.typeName(m.type()) + " payload of " + m.payload().length
                    + " bytes; at most " + DspRingDescriptor.MAX_PAYLOAD + " fit");
        }
        long tail = DspRingDescriptor.tail(ring);
        if (tail - DspRingDescriptor.head(ring) >= DspRingDescriptor.SLOTS) {
            return false;
        }
        DspRingDescriptor.writeSlot(ring, tail, m.type(), m.status(), m.requestId(), m.payload());
        DspRingDescriptor.tail(ring, tail + 1);
        return true;
    }

    /**
     * Consumer: takes the next message, or null when there is none. A slot that does not hold
     * a valid message is consumed and reported as {@link MalformedMessage}.
     */
    Message poll() {
        long head = DspRingDescriptor.head(ring);
        long tail = DspRingDescriptor.tail(ring);
        if (head == tail) {
            return null;
        }
        if (tail - head > DspRingDescriptor.SLOTS || tail < head) {
            // A producer that wrote garbage into the counters: skip to its tail.
            DspRingDescriptor.head(ring, tail);
            throw new MalformedMessage("ring counters head=" + head + " tail=" + tail + " are inconsistent", 0);
        }
        DspRingDescriptor.RawMessage raw = DspRingDescriptor.readHeader(ring, head);
        try {
            if (raw.version() != DspRingDescriptor.VERSION) {
                throw new MalformedMessage("message version " + raw.version() + ", expected "
                        + DspRingDescriptor.VERSION, raw.requestId());
            }
            if (raw.payloadLength() < 0 || raw.payloadLength() > DspRingDescriptor.MAX_PAYLOAD) {
                throw new MalformedMessage("payload length " + raw.payloadLength() + " outside 0.."
                        + DspRingDescriptor.MAX_PAYLOAD, raw.requestId());
            }
            return new Message(raw.type(), raw.status(), raw.requestId(),
                    DspRingDescriptor.readPayload(ring, head, raw.payloadLength()));
        } finally {
            DspRingDescriptor.head(ring, head + 1); // the slot is consumed, valid or not
        }
    }

    /** Producer side: whether one more message fits now. */
    boolean hasRoom() {
        return DspRingDescriptor.tail(ring) - DspRingDescriptor.head(ring) < DspRingDescriptor.SLOTS;
    }

    /** Whether a message waits (either side may ask). */
    boolean isEmpty() {
        return DspRingDescriptor.tail(ring) == DspRingDescriptor.head(ring);
    }

    /** Consumer side: drops every waiting message. */
    void skipAll() {
        DspRingDescriptor.head(ring, DspRingDescriptor.tail(ring));
    }

    /** Test hook: the raw ring. */
    MemorySegment segment() {
        return ring;
    }
}
