package org.smpcluster.beowulf.mpj.hub;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * The messages to one rank, matched in MPI order: a receive takes the oldest arrived message that
 * matches it, an arriving message goes to the oldest posted receive that matches it. Sends from one
 * rank append in program order under this lock, so messages between a pair never overtake.
 * The sink of a match runs outside the lock, so a large copy does not hold up other senders.
 */
public final class Mailbox {

    /** The wildcard source and tag, equal to {@code MPI.ANY_SOURCE} and {@code MPI.ANY_TAG}. */
    public static final int ANY = -2;

    private final Job job;
    private final ArrayDeque<Message> unexpected = new ArrayDeque<>();
    private final ArrayDeque<Ticket> posted = new ArrayDeque<>();
    private int probers;

    Mailbox(Job job) {
        this.job = job;
    }

    /** Delivers {@code m} to the oldest matching posted receive, or queues it. */
    public void send(Message m) {
        job.check();
        Ticket match = null;
        synchronized (this) {
            for (Iterator<Ticket> it = posted.iterator(); it.hasNext();) {
                Ticket t = it.next();
                if (m.matches(t.context, t.source, t.tag, ANY, ANY)) {
                    it.remove();
                    match = t;
                    break;
                }
            }
            if (match == null) {
                unexpected.addLast(m);
                if (probers > 0) {
                    notifyAll();
                }
            }
        }
        if (match != null) {
            match.deliver(m);
        }
    }

    /** Posts a receive; {@code sink} consumes the payload of the message it matches. */
    public Ticket receive(int context, int source, int tag, Consumer<Message> sink) {
        job.check();
        Ticket t = new Ticket(job, context, source, tag, sink);
        Message found = null;
        synchronized (this) {
            for (Iterator<Message> it = unexpected.iterator(); it.hasNext();) {
                Message m = it.next();
                if (m.matches(context, source, tag, ANY, ANY)) {
                    it.remove();
                    found = m;
                    break;
                }
            }
            if (found == null) {
                posted.addLast(t);
            }
        }
        if (found != null) {
            t.deliver(found);
        }
        return t;
    }

    /** The oldest arrived message that matches, without taking it; waits for one if {@code block}. */
    public Message probe(int context, int source, int tag, boolean block) {
        synchronized (this) {
            while (true) {
                job.check();
                for (Message m : unexpected) {
                    if (m.matches(context, source, tag, ANY, ANY)) {
                        return m;
                    }
                }
                if (!block) {
                    return null;
                }
                probers++;
                try {
                    wait(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new JobAbortedException(job.id(), -1, -1, "interrupted in probe");
                } finally {
                    probers--;
                }
            }
        }
    }

    /** Cancels a posted receive that has not matched yet. */
    public boolean cancelReceive(Ticket t) {
        synchronized (this) {
            if (!posted.remove(t)) {
                return false;
            }
        }
        t.cancel();
        return true;
    }

    /** Takes back a sent message no receive has matched yet. */
    public boolean cancelSend(Message m) {
        synchronized (this) {
            if (!unexpected.remove(m)) {
                return false;
            }
        }
        if (m.sendTicket != null) {
            m.sendTicket.cancel();
        }
        return true;
    }

    synchronized void wakeAll() {
        notifyAll();
    }
}
