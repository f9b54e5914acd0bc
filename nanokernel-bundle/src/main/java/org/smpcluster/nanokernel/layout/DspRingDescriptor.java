package org.smpcluster.nanokernel.layout;

/**
 * One direction of the DSP between a vnode and the root: a single-producer, single-consumer
 * ring of fixed 256-byte message slots in 4 KiB. The producer writes a slot, then advances
 * {@code tail} with release; the consumer reads {@code tail} with acquire, reads the slot, then
 * advances {@code head} with release, which frees the slot. Head and tail are written by
 * different processes, so they sit two cache lines apart.
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

    /** Offset of message {@code position}'s slot from the ring's start. */
    public static long slot(long position) {
        return SLOTS_OFFSET + (position % SLOTS) * SLOT_LENGTH;
    }
}
