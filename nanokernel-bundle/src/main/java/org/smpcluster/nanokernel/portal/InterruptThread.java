package org.smpcluster.nanokernel.portal;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DoorbellDescriptor;

/**
 * A vnode's interrupt thread: takes the hits rung on the vnode's doorbell and delivers them,
 * vector by vector with their counts, to a {@link Sink} (the interrupt pipeline). When there is
 * nothing to take it spins for a while, then futex-waits on the doorbell word. The wait is
 * timed only for the work this thread does itself: the vnode's heartbeat (its tick) and the
 * timer interrupt. As the heartbeat comes from this thread, a vnode whose interrupt thread is
 * stuck in a handler, or dead, stops beating, and the root's watchdog sees it.
 */
public final class InterruptThread implements AutoCloseable {

    /** Where taken hits go. Called on the interrupt thread only. */
    @FunctionalInterface
    public interface Sink {
        void deliver(int vector, long hits);
    }

    /** Spin forever: never futex-wait (lowest latency, one CPU busy). */
    public static final long SPIN_FOREVER = Long.MAX_VALUE;

    private final MemorySegment physmem;
    private final long bell;
    private final MemorySegment word;
    private final Sink sink;
    private final long spinNanos;
    private final Runnable tick;
    private final long tickNanos;
    private final long timerNanos;
    private final AtomicLongArray received = new AtomicLongArray(Portals.VECTORS);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean hung;

    /**
     * An interrupt thread without a tick or a timer, on a plain daemon thread.
     *
     * @param spinNanos how long to spin before futex-waiting; 0 to wait at once,
     *        {@link #SPIN_FOREVER} never to wait
     */
    public InterruptThread(MemorySegment physmem, int vnode, Sink sink, long spinNanos) {
        this(physmem, vnode, sink, spinNanos, null, 0, 0,
                (name, body) -> Thread.ofPlatform().daemon().name(name).unstarted(body));
    }

    /**
     * @param spinNanos how long to spin before futex-waiting; 0 to wait at once,
     *        {@link #SPIN_FOREVER} never to wait
     * @param tick run on this thread at least every {@code tickNanos} while it is free to (the
     *        vnode's heartbeat: it stops when this thread is stuck or dead); null for none
     * @param timerNanos the period of the timer interrupt ({@link Portals#VECTOR_TIMER}),
     *        delivered by this thread; 0 for none
     * @param threads makes the thread (the vnode's kernel threads panic when they die)
     */
    public InterruptThread(MemorySegment physmem, int vnode, Sink sink, long spinNanos, Runnable tick,
            long tickNanos, long timerNanos, BiFunction<String, Runnable, Thread> threads) {
        if (tick != null && tickNanos <= 0) {
            throw new IllegalArgumentException("tickNanos=" + tickNanos + " must be positive for a tick");
        }
        if (timerNanos < 0) {
            throw new IllegalArgumentException("timerNanos=" + timerNanos + " must be 0 (no timer) or positive");
        }
        this.physmem = physmem;
        this.bell = ControlArea.doorbell(vnode);
        this.word = Futex.word(physmem, bell + DoorbellDescriptor.WORD_OFFSET);
        this.sink = sink;
        this.spinNanos = spinNanos;
        this.tick = tick;
        this.tickNanos = tick == null ? 0 : tickNanos;
        this.timerNanos = timerNanos;
        this.thread = threads.apply("vnode-" + vnode + "-irq", this::run);
    }

    public InterruptThread start() {
        thread.start();
        return this;
    }

    private void run() {
        long now = System.nanoTime();
        long nextTick = now; // beat at once: the vnode is alive from its first turn
        long nextTimer = now + timerNanos;
        while (running) {
            if (hung) {
                hang();
                continue;
            }
            now = System.nanoTime();
            if (tickNanos > 0 && now - nextTick >= 0) {
                tick.run();
                nextTick = now + tickNanos;
            }
            if (timerNanos > 0 && now - nextTimer >= 0) {
                // Periods missed while a handler ran are counted as hits, as a timer does.
                long due = 1 + (now - nextTimer) / timerNanos;
                nextTimer += due * timerNanos;
                received.addAndGet(Portals.VECTOR_TIMER, due);
                sink.deliver(Portals.VECTOR_TIMER, due);
            }
            int seen = DoorbellDescriptor.word(physmem, bell);
            if (drain() > 0) {
                continue;
            }
            long wait = untilNext(now, nextTick, nextTimer);
            if (spin(seen, wait)) {
                continue;
            }
            DoorbellDescriptor.waiting(physmem, bell, true);
            if (running && DoorbellDescriptor.word(physmem, bell) == seen) {
                // Timed when this thread has a tick or a timer: it wakes for them, at the latest.
                Futex.await(word, seen, wait < 0 ? 0 : Math.max(1, untilNext(System.nanoTime(), nextTick, nextTimer)));
            }
            DoorbellDescriptor.waiting(physmem, bell, false);
        }
        drain();
    }

    /** Nanos from {@code now} to the next tick or timer interrupt; -1 when there is neither. */
    private long untilNext(long now, long nextTick, long nextTimer) {
        long wait = -1;
        if (tickNanos > 0) {
            wait = Math.max(0, nextTick - now);
        }
        if (timerNanos > 0) {
            long t = Math.max(0, nextTimer - now);
            wait = wait < 0 ? t : Math.min(wait, t);
        }
        return wait;
    }

    /** Fault injection: this thread stops working (as if stuck in a handler) until closed. */
    public void injectHang() {
        hung = true;
        DoorbellDescriptor.nudge(physmem, bell);
        Futex.wake(word, Integer.MAX_VALUE);
    }

    private void hang() {
        while (running) {
            LockSupport.park(this); // close() unparks it
        }
    }

    /**
     * Spins until the word moves (true) or the spin budget, or {@code limitNanos} if it is not
     * negative, is spent (false).
     */
    private boolean spin(int seen, long limitNanos) {
        if (spinNanos <= 0) {
            return false;
        }
        long budget = limitNanos < 0 ? spinNanos : Math.min(spinNanos, limitNanos);
        long start = System.nanoTime();
        while (running) {
            if (DoorbellDescriptor.word(physmem, bell) != seen) {
                return true;
            }
            long spun = System.nanoTime() - start;
            if (budget != SPIN_FOREVER && spun > budget) {
                return false;
            }
            if (spun < 2_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // a vnode may have one CPU: its other threads must get it while we wait
            }
        }
        return true;
    }

    /** Takes every pending hit once; returns how many were taken. */
    int drain() {
        long summary = DoorbellDescriptor.takeSummary(physmem, bell);
        long taken = 0;
        while (summary != 0) {
            int vector = Long.numberOfTrailingZeros(summary);
            summary &= summary - 1;
            long hits = DoorbellDescriptor.takeHits(physmem, bell, vector);
            if (hits > 0) {
                received.addAndGet(vector, hits);
                taken += hits;
                sink.deliver(vector, hits);
            }
        }
        return (int) Math.min(taken, Integer.MAX_VALUE);
    }

    /** Hits taken so far for {@code vector}. */
    public long received(int vector) {
        return received.get(vector);
    }

    /** Stops the thread after it delivers what is pending; waits for it. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        DoorbellDescriptor.nudge(physmem, bell);
        Futex.wake(word, Integer.MAX_VALUE);
        if (Thread.currentThread() != thread) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
