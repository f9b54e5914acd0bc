package mpi;

import java.nio.ByteBuffer;

import org.smpcluster.beowulf.mpj.Device;
import org.smpcluster.beowulf.mpj.Envelope;
import org.smpcluster.beowulf.mpj.Payload;
import org.smpcluster.beowulf.mpj.Transfer;

/**
 * A communicator: a group of processes (and, for an inter-communicator, the remote group that ranks
 * in point-to-point calls refer to) with a context of its own. Point-to-point messages use
 * {@code context}, collectives {@code context + 1}, so the two never match each other.
 *
 * <p>A standard send of a contiguous buffer of at least {@link #RENDEZVOUS_BYTES} bytes is a
 * rendezvous: the receiver copies straight from the sender's array, once, and the send completes
 * then. Smaller ones are eager: packed into the message's own array, complete at once.
 */
public class Comm {

    static final int SEND = 0, BSEND = 1, SSEND = 2, RSEND = 3, RECV = 4;
    static final String[] NAMES = {"Send", "Bsend", "Ssend", "Rsend", "Recv"};

    /** Standard sends from this many bytes wait for the receive and copy once. */
    static final long RENDEZVOUS_BYTES = 64 * 1024;

    final int context;
    final Group group;
    final Group remote;
    private Errhandler errhandler;

    Comm(int context, Group group, Group remote) {
        this.context = context;
        this.group = group;
        this.remote = remote;
    }

    // ---- identity ----------------------------------------------------------------------------

    /** This process's rank in the (local) group. */
    public int Rank() throws MPIException {
        MPI.checkInit("Rank");
        return group.Rank();
    }

    /** The size of the (local) group. */
    public int Size() throws MPIException {
        return group.ranks.length;
    }

    /** The (local) group. */
    public Group Group() throws MPIException {
        return new Group(group.ranks.clone());
    }

    /** {@code MPI.IDENT}, {@code MPI.CONGRUENT}, {@code MPI.SIMILAR} or {@code MPI.UNEQUAL}. */
    public static int Compare(Comm comm1, Comm comm2) throws MPIException {
        if (comm1 == comm2 || (comm1.context == comm2.context && Group.Compare(comm1.group, comm2.group) == MPI.IDENT)) {
            return MPI.IDENT;
        }
        int g = Group.Compare(comm1.group, comm2.group);
        if (g == MPI.IDENT && Group.Compare(comm1.remote, comm2.remote) == MPI.IDENT) {
            return MPI.CONGRUENT;
        }
        return g == MPI.UNEQUAL ? MPI.UNEQUAL : MPI.SIMILAR;
    }

    /** A duplicate with a new context (collective over the communicator). */
    @Override
    public Object clone() {
        throw new UnsupportedOperationException("clone: only intra-communicators can be duplicated here");
    }

    /** Whether this is an inter-communicator. */
    public boolean Test_inter() throws MPIException {
        return false;
    }

    /** {@code MPI.CART}, {@code MPI.GRAPH} or {@code MPI.UNDEFINED}. */
    public int Topo_test() throws MPIException {
        return MPI.UNDEFINED;
    }

    public void Errhandler_set(Errhandler errhandler) throws MPIException {
        this.errhandler = errhandler;
    }

    public Errhandler Errhandler_get() throws MPIException {
        return errhandler == null ? MPI.ERRORS_ARE_FATAL : errhandler;
    }

    /** mpiJava's spelling of {@link #Errhandler_get}. */
    public Errhandler Errorhandler_get() throws MPIException {
        return Errhandler_get();
    }

    /**
     * The value of attribute {@code keyval}: {@code MPI.TAG_UB} (the largest tag), {@code MPI.HOST}
     * ({@code MPI.PROC_NULL}: no host process), {@code MPI.IO} (this rank: every rank can do I/O),
     * {@code MPI.WTIME_IS_GLOBAL} (0), or a value put with {@link #Attr_put}.
     */
    public int Attr_get(int keyval) throws MPIException {
        Integer v = attributes.get(keyval);
        if (v != null) {
            return v;
        }
        return switch (keyval) {
            case MPI.TAG_UB -> Integer.MAX_VALUE;
            case MPI.HOST -> MPI.PROC_NULL;
            case MPI.IO -> Rank();
            case MPI.WTIME_IS_GLOBAL -> 0;
            default -> throw new MPIException("Attr_get: no attribute " + keyval
                    + " (predefined: MPI.TAG_UB, MPI.HOST, MPI.IO, MPI.WTIME_IS_GLOBAL)");
        };
    }

    /** Sets attribute {@code keyval} on this communicator in this process. */
    public void Attr_put(int keyval, int value) throws MPIException {
        attributes.put(keyval, value);
    }

    /** Removes an attribute set with {@link #Attr_put}. */
    public void Attr_delete(int keyval) throws MPIException {
        attributes.remove(keyval);
    }

    private final java.util.Map<Integer, Integer> attributes = new java.util.HashMap<>();

    /** Ends every process of the job with {@code errorcode}. */
    public void Abort(int errorcode) throws MPIException {
        throw MPI.device().abort(errorcode, "Abort(" + errorcode + ") called");
    }

    public void Free() throws MPIException {
    }

    // ---- point-to-point ----------------------------------------------------------------------

    int rankOfSource(int world) {
        return remote.indexOf(world);
    }

    private void checkPeer(String op, String name, int rank) throws MPIException {
        if (rank < 0 || rank >= remote.ranks.length) {
            throw new MPIException(op + ": " + name + "=" + rank + " is not a rank of a communicator of "
                    + remote.ranks.length + " (nor MPI.PROC_NULL" + (name.equals("source") ? " or MPI.ANY_SOURCE)" : ")"));
        }
    }

    Request startSend(String op, Object buf, int offset, int count, Datatype type, int dest, int tag, int mode, int ctx)
            throws MPIException {
        MPI.checkInit(op);
        if (type == null) {
            throw new MPIException(op + ": datatype is null");
        }
        type.checkBuffer(op, buf, offset, count);
        if (dest == MPI.PROC_NULL) {
            return Request.done(new Status(MPI.PROC_NULL, MPI.ANY_TAG, 0));
        }
        checkPeer(op, "dest", dest);
        if (tag < 0) {
            throw new MPIException(op + ": tag=" + tag + " must be >= 0");
        }
        int n = count * type.size();
        Payload p;
        Device.Mode dm;
        if ((mode == SEND || mode == RSEND) && type.contiguous && type.base != Device.OBJECT
                && (long) n * Device.bytesPerElement(type.base) >= RENDEZVOUS_BYTES) {
            p = new Payload(type.wireCode(), buf, offset, n);
            dm = Device.Mode.RENDEZVOUS;
        } else {
            p = type.pack(buf, offset, count);
            dm = mode == SEND || mode == RSEND ? Device.Mode.EAGER : Device.Mode.SYNCHRONOUS;
        }
        if (mode == BSEND) {
            MPI.bsendReserve(p.bytes());
        }
        Transfer t = MPI.device().send(ctx, remote.ranks[dest], tag, p, dm);
        if (mode == BSEND) {
            MPI.bsendTrack(p.bytes(), t);
            return Request.done(new Status(MPI.UNDEFINED, MPI.UNDEFINED, 0));
        }
        Request r = new Request();
        r.transfer = t;
        r.comm = this;
        return r;
    }

    Request startRecv(String op, Object buf, int offset, int count, Datatype type, int source, int tag, int ctx)
            throws MPIException {
        MPI.checkInit(op);
        if (type == null) {
            throw new MPIException(op + ": datatype is null");
        }
        type.checkBuffer(op, buf, offset, count);
        if (source == MPI.PROC_NULL) {
            return Request.done(new Status(MPI.PROC_NULL, MPI.ANY_TAG, 0));
        }
        if (source != MPI.ANY_SOURCE) {
            checkPeer(op, "source", source);
        }
        if (tag < 0 && tag != MPI.ANY_TAG) {
            throw new MPIException(op + ": tag=" + tag + " must be >= 0 or MPI.ANY_TAG");
        }
        Request r = new Request();
        r.receive = true;
        r.comm = this;
        r.type = type;
        r.buf = buf;
        r.offset = offset;
        r.count = count;
        int src = source == MPI.ANY_SOURCE ? Device.ANY : remote.ranks[source];
        r.transfer = MPI.device().receive(ctx, src, tag == MPI.ANY_TAG ? Device.ANY : tag, p -> {
            if (p.code() == Device.OBJECT) {
                type.checkFits(op, p, count);
                r.deferred = p;
            } else {
                type.unpack(op, p, buf, offset, count);
            }
        });
        return r;
    }

    /** Standard send: returns when {@code buf} may be reused. */
    public void Send(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        startSend("Send", buf, offset, count, datatype, dest, tag, SEND, context).Wait();
    }

    /** Buffered send: copies into the buffer of {@code MPI.Buffer_attach} and returns. */
    public void Bsend(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        startSend("Bsend", buf, offset, count, datatype, dest, tag, BSEND, context).Wait();
    }

    /** Synchronous send: returns once the matching receive has started. */
    public void Ssend(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        startSend("Ssend", buf, offset, count, datatype, dest, tag, SSEND, context).Wait();
    }

    /** Ready send (a standard send here, which MPI allows). */
    public void Rsend(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        startSend("Rsend", buf, offset, count, datatype, dest, tag, RSEND, context).Wait();
    }

    public Request Isend(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        return startSend("Isend", buf, offset, count, datatype, dest, tag, SEND, context);
    }

    public Request Ibsend(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        return startSend("Ibsend", buf, offset, count, datatype, dest, tag, BSEND, context);
    }

    public Request Issend(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        return startSend("Issend", buf, offset, count, datatype, dest, tag, SSEND, context);
    }

    public Request Irsend(Object buf, int offset, int count, Datatype datatype, int dest, int tag) throws MPIException {
        return startSend("Irsend", buf, offset, count, datatype, dest, tag, RSEND, context);
    }

    public Prequest Send_init(Object buf, int offset, int count, Datatype datatype, int dest, int tag)
            throws MPIException {
        return new Prequest(this, SEND, buf, offset, count, datatype, dest, tag);
    }

    public Prequest Bsend_init(Object buf, int offset, int count, Datatype datatype, int dest, int tag)
            throws MPIException {
        return new Prequest(this, BSEND, buf, offset, count, datatype, dest, tag);
    }

    public Prequest Ssend_init(Object buf, int offset, int count, Datatype datatype, int dest, int tag)
            throws MPIException {
        return new Prequest(this, SSEND, buf, offset, count, datatype, dest, tag);
    }

    public Prequest Rsend_init(Object buf, int offset, int count, Datatype datatype, int dest, int tag)
            throws MPIException {
        return new Prequest(this, RSEND, buf, offset, count, datatype, dest, tag);
    }

    /** Blocking receive of up to {@code count} items. */
    public Status Recv(Object buf, int offset, int count, Datatype datatype, int source, int tag) throws MPIException {
        return startRecv("Recv", buf, offset, count, datatype, source, tag, context).Wait();
    }

    public Request Irecv(Object buf, int offset, int count, Datatype datatype, int source, int tag) throws MPIException {
        return startRecv("Irecv", buf, offset, count, datatype, source, tag, context);
    }

    public Prequest Recv_init(Object buf, int offset, int count, Datatype datatype, int source, int tag)
            throws MPIException {
        return new Prequest(this, RECV, buf, offset, count, datatype, source, tag);
    }

    /** Sends and receives at once (no deadlock between a pair that both call it). */
    public Status Sendrecv(Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, int dest, int sendtag,
            Object recvbuf, int recvoffset, int recvcount, Datatype recvtype, int source, int recvtag)
            throws MPIException {
        Request r = startRecv("Sendrecv", recvbuf, recvoffset, recvcount, recvtype, source, recvtag, context);
        Request s = startSend("Sendrecv", sendbuf, sendoffset, sendcount, sendtype, dest, sendtag, SEND, context);
        s.Wait();
        return r.Wait();
    }

    /** Sends {@code buf} and receives into it. */
    public Status Sendrecv_replace(Object buf, int offset, int count, Datatype datatype, int dest, int sendtag,
            int source, int recvtag) throws MPIException {
        MPI.checkInit("Sendrecv_replace");
        datatype.checkBuffer("Sendrecv_replace", buf, offset, count);
        Object copy = datatype.newArray(java.lang.reflect.Array.getLength(buf));
        System.arraycopy(buf, 0, copy, 0, java.lang.reflect.Array.getLength(buf));
        Request s = startSend("Sendrecv_replace", copy, offset, count, datatype, dest, sendtag, SEND, context);
        Request r = startRecv("Sendrecv_replace", buf, offset, count, datatype, source, recvtag, context);
        s.Wait();
        return r.Wait();
    }

    /** Waits for a matching message and returns its status without receiving it. */
    public Status Probe(int source, int tag) throws MPIException {
        return probe("Probe", source, tag, true);
    }

    /** The status of a matching message if one is there, else null. */
    public Status Iprobe(int source, int tag) throws MPIException {
        return probe("Iprobe", source, tag, false);
    }

    private Status probe(String op, int source, int tag, boolean block) throws MPIException {
        MPI.checkInit(op);
        if (source == MPI.PROC_NULL) {
            return new Status(MPI.PROC_NULL, MPI.ANY_TAG, 0);
        }
        if (source != MPI.ANY_SOURCE) {
            checkPeer(op, "source", source);
        }
        Envelope e = MPI.device().probe(context, source == MPI.ANY_SOURCE ? Device.ANY : remote.ranks[source],
                tag == MPI.ANY_TAG ? Device.ANY : tag, block);
        return e == null ? null : new Status(rankOfSource(e.source()), e.tag(), e.length());
    }

    // ---- packing -----------------------------------------------------------------------------

    /** The bytes {@code Pack} needs for {@code incount} items of {@code datatype}. */
    public int Pack_size(int incount, Datatype datatype) throws MPIException {
        if (datatype.base == Device.OBJECT) {
            throw new MPIException("Pack_size: OBJECT items have no fixed packed size");
        }
        return incount * datatype.size() * Device.bytesPerElement(datatype.base);
    }

    /** Packs {@code incount} items into {@code outbuf} from byte {@code position}; returns the new position. */
    public int Pack(Object inbuf, int offset, int incount, Datatype datatype, byte[] outbuf, int position)
            throws MPIException {
        datatype.checkBuffer("Pack", inbuf, offset, incount);
        Object arr = datatype.packArray(inbuf, offset, incount);
        ByteBuffer bb = ByteBuffer.wrap(outbuf);
        try {
            bb.position(position);
            mpjbuf.Buffer.encode(bb, datatype.base, arr, 0, incount * datatype.size());
        } catch (RuntimeException e) {
            throw new MPIException("Pack: " + incount + " items do not fit in outbuf of " + outbuf.length
                    + " bytes from position " + position, e);
        }
        return bb.position();
    }

    /** Unpacks {@code outcount} items from {@code inbuf} at byte {@code position}; returns the new position. */
    public int Unpack(byte[] inbuf, int position, Object outbuf, int offset, int outcount, Datatype datatype)
            throws MPIException {
        datatype.checkBuffer("Unpack", outbuf, offset, outcount);
        int n = outcount * datatype.size();
        Object arr = datatype.newArray(n);
        ByteBuffer bb = ByteBuffer.wrap(inbuf);
        try {
            bb.position(position);
            mpjbuf.Buffer.decode(bb, datatype.base, arr, 0, n);
        } catch (RuntimeException e) {
            throw new MPIException("Unpack: inbuf of " + inbuf.length + " bytes from position " + position
                    + " holds fewer than " + outcount + " items", e);
        }
        datatype.scatter(arr, 0, n, outbuf, offset);
        return bb.position();
    }

    /** Packs {@code incount} items at the end of {@code outbuf} (MPJ Express's form). */
    public void Pack(Object inbuf, int offset, int incount, Datatype datatype, mpjbuf.Buffer outbuf)
            throws MPIException {
        datatype.checkBuffer("Pack", inbuf, offset, incount);
        outbuf.put(datatype.base, datatype.packArray(inbuf, offset, incount), 0, incount * datatype.size());
    }

    /** Unpacks {@code outcount} items from the read position of {@code inbuf} (MPJ Express's form). */
    public void Unpack(mpjbuf.Buffer inbuf, Object outbuf, int offset, int outcount, Datatype datatype)
            throws MPIException {
        datatype.checkBuffer("Unpack", outbuf, offset, outcount);
        int n = outcount * datatype.size();
        Object arr = datatype.newArray(n);
        inbuf.get(datatype.base, arr, 0, n);
        datatype.scatter(arr, 0, n, outbuf, offset);
    }

    // ---- inter-communicators -----------------------------------------------------------------

    /**
     * Makes an inter-communicator between {@code local_comm} and the group whose leader is
     * {@code remote_leader} in this (the peer) communicator; collective over {@code local_comm}.
     */
    public Intercomm Create_intercomm(Comm local_comm, int local_leader, int remote_leader, int tag)
            throws MPIException {
        if (!(local_comm instanceof Intracomm local)) {
            throw new MPIException("Create_intercomm: local_comm must be an intra-communicator");
        }
        int ctx = local.agreedContext();
        int[] info;
        if (local.Rank() == local_leader) {
            int[] mine = new int[1 + local.group.ranks.length];
            mine[0] = ctx;
            System.arraycopy(local.group.ranks, 0, mine, 1, local.group.ranks.length);
            csend(context, remote_leader, tag, new Payload(Device.INT, mine, 0, mine.length));
            int[] theirs = (int[]) crecv(context, remote_leader, tag).data();
            info = theirs.clone();
            info[0] = Math.max(ctx, theirs[0]);
        } else {
            info = null;
        }
        int[] len = {info == null ? 0 : info.length};
        local.Bcast(len, 0, 1, MPI.INT, local_leader);
        if (info == null) {
            info = new int[len[0]];
        }
        local.Bcast(info, 0, len[0], MPI.INT, local_leader);
        MPI.reserveContext(info[0]);
        int[] rem = new int[info.length - 1];
        System.arraycopy(info, 1, rem, 0, rem.length);
        return new Intercomm(info[0], local.group, new Group(rem), local);
    }

    // ---- internal messaging for collectives and constructors ---------------------------------

    void csend(int ctx, int dest, int tag, Payload p) {
        MPI.device().send(ctx, remote.ranks[dest], tag, p, Device.Mode.EAGER);
    }

    Payload crecv(int ctx, int src, int tag) {
        Payload[] got = new Payload[1];
        Transfer t = MPI.device().receive(ctx, remote.ranks[src], tag, p -> got[0] = p);
        MPI.await(t);
        return got[0];
    }
}
