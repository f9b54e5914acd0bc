package mpi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.smpcluster.beowulf.mpj.Device;
import org.smpcluster.beowulf.mpj.Payload;

/**
 * An intra-communicator, with the collectives. They run over eager point-to-point messages in the
 * collective context: Barrier by dissemination, Bcast/Gather/Scatter/Reduce by binomial trees,
 * Allreduce by recursive doubling (ring reduce-scatter + allgather for large commutative ones),
 * Allgather(v) by a ring, Alltoall(v) by pairwise exchange, Scan by recursive doubling; Gatherv and
 * Scatterv go straight between root and ranks. Payloads once sent are never written again, so a
 * received array may be forwarded as it is.
 */
public class Intracomm extends Comm {

    private static final int TAG_BARRIER = 1, TAG_BCAST = 2, TAG_REDUCE = 3, TAG_ALLREDUCE = 4, TAG_GATHER = 5,
            TAG_SCATTER = 6, TAG_ALLGATHER = 7, TAG_ALLTOALL = 8, TAG_SCAN = 9, TAG_GATHERV = 10, TAG_SCATTERV = 11;

    /** Allreduce of at least this many bytes (and one item per rank) uses the ring. */
    static final long RING_BYTES = 64 * 1024;

    Intracomm(int context, Group group) {
        super(context, group, group);
    }

    private int coll() {
        return context + 1;
    }

    private int me() {
        return group.indexOf(MPI.worldRank());
    }

    private int n() {
        return group.ranks.length;
    }

    @Override
    public Object clone() {
        try {
            return new Intracomm(agreedContext(), group);
        } catch (MPIException e) {
            throw new IllegalStateException("clone: " + e.getMessage(), e);
        }
    }

    /** A context number no rank of this communicator uses yet (collective). */
    int agreedContext() throws MPIException {
        int[] mine = {MPI.nextContext()};
        int[] all = new int[1];
        Allreduce(mine, 0, all, 0, 1, MPI.INT, MPI.MAX);
        MPI.reserveContext(all[0]);
        return all[0];
    }

    private void checkRoot(String op, int root) throws MPIException {
        MPI.checkInit(op);
        if (root < 0 || root >= n()) {
            throw new MPIException(op + ": root=" + root + " is not a rank of a communicator of " + n());
        }
    }

    private static void sameBase(String op, Datatype a, Datatype b) throws MPIException {
        if (a.wireCode() != b.wireCode()) {
            throw new MPIException(op + ": sendtype " + MPI.typeName(a.base) + " and recvtype " + MPI.typeName(b.base)
                    + " have different base types");
        }
    }

    private static Object copyRange(Object arr, int from, int len) {
        Object out = java.lang.reflect.Array.newInstance(arr.getClass().getComponentType(), len);
        System.arraycopy(arr, from, out, 0, len);
        return out;
    }

    private static Object unwrap(Datatype t, Payload p) {
        if (p.code() == Device.OBJECT) {
            return t.fromPayload(p);
        }
        return p.offset() == 0 ? p.data() : copyRange(p.data(), p.offset(), p.length());
    }

    // ---- Barrier, Bcast ----------------------------------------------------------------------

    /** Returns once every rank has called it. */
    public void Barrier() throws MPIException {
        MPI.checkInit("Barrier");
        int n = n();
        int r = me();
        for (int k = 1; k < n; k <<= 1) {
            csend(coll(), (r + k) % n, TAG_BARRIER, Payload.EMPTY);
            crecv(coll(), (r - k + n) % n, TAG_BARRIER);
        }
    }

    /** Sends {@code count} items of {@code buf} at {@code root} to every rank. */
    public void Bcast(Object buf, int offset, int count, Datatype type, int root) throws MPIException {
        checkRoot("Bcast", root);
        type.checkBuffer("Bcast", buf, offset, count);
        int n = n();
        int vr = (me() - root + n) % n;
        Payload p;
        int top;
        if (vr == 0) {
            p = type.pack(buf, offset, count);
            top = n > 1 ? Integer.highestOneBit(n - 1) : 0;
        } else {
            p = crecv(coll(), (vr - Integer.lowestOneBit(vr) + root) % n, TAG_BCAST);
            top = Integer.lowestOneBit(vr) >> 1;
        }
        for (int m = top; m > 0; m >>= 1) {
            if (vr + m < n) {
                csend(coll(), (vr + m + root) % n, TAG_BCAST, p);
            }
        }
        if (vr != 0) {
            try {
                type.unpack("Bcast", p, buf, offset, count);
            } catch (RuntimeException e) {
                throw new MPIException(e.getMessage(), e);
            }
        }
    }

    // ---- reductions --------------------------------------------------------------------------

    /** Reduces into rank 0 by a binomial tree that keeps rank order (for non-commutative ops). */
    private Object reduceToZero(Object acc, int count, Datatype type, Op op) throws MPIException {
        int n = n();
        int r = me();
        int len = count * type.size();
        for (int m = 1; m < n; m <<= 1) {
            if ((r & m) != 0) {
                csend(coll(), r - m, TAG_REDUCE, type.toPayload(acc, 0, len));
                return null;
            }
            if (r + m < n) {
                Object in = unwrap(type, crecv(coll(), r + m, TAG_REDUCE));
                op.apply(acc, 0, in, 0, count, type);
                acc = in;
            }
        }
        return acc;
    }

    /** Combines {@code count} items of every rank's {@code sendbuf} with {@code op} into {@code recvbuf} at {@code root}. */
    public void Reduce(Object sendbuf, int sendoffset, Object recvbuf, int recvoffset, int count, Datatype datatype,
            Op op, int root) throws MPIException {
        checkRoot("Reduce", root);
        datatype.checkBuffer("Reduce", sendbuf, sendoffset, count);
        if (me() == root) {
            datatype.checkBuffer("Reduce", recvbuf, recvoffset, count);
        }
        int len = count * datatype.size();
        Object acc = reduceToZero(datatype.packArray(sendbuf, sendoffset, count), count, datatype, op);
        int r = me();
        if (r == 0 && root != 0) {
            csend(coll(), root, TAG_REDUCE, datatype.toPayload(acc, 0, len));
        }
        if (r == root) {
            if (root != 0) {
                acc = unwrap(datatype, crecv(coll(), 0, TAG_REDUCE));
            }
            datatype.scatter(acc, 0, len, recvbuf, recvoffset);
        }
    }

    /** As {@link #Reduce}, with the result at every rank. */
    public void Allreduce(Object sendbuf, int sendoffset, Object recvbuf, int recvoffset, int count, Datatype datatype,
            Op op) throws MPIException {
        MPI.checkInit("Allreduce");
        datatype.checkBuffer("Allreduce", sendbuf, sendoffset, count);
        datatype.checkBuffer("Allreduce", recvbuf, recvoffset, count);
        int n = n();
        int len = count * datatype.size();
        Object acc = datatype.packArray(sendbuf, sendoffset, count);
        if (n > 1) {
            boolean ring = op.commute && datatype.base != Device.OBJECT && count >= n
                    && (long) len * Device.bytesPerElement(datatype.base) >= RING_BYTES;
            acc = ring ? ringAllreduce(acc, count, datatype, op) : doublingAllreduce(acc, count, datatype, op);
        }
        datatype.scatter(acc, 0, len, recvbuf, recvoffset);
    }

    private Object doublingAllreduce(Object acc, int count, Datatype type, Op op) throws MPIException {
        int n = n();
        int r = me();
        int len = count * type.size();
        int p = Integer.highestOneBit(n);
        int rem = n - p;
        int newrank;
        // Fold the ranks beyond a power of two into their neighbours; order (r-1, r) is kept.
        if (r < 2 * rem) {
            if (r % 2 == 0) {
                csend(coll(), r + 1, TAG_ALLREDUCE, type.toPayload(acc, 0, len));
                newrank = -1;
            } else {
                Object in = unwrap(type, crecv(coll(), r - 1, TAG_ALLREDUCE));
                op.apply(in, 0, acc, 0, count, type);
                newrank = r / 2;
            }
        } else {
            newrank = r - rem;
        }
        if (newrank >= 0) {
            for (int m = 1; m < p; m <<= 1) {
                int pn = newrank ^ m;
                int pr = pn < rem ? pn * 2 + 1 : pn + rem;
                csend(coll(), pr, TAG_ALLREDUCE, type.toPayload(copyRange(acc, 0, len), 0, len));
                Object in = unwrap(type, crecv(coll(), pr, TAG_ALLREDUCE));
                if (pn < newrank) {
                    op.apply(in, 0, acc, 0, count, type);
                } else {
                    op.apply(acc, 0, in, 0, count, type);
                    acc = in;
                }
            }
        }
        if (r < 2 * rem) {
            if (r % 2 == 1) {
                csend(coll(), r - 1, TAG_ALLREDUCE, type.toPayload(acc, 0, len));
            } else {
                acc = unwrap(type, crecv(coll(), r + 1, TAG_ALLREDUCE));
            }
        }
        return acc;
    }

    private Object ringAllreduce(Object acc, int count, Datatype type, Op op) throws MPIException {
        int n = n();
        int r = me();
        int size = type.size();
        int[] item = new int[n + 1];
        for (int i = 0; i <= n; i++) {
            item[i] = (int) ((long) count * i / n);
        }
        int right = (r + 1) % n;
        int left = (r - 1 + n) % n;
        for (int s = 0; s < n - 1; s++) {
            int si = (r - s + n) % n;
            int ri = (r - s - 1 + n) % n;
            int slen = (item[si + 1] - item[si]) * size;
            csend(coll(), right, TAG_ALLREDUCE, new Payload(type.wireCode(), copyRange(acc, item[si] * size, slen), 0, slen));
            Object in = unwrap(type, crecv(coll(), left, TAG_ALLREDUCE));
            op.apply(in, 0, acc, item[ri] * size, item[ri + 1] - item[ri], type);
        }
        for (int s = 0; s < n - 1; s++) {
            int si = (r + 1 - s + n) % n;
            int ri = (r - s + n) % n;
            int slen = (item[si + 1] - item[si]) * size;
            csend(coll(), right, TAG_ALLREDUCE, new Payload(type.wireCode(), copyRange(acc, item[si] * size, slen), 0, slen));
            Object in = unwrap(type, crecv(coll(), left, TAG_ALLREDUCE));
            System.arraycopy(in, 0, acc, item[ri] * size, (item[ri + 1] - item[ri]) * size);
        }
        return acc;
    }

    /** Reduces {@code sum(recvcounts)} items and leaves {@code recvcounts[i]} of the result at rank i. */
    public void Reduce_scatter(Object sendbuf, int sendoffset, Object recvbuf, int recvoffset, int[] recvcounts,
            Datatype datatype, Op op) throws MPIException {
        MPI.checkInit("Reduce_scatter");
        int n = n();
        if (recvcounts == null || recvcounts.length != n) {
            throw new MPIException("Reduce_scatter: recvcounts must have one count per rank (" + n + ")");
        }
        int total = Arrays.stream(recvcounts).sum();
        datatype.checkBuffer("Reduce_scatter", sendbuf, sendoffset, total);
        datatype.checkBuffer("Reduce_scatter", recvbuf, recvoffset, recvcounts[me()]);
        int size = datatype.size();
        Object acc = reduceToZero(datatype.packArray(sendbuf, sendoffset, total), total, datatype, op);
        int r = me();
        if (r == 0) {
            int at = 0;
            for (int i = 0; i < n; i++) {
                int len = recvcounts[i] * size;
                if (i == 0) {
                    datatype.scatter(acc, at, len, recvbuf, recvoffset);
                } else {
                    csend(coll(), i, TAG_SCATTERV, datatype.toPayload(copyRange(acc, at, len), 0, len));
                }
                at += len;
            }
        } else {
            Payload p = crecv(coll(), 0, TAG_SCATTERV);
            datatype.unpack("Reduce_scatter", p, recvbuf, recvoffset, recvcounts[r]);
        }
    }

    /** Inclusive prefix reduction: rank i gets ranks 0..i combined. */
    public void Scan(Object sendbuf, int sendoffset, Object recvbuf, int recvoffset, int count, Datatype datatype,
            Op op) throws MPIException {
        MPI.checkInit("Scan");
        datatype.checkBuffer("Scan", sendbuf, sendoffset, count);
        datatype.checkBuffer("Scan", recvbuf, recvoffset, count);
        int n = n();
        int r = me();
        int len = count * datatype.size();
        Object acc = datatype.packArray(sendbuf, sendoffset, count);
        for (int m = 1; m < n; m <<= 1) {
            if (r + m < n) {
                csend(coll(), r + m, TAG_SCAN, datatype.toPayload(copyRange(acc, 0, len), 0, len));
            }
            if (r - m >= 0) {
                Object in = unwrap(datatype, crecv(coll(), r - m, TAG_SCAN));
                op.apply(in, 0, acc, 0, count, datatype);
            }
        }
        datatype.scatter(acc, 0, len, recvbuf, recvoffset);
    }

    // ---- gather, scatter ---------------------------------------------------------------------

    /** Collects {@code sendcount} items from every rank, in rank order, into {@code recvbuf} at {@code root}. */
    public void Gather(Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, Object recvbuf, int recvoffset,
            int recvcount, Datatype recvtype, int root) throws MPIException {
        checkRoot("Gather", root);
        sendtype.checkBuffer("Gather", sendbuf, sendoffset, sendcount);
        int n = n();
        int vr = (me() - root + n) % n;
        if (vr == 0) {
            sameBase("Gather", sendtype, recvtype);
            recvtype.checkBuffer("Gather", recvbuf, recvoffset, recvcount * n);
        }
        int blk = sendcount * sendtype.size();
        int sub = vr == 0 ? n : Math.min(Integer.lowestOneBit(vr), n - vr);
        Object acc = sendtype.newArray(blk * sub);
        sendtype.gather(sendbuf, sendoffset, sendcount, acc, 0);
        int have = 1;
        for (int m = 1; m < n; m <<= 1) {
            if ((vr & m) != 0) {
                csend(coll(), (vr - m + root) % n, TAG_GATHER, sendtype.toPayload(acc, 0, have * blk));
                return;
            }
            if (vr + m < n) {
                Object in = unwrap(sendtype, crecv(coll(), (vr + m + root) % n, TAG_GATHER));
                int nb = Math.min(m, n - vr - m);
                System.arraycopy(in, 0, acc, m * blk, nb * blk);
                have += nb;
            }
        }
        if (blk > recvcount * recvtype.size()) {
            throw new MPIException("Gather: each rank sends " + blk + " elements, recvcount=" + recvcount + " holds "
                    + recvcount * recvtype.size());
        }
        for (int j = 0; j < n; j++) {
            int rank = (j + root) % n;
            recvtype.scatter(acc, j * blk, blk, recvbuf, recvoffset + rank * recvcount * recvtype.extent());
        }
    }

    /** As {@link #Gather}, rank i's items going to {@code recvbuf} at {@code displs[i]} items. */
    public void Gatherv(Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, Object recvbuf,
            int recvoffset, int[] recvcount, int[] displs, Datatype recvtype, int root) throws MPIException {
        checkRoot("Gatherv", root);
        sendtype.checkBuffer("Gatherv", sendbuf, sendoffset, sendcount);
        int n = n();
        int r = me();
        Payload mine = sendtype.pack(sendbuf, sendoffset, sendcount);
        if (r != root) {
            csend(coll(), root, TAG_GATHERV, mine);
            return;
        }
        sameBase("Gatherv", sendtype, recvtype);
        if (recvcount.length < n || displs.length < n) {
            throw new MPIException("Gatherv: recvcount and displs need one entry per rank (" + n + ")");
        }
        for (int i = 0; i < n; i++) {
            Payload p = i == r ? mine : crecv(coll(), i, TAG_GATHERV);
            int at = recvoffset + displs[i] * recvtype.extent();
            recvtype.checkBuffer("Gatherv", recvbuf, at, recvcount[i]);
            try {
                recvtype.unpack("Gatherv", p, recvbuf, at, recvcount[i]);
            } catch (RuntimeException e) {
                throw new MPIException(e.getMessage() + " (from rank " + i + ")", e);
            }
        }
    }

    /** Sends {@code sendcount} items to each rank, rank i's from block i of {@code sendbuf} at {@code root}. */
    public void Scatter(Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, Object recvbuf,
            int recvoffset, int recvcount, Datatype recvtype, int root) throws MPIException {
        checkRoot("Scatter", root);
        recvtype.checkBuffer("Scatter", recvbuf, recvoffset, recvcount);
        int n = n();
        int vr = (me() - root + n) % n;
        int blk = recvcount * recvtype.size();
        int sub = vr == 0 ? n : Math.min(Integer.lowestOneBit(vr), n - vr);
        Object chunk;
        if (vr == 0) {
            sameBase("Scatter", sendtype, recvtype);
            sendtype.checkBuffer("Scatter", sendbuf, sendoffset, sendcount * n);
            blk = sendcount * sendtype.size();
            chunk = sendtype.newArray(n * blk);
            for (int j = 0; j < n; j++) {
                int rank = (j + root) % n;
                sendtype.gather(sendbuf, sendoffset + rank * sendcount * sendtype.extent(), sendcount, chunk, j * blk);
            }
            // Tell the tree the block size the root uses, in case recvcounts differ in form only.
        } else {
            chunk = unwrap(recvtype, crecv(coll(), (vr - Integer.lowestOneBit(vr) + root) % n, TAG_SCATTER));
            blk = java.lang.reflect.Array.getLength(chunk) / sub;
        }
        for (int m = Integer.highestOneBit(Math.max(1, sub - 1)); m > 0; m >>= 1) {
            if (m < sub && vr + m < n) {
                int nb = Math.min(m, n - vr - m);
                Datatype t = vr == 0 ? sendtype : recvtype;
                csend(coll(), (vr + m + root) % n, TAG_SCATTER, t.toPayload(copyRange(chunk, m * blk, nb * blk), 0, nb * blk));
            }
        }
        if (blk > recvcount * recvtype.size()) {
            throw new MPIException("Scatter: the root sends " + blk + " elements to each rank, recvcount=" + recvcount
                    + " holds " + recvcount * recvtype.size());
        }
        recvtype.scatter(chunk, 0, blk, recvbuf, recvoffset);
    }

    /** As {@link #Scatter}, rank i's items from {@code sendbuf} at {@code displs[i]} items. */
    public void Scatterv(Object sendbuf, int sendoffset, int[] sendcount, int[] displs, Datatype sendtype,
            Object recvbuf, int recvoffset, int recvcount, Datatype recvtype, int root) throws MPIException {
        checkRoot("Scatterv", root);
        recvtype.checkBuffer("Scatterv", recvbuf, recvoffset, recvcount);
        int n = n();
        int r = me();
        Payload mine = null;
        if (r == root) {
            sameBase("Scatterv", sendtype, recvtype);
            if (sendcount.length < n || displs.length < n) {
                throw new MPIException("Scatterv: sendcount and displs need one entry per rank (" + n + ")");
            }
            for (int i = 0; i < n; i++) {
                int at = sendoffset + displs[i] * sendtype.extent();
                sendtype.checkBuffer("Scatterv", sendbuf, at, sendcount[i]);
                Payload p = sendtype.pack(sendbuf, at, sendcount[i]);
                if (i == r) {
                    mine = p;
                } else {
                    csend(coll(), i, TAG_SCATTERV, p);
                }
            }
        } else {
            mine = crecv(coll(), root, TAG_SCATTERV);
        }
        try {
            recvtype.unpack("Scatterv", mine, recvbuf, recvoffset, recvcount);
        } catch (RuntimeException e) {
            throw new MPIException(e.getMessage(), e);
        }
    }

    /** Every rank gets every rank's {@code sendcount} items, in rank order. */
    public void Allgather(Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, Object recvbuf,
            int recvoffset, int recvcount, Datatype recvtype) throws MPIException {
        int n = n();
        int[] counts = new int[n];
        int[] displs = new int[n];
        for (int i = 0; i < n; i++) {
            counts[i] = recvcount;
            displs[i] = i * recvcount;
        }
        allgather("Allgather", sendbuf, sendoffset, sendcount, sendtype, recvbuf, recvoffset, counts, displs, recvtype);
    }

    /** As {@link #Allgather}, rank i's items going to {@code displs[i]} items of {@code recvbuf}. */
    public void Allgatherv(Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, Object recvbuf,
            int recvoffset, int[] recvcount, int[] displs, Datatype recvtype) throws MPIException {
        allgather("Allgatherv", sendbuf, sendoffset, sendcount, sendtype, recvbuf, recvoffset, recvcount, displs, recvtype);
    }

    private void allgather(String op, Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, Object recvbuf,
            int recvoffset, int[] recvcount, int[] displs, Datatype recvtype) throws MPIException {
        MPI.checkInit(op);
        sendtype.checkBuffer(op, sendbuf, sendoffset, sendcount);
        sameBase(op, sendtype, recvtype);
        int n = n();
        int r = me();
        if (recvcount.length < n || displs.length < n) {
            throw new MPIException(op + ": recvcount and displs need one entry per rank (" + n + ")");
        }
        Payload[] blocks = new Payload[n];
        blocks[r] = sendtype.pack(sendbuf, sendoffset, sendcount);
        int right = (r + 1) % n;
        int left = (r - 1 + n) % n;
        for (int s = 0; s < n - 1; s++) {
            csend(coll(), right, TAG_ALLGATHER, blocks[(r - s + n) % n]);
            blocks[(r - s - 1 + n) % n] = crecv(coll(), left, TAG_ALLGATHER);
        }
        for (int i = 0; i < n; i++) {
            int at = recvoffset + displs[i] * recvtype.extent();
            recvtype.checkBuffer(op, recvbuf, at, recvcount[i]);
            try {
                recvtype.unpack(op, blocks[i], recvbuf, at, recvcount[i]);
            } catch (RuntimeException e) {
                throw new MPIException(e.getMessage() + " (from rank " + i + ")", e);
            }
        }
    }

    /** Block j of every rank's {@code sendbuf} goes to rank j, as block i of its {@code recvbuf} from rank i. */
    public void Alltoall(Object sendbuf, int sendoffset, int sendcount, Datatype sendtype, Object recvbuf,
            int recvoffset, int recvcount, Datatype recvtype) throws MPIException {
        int n = n();
        int[] sc = new int[n];
        int[] sd = new int[n];
        int[] rc = new int[n];
        int[] rd = new int[n];
        for (int i = 0; i < n; i++) {
            sc[i] = sendcount;
            sd[i] = i * sendcount;
            rc[i] = recvcount;
            rd[i] = i * recvcount;
        }
        alltoall("Alltoall", sendbuf, sendoffset, sc, sd, sendtype, recvbuf, recvoffset, rc, rd, recvtype);
    }

    /** As {@link #Alltoall}, with counts and displacements (in items) per rank. */
    public void Alltoallv(Object sendbuf, int sendoffset, int[] sendcount, int[] sdispls, Datatype sendtype,
            Object recvbuf, int recvoffset, int[] recvcount, int[] rdispls, Datatype recvtype) throws MPIException {
        alltoall("Alltoallv", sendbuf, sendoffset, sendcount, sdispls, sendtype, recvbuf, recvoffset, recvcount, rdispls,
                recvtype);
    }

    private void alltoall(String op, Object sendbuf, int sendoffset, int[] sc, int[] sd, Datatype sendtype,
            Object recvbuf, int recvoffset, int[] rc, int[] rd, Datatype recvtype) throws MPIException {
        MPI.checkInit(op);
        sameBase(op, sendtype, recvtype);
        int n = n();
        int r = me();
        if (sc.length < n || sd.length < n || rc.length < n || rd.length < n) {
            throw new MPIException(op + ": counts and displacements need one entry per rank (" + n + ")");
        }
        for (int i = 0; i < n; i++) {
            int dst = (r + i) % n;
            int at = sendoffset + sd[dst] * sendtype.extent();
            sendtype.checkBuffer(op, sendbuf, at, sc[dst]);
            csend(coll(), dst, TAG_ALLTOALL, sendtype.pack(sendbuf, at, sc[dst]));
        }
        for (int i = 0; i < n; i++) {
            int src = (r - i + n) % n;
            int at = recvoffset + rd[src] * recvtype.extent();
            recvtype.checkBuffer(op, recvbuf, at, rc[src]);
            Payload p = crecv(coll(), src, TAG_ALLTOALL);
            try {
                recvtype.unpack(op, p, recvbuf, at, rc[src]);
            } catch (RuntimeException e) {
                throw new MPIException(e.getMessage() + " (from rank " + src + ")", e);
            }
        }
    }

    // ---- new communicators -------------------------------------------------------------------

    /** Splits into one communicator per {@code colour}, ranked by {@code key}; {@code MPI.UNDEFINED} gets null. */
    public Intracomm Split(int colour, int key) throws MPIException {
        MPI.checkInit("Split");
        int n = n();
        int[] mine = {colour, key};
        int[] all = new int[2 * n];
        Allgather(mine, 0, 2, MPI.INT, all, 0, 2, MPI.INT);
        int ctx = agreedContext();
        if (colour == MPI.UNDEFINED) {
            return null;
        }
        if (colour < 0) {
            throw new MPIException("Split: colour=" + colour + " must be >= 0 or MPI.UNDEFINED");
        }
        List<int[]> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (all[2 * i] == colour) {
                members.add(new int[] {all[2 * i + 1], i});
            }
        }
        members.sort((a, b) -> a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]));
        int[] ranks = new int[members.size()];
        for (int i = 0; i < ranks.length; i++) {
            ranks[i] = group.ranks[members.get(i)[1]];
        }
        return new Intracomm(ctx, new Group(ranks));
    }

    /** A communicator of {@code group} (a subset of this one's); ranks outside it get null. */
    public Intracomm Create(Group group) throws MPIException {
        MPI.checkInit("Create");
        for (int w : group.ranks) {
            if (this.group.indexOf(w) == MPI.UNDEFINED) {
                throw new MPIException("Create: the group has a process that is not in this communicator");
            }
        }
        int ctx = agreedContext();
        if (group.indexOf(MPI.worldRank()) == MPI.UNDEFINED) {
            return null;
        }
        return new Intracomm(ctx, new Group(group.ranks.clone()));
    }

    /** A Cartesian topology over the first {@code prod(dims)} ranks; others get null. */
    public Cartcomm Create_cart(int[] dims, boolean[] periods, boolean reorder) throws MPIException {
        MPI.checkInit("Create_cart");
        if (dims == null || periods == null || dims.length != periods.length) {
            throw new MPIException("Create_cart: dims and periods must be arrays of one length");
        }
        int prod = 1;
        for (int d : dims) {
            if (d <= 0) {
                throw new MPIException("Create_cart: dims " + Arrays.toString(dims) + " must all be > 0");
            }
            prod *= d;
        }
        if (prod > n()) {
            throw new MPIException("Create_cart: dims " + Arrays.toString(dims) + " need " + prod + " processes, the communicator has " + n());
        }
        int ctx = agreedContext();
        if (me() >= prod) {
            return null;
        }
        return new Cartcomm(ctx, new Group(Arrays.copyOf(group.ranks, prod)), dims.clone(), periods.clone());
    }

    /** A graph topology over the first {@code index.length} ranks; others get null. */
    public Graphcomm Create_graph(int[] index, int[] edges, boolean reorder) throws MPIException {
        MPI.checkInit("Create_graph");
        int nodes = index.length;
        if (nodes > n()) {
            throw new MPIException("Create_graph: " + nodes + " nodes, the communicator has " + n());
        }
        for (int i = 0; i < nodes; i++) {
            if (index[i] < (i == 0 ? 0 : index[i - 1]) || index[i] > edges.length) {
                throw new MPIException("Create_graph: index " + Arrays.toString(index) + " must be non-decreasing and <= edges.length");
            }
        }
        for (int e : edges) {
            if (e < 0 || e >= nodes) {
                throw new MPIException("Create_graph: edge to " + e + " is not a node 0.." + (nodes - 1));
            }
        }
        int ctx = agreedContext();
        if (me() >= nodes) {
            return null;
        }
        return new Graphcomm(ctx, new Group(Arrays.copyOf(group.ranks, nodes)), index.clone(), edges.clone());
    }
}
