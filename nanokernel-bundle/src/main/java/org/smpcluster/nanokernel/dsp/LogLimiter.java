package org.smpcluster.nanokernel.dsp;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * At most one log line per key (a vnode id) per period: a vnode writing garbage into its ring
 * on every interrupt must not flood the root's log with hundreds of lines. The lines held back
 * are counted and the next line says how many there were.
 */
final class LogLimiter {

    private final Logger log;
    private final long periodNanos;
    private final AtomicLongArray last;
    private final AtomicLongArray held;

    LogLimiter(Logger log, int keys, long periodNanos) {
        this.log = log;
        this.periodNanos = periodNanos;
        this.last = new AtomicLongArray(keys);
        this.held = new AtomicLongArray(keys);
    }

    /** Logs {@code line} unless a line for {@code key} went out less than a period ago; returns whether it did. */
    boolean log(int key, Level level, String line) {
        long now = System.nanoTime();
        long previous = last.get(key);
        if (previous != 0 && now - previous < periodNanos || !last.compareAndSet(key, previous, now == 0 ? 1 : now)) {
            held.incrementAndGet(key);
            return false;
        }
        long more = held.getAndSet(key, 0);
        log.log(level, more == 0 ? line : line + " (" + more + " more such reports held back since the last one)");
        return true;
    }
}
