package org.smpcluster.beowulf.mpj;

import java.util.function.Consumer;

import org.smpcluster.beowulf.mpj.hub.Job;
import org.smpcluster.beowulf.mpj.hub.Mailbox;
import org.smpcluster.beowulf.mpj.hub.Message;
import org.smpcluster.beowulf.mpj.hub.Ticket;

/**
 * The device of ranks in one JVM: a send lands in the receiver's {@link Mailbox} in the shared hub.
 * An eager payload is already the message's copy, so the receiver copies once more into its buffer;
 * a rendezvous payload is the sender's array, which the receiver copies once.
 */
public final class LocalDevice implements Device {

    private final Job job;
    private final int rank;
    private final String processorName;

    public LocalDevice(Job job, int rank, String processorName) {
        if (rank < 0 || rank >= job.size()) {
            throw new IllegalArgumentException("MPJ_RANK=" + rank + " is not in 0.." + (job.size() - 1));
        }
        this.job = job;
        this.rank = rank;
        this.processorName = processorName;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return job.size();
    }

    @Override
    public String processorName() {
        return processorName;
    }

    @Override
    public Transfer send(int context, int dest, int tag, Payload p, Mode mode) {
        Mailbox box = job.mailbox(dest);
        Ticket ticket = mode == Mode.EAGER ? null : new Ticket(job);
        Message m = new Message(context, rank, tag, p.data(), p.offset(), p.length(), p.code(), ticket);
        box.send(m);
        return new SendTransfer(box, m, ticket);
    }

    @Override
    public Transfer receive(int context, int source, int tag, Consumer<Payload> sink) {
        Mailbox box = job.mailbox(rank);
        Ticket t = box.receive(context, source, tag,
                m -> sink.accept(new Payload(m.code(), m.data(), m.offset(), m.length())));
        return new ReceiveTransfer(box, t);
    }

    @Override
    public Envelope probe(int context, int source, int tag, boolean block) {
        Message m = job.mailbox(rank).probe(context, source, tag, block);
        return m == null ? null : new Envelope(m.source(), m.tag(), m.code(), m.length());
    }

    @Override
    public RuntimeException abort(int code, String why) {
        return job.abort(rank, code, why);
    }

    @Override
    public void check() {
        job.check();
    }

    @Override
    public void close() {
        // The job outlives a rank's Finalize (a rank may Init again); its launcher removes it.
    }

    /** A send in progress; an eager send is done at once, but can still be taken back while unmatched. */
    private static final class SendTransfer implements Transfer {

        private final Mailbox box;
        private final Message m;
        private final Ticket ticket;
        private volatile boolean cancelled;

        SendTransfer(Mailbox box, Message m, Ticket ticket) {
            this.box = box;
            this.m = m;
            this.ticket = ticket;
        }

        @Override
        public boolean isDone() {
            return ticket == null || ticket.isDone();
        }

        @Override
        public void await() {
            if (ticket != null) {
                ticket.await();
            }
        }

        @Override
        public boolean cancel() {
            if (box.cancelSend(m)) {
                cancelled = true;
            }
            return cancelled;
        }

        @Override
        public boolean cancelled() {
            return cancelled;
        }

        @Override
        public Envelope envelope() {
            return null;
        }

        @Override
        public RuntimeException failure() {
            return null;
        }
    }

    private record ReceiveTransfer(Mailbox box, Ticket ticket) implements Transfer {

        @Override
        public boolean isDone() {
            return ticket.isDone();
        }

        @Override
        public void await() {
            ticket.await();
        }

        @Override
        public boolean cancel() {
            return box.cancelReceive(ticket);
        }

        @Override
        public boolean cancelled() {
            return ticket.cancelled();
        }

        @Override
        public Envelope envelope() {
            Message m = ticket.message();
            return m == null ? null : new Envelope(m.source(), m.tag(), m.code(), m.length());
        }

        @Override
        public RuntimeException failure() {
            return ticket.failure();
        }
    }
}
