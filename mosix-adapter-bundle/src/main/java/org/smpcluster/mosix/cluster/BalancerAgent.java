package org.smpcluster.mosix.cluster;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Runs a vnode's {@link Balancer}: every {@link #PERIOD_NANOS} it reads the cluster's loads and
 * this vnode's movable processes, and makes the move the balancer picks (one at a time, on its
 * own kernel thread: a move takes tens of milliseconds, and the next decision must see it). On
 * or off at run time ({@code mosix:balance}); counts its moves.
 */
public final class BalancerAgent implements AutoCloseable {

    /** How often it decides: quick enough that N processes started on one vnode spread within a few hundred ms. */
    public static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private static final System.Logger LOG = System.getLogger(BalancerAgent.class.getName());

    /** Makes one move; throws {@link IllegalArgumentException} saying why it did not happen. */
    public interface Mover {
        void move(long pid, int to);
    }

    /** A move made, for {@code mosix:balance}. */
    public record Made(long pid, int from, int to, String why, Instant at, long tookNanos) {
        @Override
        public String toString() {
            return "pid " + pid + " " + from + " -> " + to + " (" + why + ") at " + at + ", took "
                    + TimeUnit.NANOSECONDS.toMillis(tookNanos) + " ms";
        }
    }

    private final int self;
    private final Balancer balancer;
    private final Supplier<List<Balancer.Node>> nodes;
    private final Supplier<List<Balancer.Candidate>> candidates;
    private final Mover mover;
    private final Thread thread;
    private final AtomicLong moves = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile Made last;
    /** The last {@link #HISTORY} moves, oldest first. */
    private final java.util.ArrayDeque<Made> history = new java.util.ArrayDeque<>(); // guarded by itself
    static final int HISTORY = 16;
    private volatile boolean enabled;
    private volatile boolean closed;

    public BalancerAgent(int self, boolean enabled, Supplier<List<Balancer.Node>> nodes,
            Supplier<List<Balancer.Candidate>> candidates, Mover mover, BiFunction<String, Runnable, Thread> threads) {
        this.self = self;
        this.balancer = new Balancer(self);
        this.enabled = enabled;
        this.nodes = nodes;
        this.candidates = candidates;
        this.mover = mover;
        this.thread = threads.apply("mosix balancer", this::run);
        thread.start();
    }

    public boolean enabled() {
        return enabled;
    }

    public void enabled(boolean on) {
        enabled = on;
        LockSupport.unpark(thread);
    }

    /** Moves made since the vnode started. */
    public long moves() {
        return moves.get();
    }

    /** Moves tried that did not happen (refused by the target, or the process could not move). */
    public long refused() {
        return refused.get();
    }

    public Optional<Made> last() {
        return Optional.ofNullable(last);
    }

    /** The last moves it made, oldest first. */
    public List<Made> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    private void run() {
        while (!closed) {
            if (enabled) {
                try {
                    step();
                } catch (RuntimeException e) {
                    // a view that changed under it (a vnode went down mid-read): the next period reads again
                    LOG.log(System.Logger.Level.WARNING, "mosix balancer on vnode " + self + ": " + e, e);
                }
            }
            LockSupport.parkNanos(this, enabled ? PERIOD_NANOS : TimeUnit.SECONDS.toNanos(1));
        }
    }

    /** One decision, and its move if it makes one. */
    void step() {
        List<Balancer.Candidate> here = candidates.get();
        if (here.isEmpty()) {
            return;
        }
        Optional<Balancer.Move> m = balancer.decide(nodes.get(), here, System.nanoTime());
        if (m.isEmpty()) {
            return;
        }
        Balancer.Move move = m.get();
        long t0 = System.nanoTime();
        try {
            mover.move(move.pid(), move.to());
            moves.incrementAndGet();
            last = new Made(move.pid(), self, move.to(), move.why(), Instant.now(), System.nanoTime() - t0);
            synchronized (history) {
                history.add(last);
                if (history.size() > HISTORY) {
                    history.poll();
                }
            }
            LOG.log(System.Logger.Level.INFO, "mosix balancer: moved " + last);
        } catch (IllegalArgumentException e) {
            refused.incrementAndGet();
            balancer.failed(move.pid(), System.nanoTime());
            LOG.log(System.Logger.Level.INFO, "mosix balancer on vnode " + self + ": pid " + move.pid() + " to vnode "
                    + move.to() + " (" + move.why() + ") did not move: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
