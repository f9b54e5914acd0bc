package org.smpcluster.nanokernel.portal;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;

import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DoorbellDescriptor;

/**
 * A vnode's interrupt thread: takes the hits rung on the vnode's doorbell and delivers them,
 * vector by vector with their counts, to a {@link Sink} (the interrupt pipeline). When there is
 * nothing to take it spins for a while, then futex-waits on the doorbell word; there is no
 * periodic polling.
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
    private final AtomicLongArray received = new AtomicLongArray(Portals.VECTORS);
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param spinNanos how long to spin before futex-waiting; 0 to wait at once,
     *        {@link #SPIN_FOREVER} never to wait
     */
    public InterruptThread(MemorySegment physmem, int vnode, Sink sink, long spinNanos) {
        this.physmem = physmem;
        this.bell = ControlArea.doorbell(vnode);
        this.word = Futex.word(physmem, bell + DoorbellDescriptor.WORD_OFFSET);
        this.sink = sink;
        this.spinNanos = spinNanos;
        this.thread = Thread.ofPlatform().daemon().name("vnode-" + vnode + "-irq").unstarted(this::run);
    }

    public InterruptThread start() {
        thread.start();
        return this;
    }

    private void run() {
        while (running) {
            int seen = DoorbellDescriptor.word(physmem, bell);
            if (drain() > 0) {
                continue;
            }
            if (spin(seen)) {
                continue;
            }
            DoorbellDescriptor.waiting(physmem, bell, true);
            if (running && DoorbellDescriptor.word(physmem, bell) == seen) {
                Futex.await(word, seen, 0);
            }
            DoorbellDescriptor.waiting(physmem, bell, false);
        }
        drain();
    }

    /** Spins until the word moves (true) or the spin budget is spent (false). */
    private boolean spin(int seen) {
        if (spinNanos <= 0) {
            return false;
        }
        long start = System.nanoTime();
        while (running) {
            if (DoorbellDescriptor.word(physmem, bell) != seen) {
                return true;
            }
            long spun = System.nanoTime() - start;
            if (spinNanos != SPIN_FOREVER && spun > spinNanos) {
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
