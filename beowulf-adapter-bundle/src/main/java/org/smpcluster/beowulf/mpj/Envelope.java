package org.smpcluster.beowulf.mpj;

/** What a probe or a completed receive learns of a message: its source (device rank), tag, type and length. */
public record Envelope(int source, int tag, int code, int length) {
}
