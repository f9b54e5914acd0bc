package mpi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.smpcluster.beowulf.mpj.Device;
import org.smpcluster.beowulf.mpj.Envelope;
import org.smpcluster.beowulf.mpj.Payload;
import org.smpcluster.beowulf.mpj.Transfer;

/** A nonblocking send or receive; {@code Wait} or {@code Test} completes it. */
public class Request {

    Transfer transfer;
    Comm comm;
    boolean receive;
    Status status;
    /** An OBJECT payload, deserialized in the receiving thread at completion (its loader is the rank's). */
    volatile Payload deferred;
    Datatype type;
    Object buf;
    int offset;
    int count;

    Request() {
    }

    /** A request that is already complete, with {@code status}. */
    static Request done(Status status) {
        Request r = new Request();
        r.status = status;
        return r;
    }

    /** Whether this is a null request (one that never did anything). */
    public boolean Is_null() {
        return transfer == null && status == null;
    }

    /** Waits for completion; the status of a receive tells source, tag and count. */
    public Status Wait() throws MPIException {
        if (status != null) {
            return status;
        }
        if (transfer == null) {
            return new Status(MPI.ANY_SOURCE, MPI.ANY_TAG, 0);
        }
        MPI.await(transfer);
        return finish();
    }

    /** The status if complete, else null. */
    public Status Test() throws MPIException {
        if (status != null) {
            return status;
        }
        if (transfer == null) {
            return new Status(MPI.ANY_SOURCE, MPI.ANY_TAG, 0);
        }
        return transfer.isDone() ? finish() : null;
    }

    boolean isComplete() {
        return status != null || transfer == null || transfer.isDone();
    }

    private Status finish() throws MPIException {
        RuntimeException f = transfer.failure();
        if (f != null) {
            throw new MPIException(f.getMessage(), f);
        }
        Status s;
        if (transfer.cancelled()) {
            s = new Status(MPI.UNDEFINED, MPI.UNDEFINED, 0);
            s.cancelled = true;
        } else if (receive) {
            Envelope e = transfer.envelope();
            Payload p = deferred;
            if (p != null) {
                deferred = null;
                try {
                    type.unpack("Recv", p, buf, offset, count);
                } catch (RuntimeException x) {
                    throw new MPIException(x.getMessage(), x);
                }
            }
            s = new Status(comm.rankOfSource(e.source()), e.tag(), e.length());
        } else {
            s = new Status(MPI.UNDEFINED, MPI.UNDEFINED, 0);
        }
        status = s;
        return s;
    }

    /** Cancels the request if it has not matched yet; {@code Wait} then returns a cancelled status. */
    public void Cancel() throws MPIException {
        if (transfer != null && status == null) {
            transfer.cancel();
        }
    }

    public void Free() throws MPIException {
    }

    private static void backoff(int round) {
        if (round < 100) {
            Thread.onSpinWait();
        } else if (round < 200) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(50_000L);
            MPI.checkJob();
        }
    }

    private static boolean allNull(Request[] rs) {
        for (Request r : rs) {
            if (r != null && !r.Is_null()) {
                return false;
            }
        }
        return true;
    }

    /** Waits for one of {@code array_of_requests}; the status's {@code index} says which. */
    public static Status Waitany(Request[] array_of_requests) throws MPIException {
        if (allNull(array_of_requests)) {
            Status s = new Status(MPI.ANY_SOURCE, MPI.ANY_TAG, 0);
            s.index = MPI.UNDEFINED;
            return s;
        }
        for (int round = 0;; round++) {
            Status s = Testany(array_of_requests);
            if (s != null) {
                return s;
            }
            backoff(round);
        }
    }

    /** The status of one completed request (with its {@code index}), or null if none is complete. */
    public static Status Testany(Request[] array_of_requests) throws MPIException {
        for (int i = 0; i < array_of_requests.length; i++) {
            Request r = array_of_requests[i];
            if (r != null && !r.Is_null() && r.isComplete() && !r.reported) {
                Status s = r.Test();
                r.reported = true;
                s.index = i;
                return s;
            }
        }
        return null;
    }

    boolean reported;

    /** Waits for all; the statuses in the order of the requests. */
    public static Status[] Waitall(Request[] array_of_requests) throws MPIException {
        Status[] out = new Status[array_of_requests.length];
        for (int i = 0; i < out.length; i++) {
            Request r = array_of_requests[i];
            out[i] = r == null ? new Status(MPI.ANY_SOURCE, MPI.ANY_TAG, 0) : r.Wait();
            out[i].index = i;
        }
        return out;
    }

    /** The statuses of all if all are complete, else null. */
    public static Status[] Testall(Request[] array_of_requests) throws MPIException {
        for (Request r : array_of_requests) {
            if (r != null && !r.isComplete()) {
                return null;
            }
        }
        return Waitall(array_of_requests);
    }

    /** Waits until at least one completes; the statuses of those that did, with their indices. */
    public static Status[] Waitsome(Request[] array_of_requests) throws MPIException {
        if (allNull(array_of_requests)) {
            return new Status[0];
        }
        for (int round = 0;; round++) {
            Status[] s = Testsome(array_of_requests);
            if (s.length > 0) {
                return s;
            }
            backoff(round);
        }
    }

    /** The statuses of the requests complete now (not reported before), with their indices. */
    public static Status[] Testsome(Request[] array_of_requests) throws MPIException {
        List<Status> out = new ArrayList<>();
        for (int i = 0; i < array_of_requests.length; i++) {
            Request r = array_of_requests[i];
            if (r != null && !r.Is_null() && !r.reported && r.isComplete()) {
                Status s = r.Test();
                r.reported = true;
                s.index = i;
                out.add(s);
            }
        }
        return out.toArray(new Status[0]);
    }

    static int code(Datatype t) {
        return t == null ? Device.BYTE : t.base;
    }
}
