package org.smpcluster.vnet.link;

import java.time.Duration;

/**
 * A wire's parameters, fixed by the station that formats it.
 *
 * @param slots ring slots (a power of two): how far a receiver may fall behind before it
 *        loses frames to overrun
 * @param slotTimeNanos the slot time: the vulnerable window at the start of each transmission,
 *        and the backoff unit
 * @param gapNanos the interframe gap every station keeps after the carrier drops
 * @param jabberNanos how long a station may hold the carrier before the others cut it, if it
 *        is gone (see {@link Station})
 * @param bitsPerSecond the wire's bit rate (a transmission holds the carrier for its frame's
 *        bits at this rate), or 0 for as fast as memory copies
 */
public record WireParams(int slots, long slotTimeNanos, long gapNanos, long jabberNanos, long bitsPerSecond) {

    /** The 802.3 jabber bound this implementation keeps: the carrier is free within 10 ms. */
    public static final Duration MAX_JABBER = Duration.ofMillis(10);

    /**
     * 1024 slots, 500 ns slot time, 100 ns gap, 5 ms jabber timeout (a dead holder's carrier is
     * cut by the next station that wants it, well within the 10 ms bound even on a busy CPU; a
     * live holder preempted that long is not: see {@link Station}), no bit rate limit.
     */
    public static final WireParams DEFAULT = new WireParams(1024, 500, 100, 5_000_000, 0);

    public WireParams {
        if (slots < 8 || Integer.bitCount(slots) != 1 || slots > 1 << 16) {
            throw new IllegalArgumentException("ring slots must be a power of two in 8..65536, not " + slots);
        }
        if (slotTimeNanos < 1 || slotTimeNanos > 1_000_000) {
            throw new IllegalArgumentException("slot time must be 1 ns .. 1 ms, not " + slotTimeNanos + " ns");
        }
        if (gapNanos < 0 || gapNanos > slotTimeNanos * 100) {
            throw new IllegalArgumentException("interframe gap must be 0 .. 100 slot times, not " + gapNanos + " ns");
        }
        if (jabberNanos < 1_000_000 || jabberNanos > MAX_JABBER.toNanos()) {
            throw new IllegalArgumentException("jabber timeout must be 1 .. 10 ms, not " + jabberNanos + " ns");
        }
        if (bitsPerSecond < 0) {
            throw new IllegalArgumentException("bit rate must not be negative");
        }
        if (bitsPerSecond > 0 && 1518L * 8 * 1_000_000_000L / bitsPerSecond + slotTimeNanos >= jabberNanos) {
            throw new IllegalArgumentException("at " + bitsPerSecond + " bit/s a 1518-byte frame holds the wire longer"
                    + " than the jabber timeout (" + jabberNanos / 1_000_000 + " ms): every long frame would be cut");
        }
    }

    public WireParams withSlotTime(long nanos) {
        return new WireParams(slots, nanos, gapNanos, jabberNanos, bitsPerSecond);
    }

    public WireParams withGap(long nanos) {
        return new WireParams(slots, slotTimeNanos, nanos, jabberNanos, bitsPerSecond);
    }

    public WireParams withSlots(int count) {
        return new WireParams(count, slotTimeNanos, gapNanos, jabberNanos, bitsPerSecond);
    }

    public WireParams withBitRate(long bits) {
        return new WireParams(slots, slotTimeNanos, gapNanos, jabberNanos, bits);
    }

    /** Nanoseconds a frame of {@code bytes} holds the carrier at the bit rate (0 if unlimited). */
    public long transmitNanos(int bytes) {
        return bitsPerSecond == 0 ? 0 : bytes * 8L * 1_000_000_000L / bitsPerSecond;
    }
}
