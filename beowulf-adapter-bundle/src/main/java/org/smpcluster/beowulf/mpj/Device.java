package org.smpcluster.beowulf.mpj;

import java.util.function.Consumer;

/**
 * A message-passing device: the transport of one rank. Ranks are the job's ranks (the ranks of
 * {@code MPI.COMM_WORLD}); a context keeps the messages of one communicator apart from the others.
 */
public interface Device {

    /** The wildcard source and tag ({@code MPI.ANY_SOURCE}, {@code MPI.ANY_TAG}). */
    int ANY = -2;

    /** Base type codes of a payload's array. */
    int BYTE = 1, CHAR = 2, SHORT = 3, BOOLEAN = 4, INT = 5, LONG = 6, FLOAT = 7, DOUBLE = 8, PACKED = 9,
            OBJECT = 12;

    /** How a send completes. */
    enum Mode {
        /** The payload is the message's own copy: the send is complete when posted. */
        EAGER,
        /** The payload is the message's own copy; the send completes when a receive has consumed it. */
        SYNCHRONOUS,
        /** The payload is the sender's array: the receive copies it once, then the send completes. */
        RENDEZVOUS
    }

    int rank();

    int size();

    /** The name of the node this rank runs on. */
    String processorName();

    /** Starts a send of {@code payload} to rank {@code dest}. */
    Transfer send(int context, int dest, int tag, Payload payload, Mode mode);

    /**
     * Starts a receive; {@code sink} consumes the matched payload, on whichever thread matches it,
     * before the receive completes.
     */
    Transfer receive(int context, int source, int tag, Consumer<Payload> sink);

    /** The envelope of the oldest matching message not yet received, or null if none and not {@code block}. */
    Envelope probe(int context, int source, int tag, boolean block);

    /** Ends the whole job with {@code code}; returns the exception the caller should throw. */
    RuntimeException abort(int code, String why);

    /** Throws if the job has ended (aborted); polling loops call it. */
    default void check() {
    }

    /** Releases this rank's hold on the device. */
    void close();

    /** Bytes one element of type {@code code} takes on a wire. */
    static int bytesPerElement(int code) {
        return switch (code) {
            case BYTE, BOOLEAN, PACKED, OBJECT -> 1;
            case CHAR, SHORT -> 2;
            case INT, FLOAT -> 4;
            case LONG, DOUBLE -> 8;
            default -> throw new IllegalArgumentException("unknown type code " + code);
        };
    }
}
