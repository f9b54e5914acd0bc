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
    static class MalformedMessage extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long requestId;

        MalformedMessage(String message, long requestId) {
            super(message, null, false, false); // a protocol event, not a bug: no stack trace to log
            this.requestId = requestId;
        }
    }

    /**
     * The counters were garbage ({@code tail - head} outside {@code 0..SLOTS}): the consumer has
     * reset the ring (head = tail), dropping what was in flight, and the ring works again.
     */
    static final class CorruptRing extends MalformedMessage {
        private static final long serialVersionUID = 1L;

        CorruptRing(String message) {
            super(message, 0);
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
        if (!hasRoom()) {
            return false;
        }
        long tail = DspRingDescriptor.tail(ring);
        DspRingDescriptor.writeSlot(ring, tail, m.type(), m.status(), m.requestId(), m.payload());
        DspRingDescriptor.tail(ring, tail + 1);
        return true;
    }

    /**
     * Consumer: takes the next message, or null when there is none. A slot that does not hold
     * a valid message is consumed and reported as {@link MalformedMessage}; counters that are
     * garbage reset the ring and are reported as {@link CorruptRing}. Nothing else is thrown,
     * whatever the shared memory holds, and every call that finds something makes progress.
     */
    Message poll() {
        long head = DspRingDescriptor.head(ring);
        long tail = DspRingDescriptor.tail(ring);
        if (head == tail) {
            return null;
        }
        long queued = tail - head; // wraps like the counters; garbage gives anything
        if (queued < 0 || queued > DspRingDescriptor.SLOTS) {
            DspRingDescriptor.head(ring, tail);
            throw new CorruptRing("ring counters head=" + head + " tail=" + tail + " are inconsistent (tail - head="
                    + queued + ", allowed 0.." + DspRingDescriptor.SLOTS + "); the ring was reset");
        }
        try {
            DspRingDescriptor.RawMessage raw = DspRingDescriptor.readHeader(ring, head);
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

    /**
     * Producer side: whether one more message fits now. Counters that are garbage count as
     * room: the message written then is dropped when the consumer resets the ring, instead of
     * the producer waiting for room that never comes.
     */
    boolean hasRoom() {
        long queued = DspRingDescriptor.tail(ring) - DspRingDescriptor.head(ring);
        return queued != DspRingDescriptor.SLOTS;
    }

    /** Whether a message waits (either side may ask). */
    boolean isEmpty() {
        return DspRingDescriptor.tail(ring) == DspRingDescriptor.head(ring);
    }

    /**
     * Drops every waiting message (garbage counters included): the consumer's reset. The
     * producer may do it too, but only once the consumer is gone for good (its vnode died or
     * left), as head is the consumer's.
     */
    void skipAll() {
        DspRingDescriptor.head(ring, DspRingDescriptor.tail(ring));
    }

    /** Test hook: the raw ring. */
    MemorySegment segment() {
        return ring;
    }
}
