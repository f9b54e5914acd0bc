package mpi;

/** A persistent request: made once by {@code Send_init}/{@code Recv_init}, started many times. */
public class Prequest extends Request {

    private final Comm owner;
    private final int mode;
    private final Object pbuf;
    private final int poffset;
    private final int pcount;
    private final Datatype ptype;
    private final int peer;
    private final int ptag;
    private Request current;

    Prequest(Comm owner, int mode, Object buf, int offset, int count, Datatype type, int peer, int tag) {
        this.owner = owner;
        this.mode = mode;
        this.pbuf = buf;
        this.poffset = offset;
        this.pcount = count;
        this.ptype = type;
        this.peer = peer;
        this.ptag = tag;
    }

    /** Starts the operation again. */
    public void Start() throws MPIException {
        if (current != null && !current.isComplete()) {
            throw new MPIException("Start: the persistent request is still active (Wait for it first)");
        }
        current = mode == Comm.RECV
                ? owner.startRecv("Recv_init", pbuf, poffset, pcount, ptype, peer, ptag, owner.context)
                : owner.startSend(Comm.NAMES[mode], pbuf, poffset, pcount, ptype, peer, ptag, mode, owner.context);
        reported = false;
    }

    /** Starts every request of the array. */
    public static void Startall(Prequest[] array_of_requests) throws MPIException {
        for (Prequest p : array_of_requests) {
            p.Start();
        }
    }

    @Override
    public boolean Is_null() {
        return false;
    }

    @Override
    boolean isComplete() {
        return current == null || current.isComplete();
    }

    @Override
    public Status Wait() throws MPIException {
        if (current == null) {
            return new Status(MPI.ANY_SOURCE, MPI.ANY_TAG, 0);
        }
        return current.Wait();
    }

    @Override
    public Status Test() throws MPIException {
        if (current == null) {
            return new Status(MPI.ANY_SOURCE, MPI.ANY_TAG, 0);
        }
        return current.Test();
    }

    @Override
    public void Cancel() throws MPIException {
        if (current != null) {
            current.Cancel();
        }
    }
}
