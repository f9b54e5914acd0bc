package org.smpcluster.nanokernel.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One direction of the DSP between a vnode and the root: a single-producer, single-consumer
 * ring of fixed 256-byte message slots in 4 KiB. The producer writes a slot, then advances
 * {@code tail} with release; the consumer reads {@code tail} with acquire, reads the slot, then
 * advances {@code head} with release, which frees the slot. Head and tail are written by
 * different processes, so they sit two cache lines apart. {@code tail - head} is between 0 and
 * {@code SLOTS}; counters outside that (garbage) make the consumer reset the ring: it sets
 * {@code head} to {@code tail}, dropping what was in flight.
 *
 * <pre>
 *  offset  size
 *  0       8     head: messages consumed (written by the consumer)
 *  128     8     tail: messages produced (written by the producer)
 *  256     256   slot 0   \
 *  ...           ...       } SLOTS slots; message n is in slot n % SLOTS
 *  3840    256   slot 14  /
 *
 *  A slot holds one message:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    Version    |     Type      |            Status             |  0
 *  +---------------+---------------+-------------------------------+
 *  |                      Payload Length                           |  4
 *  +---------------------------------------------------------------+
 *  |                     Request Id (8 bytes)                      |  8
 *  +---------------------------------------------------------------+
 *  |                 Payload (up to 240 bytes)                     | 16
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class DspRingDescriptor {

    public static final int LENGTH = 4096;
    public static final int HEAD_OFFSET = 0;
    public static final int TAIL_OFFSET = 128;
    public static final int SLOTS_OFFSET = 256;
    public static final int SLOT_LENGTH = 256;
    public static final int SLOTS = (LENGTH - SLOTS_OFFSET) / SLOT_LENGTH;

    public static final int VERSION_OFFSET = 0;
    public static final int TYPE_OFFSET = 1;
    public static final int STATUS_OFFSET = 2;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int REQUEST_ID_OFFSET = 8;
    public static final int PAYLOAD_OFFSET = 16;
    public static final int MAX_PAYLOAD = SLOT_LENGTH - PAYLOAD_OFFSET;

    /** The message format's version; a message of another version is rejected. */
    public static final byte VERSION = 1;

    private DspRingDescriptor() {
    }

    /**
     * Offset of message {@code position}'s slot from the ring's start. Any position maps into
     * the ring, a negative one too (garbage a broken producer wrote into the counters): the
     * counters are shared memory, and reading them must never index outside it.
     */
    public static long slot(long position) {
        return SLOTS_OFFSET + Math.floorMod(position, SLOTS) * SLOT_LENGTH;
    }

    /** A slot's fields as found, before any check. */
    public record RawMessage(byte version, int type, int status, int payloadLength, long requestId) {
    }

    public static long head(MemorySegment ring) {
        return Shm.getLongAcquire(ring, HEAD_OFFSET);
    }

    /** Consumer: frees the slots before {@code position}. */
    public static void head(MemorySegment ring, long position) {
        Shm.setLongRelease(ring, HEAD_OFFSET, position);
    }

    public static long tail(MemorySegment ring) {
        return Shm.getLongAcquire(ring, TAIL_OFFSET);
    }

    /** Producer: publishes the slots before {@code position}. */
    public static void tail(MemorySegment ring, long position) {
        Shm.setLongRelease(ring, TAIL_OFFSET, position);
    }

    /** Producer: fills message {@code position}'s slot (then publishes it with {@link #tail}). */
    public static void writeSlot(MemorySegment ring, long position, int type, int status, long requestId,
            byte[] payload) {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes; at most " + MAX_PAYLOAD
                    + " fit");
        }
        long slot = slot(position);
        ring.set(ValueLayout.JAVA_BYTE, slot + VERSION_OFFSET, VERSION);
        ring.set(ValueLayout.JAVA_BYTE, slot + TYPE_OFFSET, (byte) type);
        ring.set(ValueLayout.JAVA_SHORT, slot + STATUS_OFFSET, (short) status);
        ring.set(ValueLayout.JAVA_INT, slot + PAYLOAD_LENGTH_OFFSET, payload.length);
        ring.set(ValueLayout.JAVA_LONG, slot + REQUEST_ID_OFFSET, requestId);
        MemorySegment.copy(payload, 0, ring, ValueLayout.JAVA_BYTE, slot + PAYLOAD_OFFSET, payload.length);
    }

    /** Consumer: the header fields of message {@code position}'s slot, unchecked. */
    public static RawMessage readHeader(MemorySegment ring, long position) {
        long slot = slot(position);
        return new RawMessage(ring.get(ValueLayout.JAVA_BYTE, slot + VERSION_OFFSET),
                Byte.toUnsignedInt(ring.get(ValueLayout.JAVA_BYTE, slot + TYPE_OFFSET)),
                Short.toUnsignedInt(ring.get(ValueLayout.JAVA_SHORT, slot + STATUS_OFFSET)),
                ring.get(ValueLayout.JAVA_INT, slot + PAYLOAD_LENGTH_OFFSET),
                ring.get(ValueLayout.JAVA_LONG, slot + REQUEST_ID_OFFSET));
    }

    /** Consumer: a copy of message {@code position}'s payload, {@code length} checked by the caller. */
    public static byte[] readPayload(MemorySegment ring, long position, int length) {
        return ring.asSlice(slot(position) + PAYLOAD_OFFSET, length).toArray(ValueLayout.JAVA_BYTE);
    }
}
