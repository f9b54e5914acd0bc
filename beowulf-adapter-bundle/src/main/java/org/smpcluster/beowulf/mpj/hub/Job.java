package org.smpcluster.beowulf.mpj.hub;

/** The ranks of one in-JVM job: a mailbox each, and whether the job was aborted. */
public final class Job {

    private final String id;
    private final Mailbox[] mailboxes;
    private volatile JobAbortedException aborted;

    Job(String id, int size) {
        this.id = id;
        this.mailboxes = new Mailbox[size];
        for (int i = 0; i < size; i++) {
            mailboxes[i] = new Mailbox(this);
        }
    }

    public String id() {
        return id;
    }

    public int size() {
        return mailboxes.length;
    }

    /** The mailbox of {@code rank}, where messages to it are matched. */
    public Mailbox mailbox(int rank) {
        if (rank < 0 || rank >= mailboxes.length) {
            throw new IllegalArgumentException("rank " + rank + " is not in job " + id + " of " + mailboxes.length + " ranks");
        }
        return mailboxes[rank];
    }

    /** Ends the job: every wait in every rank throws {@link JobAbortedException} from now on. */
    public JobAbortedException abort(int rank, int code, String why) {
        synchronized (this) {
            if (aborted == null) {
                aborted = new JobAbortedException(id, rank, code, why);
            }
        }
        for (Mailbox m : mailboxes) {
            m.wakeAll();
        }
        return aborted;
    }

    /** The abort, or null while the job runs. */
    public JobAbortedException aborted() {
        return aborted;
    }

    /** Throws the abort if there was one. */
    public void check() {
        JobAbortedException a = aborted;
        if (a != null) {
            throw new JobAbortedException(id, a.rank(), a.code(), "seen while waiting");
        }
    }
}
