package org.smpcluster.nanokernel.dsp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.smpcluster.nanokernel.layout.DspRingDescriptor;
import org.smpcluster.nanokernel.layout.Shm;

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
        long tail = Shm.getLongVolatile(ring, DspRingDescriptor.TAIL_OFFSET);
        long head = Shm.getLongAcquire(ring, DspRingDescriptor.HEAD_OFFSET);
        if (tail - head >= DspRingDescriptor.SLOTS) {
            return false;
        }
        long slot = DspRingDescriptor.slot(tail);
        ring.set(ValueLayout.JAVA_BYTE, slot + DspRingDescriptor.VERSION_OFFSET, DspRingDescriptor.VERSION);
        ring.set(ValueLayout.JAVA_BYTE, slot + DspRingDescriptor.TYPE_OFFSET, (byte) m.type());
        ring.set(ValueLayout.JAVA_SHORT, slot + DspRingDescriptor.STATUS_OFFSET, (short) m.status());
        ring.set(ValueLayout.JAVA_INT, slot + DspRingDescriptor.PAYLOAD_LENGTH_OFFSET, m.payload().length);
        ring.set(ValueLayout.JAVA_LONG, slot + DspRingDescriptor.REQUEST_ID_OFFSET, m.requestId());
        MemorySegment.copy(m.payload(), 0, ring, ValueLayout.JAVA_BYTE, slot + DspRingDescriptor.PAYLOAD_OFFSET,
                m.payload().length);
        Shm.setLongRelease(ring, DspRingDescriptor.TAIL_OFFSET, tail + 1);
        return true;
    }

    /**
     * Consumer: takes the next message, or null when there is none. A slot that does not hold
     * a valid message is consumed and reported as {@link MalformedMessage}.
     */
    Message poll() {
        long head = Shm.getLongVolatile(ring, DspRingDescriptor.HEAD_OFFSET);
        long tail = Shm.getLongAcquire(ring, DspRingDescriptor.TAIL_OFFSET);
        if (head == tail) {
            return null;
        }
        long slot = DspRingDescriptor.slot(head);
        try {
            if (tail - head > DspRingDescriptor.SLOTS || tail < head) {
                // A producer that wrote garbage into the counters: skip to its tail.
                Shm.setLongRelease(ring, DspRingDescriptor.HEAD_OFFSET, tail);
                throw new MalformedMessage("ring counters head=" + head + " tail=" + tail + " are inconsistent", 0);
            }
            byte version = ring.get(ValueLayout.JAVA_BYTE, slot + DspRingDescriptor.VERSION_OFFSET);
            int type = Byte.toUnsignedInt(ring.get(ValueLayout.JAVA_BYTE, slot + DspRingDescriptor.TYPE_OFFSET));
            int status = Short.toUnsignedInt(ring.get(ValueLayout.JAVA_SHORT, slot + DspRingDescriptor.STATUS_OFFSET));
            int length = ring.get(ValueLayout.JAVA_INT, slot + DspRingDescriptor.PAYLOAD_LENGTH_OFFSET);
            long requestId = ring.get(ValueLayout.JAVA_LONG, slot + DspRingDescriptor.REQUEST_ID_OFFSET);
            if (version != DspRingDescriptor.VERSION) {
                throw new MalformedMessage("message version " + version + ", expected " + DspRingDescriptor.VERSION,
                        requestId);
            }
            if (length < 0 || length > DspRingDescriptor.MAX_PAYLOAD) {
                throw new MalformedMessage("payload length " + length + " outside 0.." + DspRingDescriptor.MAX_PAYLOAD,
                        requestId);
            }
            byte[] payload = ring.asSlice(slot + DspRingDescriptor.PAYLOAD_OFFSET, length).toArray(ValueLayout.JAVA_BYTE);
            Shm.setLongRelease(ring, DspRingDescriptor.HEAD_OFFSET, head + 1);
            return new Message(type, status, requestId, payload);
        } catch (MalformedMessage e) {
            if (Shm.getLongVolatile(ring, DspRingDescriptor.HEAD_OFFSET) == head) {
                Shm.setLongRelease(ring, DspRingDescriptor.HEAD_OFFSET, head + 1);
            }
            throw e;
        }
    }

    /** Test hook: the raw ring. */
    MemorySegment segment() {
        return ring;
    }
}
