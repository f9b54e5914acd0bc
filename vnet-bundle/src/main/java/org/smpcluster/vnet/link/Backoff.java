package org.smpcluster.vnet.link;

import java.util.random.RandomGenerator;

/**
 * Truncated binary exponential backoff (IEEE 802.3 clause 4.2.3.2.5): after the n-th
 * collision of a frame, wait r slot times with r uniform in [0, 2^min(n, 10) − 1]; after
 * {@link #ATTEMPT_LIMIT} attempts the frame is given up as an excessive collision.
 */
public final class Backoff {

    /** Attempts at one frame before it is given up. */
    public static final int ATTEMPT_LIMIT = 16;

    /** The exponent stops growing here. */
    public static final int BACKOFF_LIMIT = 10;

    private final RandomGenerator random;

    public Backoff(RandomGenerator random) {
        this.random = random;
    }

    /**
     * Draws from the calling thread's {@code ThreadLocalRandom} at each use (a generator captured
     * once would be another thread's, unseeded there: every vnode would back off alike).
     */
    public static Backoff threadLocal() {
        return new Backoff(new RandomGenerator() {
            @Override
            public long nextLong() {
                return java.util.concurrent.ThreadLocalRandom.current().nextLong();
            }

            @Override
            public int nextInt(int bound) {
                return java.util.concurrent.ThreadLocalRandom.current().nextInt(bound);
            }
        });
    }

    /** The slot times to wait after the {@code collisions}-th collision (1 for the first). */
    public int slots(int collisions) {
        if (collisions < 1) {
            throw new IllegalArgumentException("collisions start at 1, got " + collisions);
        }
        int k = Math.min(collisions, BACKOFF_LIMIT);
        return random.nextInt(1 << k);
    }

    /** Whether a frame that has collided {@code collisions} times is given up. */
    public static boolean excessive(int collisions) {
        return collisions >= ATTEMPT_LIMIT;
    }
}
