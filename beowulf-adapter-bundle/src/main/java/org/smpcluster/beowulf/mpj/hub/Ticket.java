package org.smpcluster.beowulf.mpj.hub;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The completion of one send or receive. A receive's ticket carries its sink, which consumes the
 * payload at match time on whichever thread matched it (the receiver posting, or the sender
 * arriving); that keeps a rendezvous progressing while the receiver is not inside a wait, and lets
 * the sink copy straight from the sender's array.
 *
 * <p>A waiter spins a little, then yields, then parks; completion unparks it. Both fields involved
 * are volatile, so either the waiter sees {@code done} or the completer sees the waiter.
 */
public final class Ticket {

    private static final int SPINS = 200;
    private static final int YIELDS = 50;
    private static final long PARK_NANOS = 10_000_000L;

    private final Job job;
    final int context;
    final int source;
    final int tag;
    final Consumer<Message> sink;
    private volatile boolean done;
    private volatile boolean cancelled;
    private volatile Thread waiter;
    private volatile Message message;
    private volatile RuntimeException failure;

    /** A ticket for a send that must learn when its message was consumed. */
    public Ticket(Job job) {
        this(job, 0, 0, 0, null);
    }

    Ticket(Job job, int context, int source, int tag, Consumer<Message> sink) {
        this.job = job;
        this.context = context;
        this.source = source;
        this.tag = tag;
        this.sink = sink;
    }

    void deliver(Message m) {
        try {
            sink.accept(m);
        } catch (RuntimeException e) {
            failure = e;
        }
        message = m;
        complete();
        if (m.sendTicket != null) {
            m.sendTicket.complete();
        }
    }

    void complete() {
        done = true;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    void cancel() {
        cancelled = true;
        complete();
    }

    public boolean isDone() {
        return done;
    }

    /** Whether the operation was cancelled before it matched. */
    public boolean cancelled() {
        return cancelled;
    }

    /** The matched message of a receive (its envelope and length), once done. */
    public Message message() {
        return message;
    }

    /** What the sink threw (truncation, type mismatch), or null. */
    public RuntimeException failure() {
        return failure;
    }

    /**
     * Waits until done.
     *
     * @throws JobAbortedException if the job was aborted meanwhile
     */
    public void await() {
        for (int i = 0; !done; i++) {
            if (i < SPINS) {
                Thread.onSpinWait();
            } else if (i < SPINS + YIELDS) {
                Thread.yield();
            } else {
                waiter = Thread.currentThread();
                if (!done) {
                    LockSupport.parkNanos(this, PARK_NANOS);
                }
                waiter = null;
                job.check();
            }
        }
    }
}
