package org.smpcluster.mosix.bench;

/**
 * The CPU-bound kernel of {@link Burn} and {@link BurnThreads}: plain JDK code, so that the
 * threads' JVM needs nothing else on its class path. One unit is a few milliseconds of integer
 * work on one core, which no allocation or memory traffic disturbs.
 */
public final class BurnWork {

    private BurnWork() {
    }

    /** One unit of work from {@code seed}: a checksum the caller folds in, so nothing is dead code. */
    public static long unit(long seed) {
        long x = seed * 0x9E3779B97F4A7C15L | 1;
        for (int i = 0; i < 1_000_000; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        return x;
    }
}
