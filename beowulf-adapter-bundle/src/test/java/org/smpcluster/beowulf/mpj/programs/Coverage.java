package org.smpcluster.beowulf.mpj.programs;

import java.nio.ByteBuffer;

import mpi.Cartcomm;
import mpi.Comm;
import mpi.Datatype;
import mpi.Errhandler;
import mpi.Graphcomm;
import mpi.Group;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Prequest;
import mpi.Request;
import mpi.Status;

/** Rank programs for the rest of the API: every basic type, request sets, persistent modes, cancels. */
public final class Coverage {

    private Coverage() {
    }

    public static Object basicTypes() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int n = w.Size();
        int right = (rank + 1) % n;
        int left = (rank - 1 + n) % n;
        byte[] b = new byte[2];
        w.Sendrecv(new byte[] {(byte) rank, -1}, 0, 2, MPI.BYTE, right, 1, b, 0, 2, MPI.BYTE, left, 1);
        Check.that(b[0] == left && b[1] == -1, "BYTE");
        char[] c = new char[1];
        w.Sendrecv(new char[] {(char) ('a' + rank)}, 0, 1, MPI.CHAR, right, 2, c, 0, 1, MPI.CHAR, left, 2);
        Check.that(c[0] == 'a' + left, "CHAR");
        short[] s = new short[1];
        w.Sendrecv(new short[] {(short) (-rank)}, 0, 1, MPI.SHORT, right, 3, s, 0, 1, MPI.SHORT, left, 3);
        Check.that(s[0] == -left, "SHORT");
        boolean[] z = new boolean[2];
        w.Sendrecv(new boolean[] {true, rank % 2 == 0}, 0, 2, MPI.BOOLEAN, right, 4, z, 0, 2, MPI.BOOLEAN, left, 4);
        Check.that(z[0] && z[1] == (left % 2 == 0), "BOOLEAN");
        long[] l = new long[1];
        w.Sendrecv(new long[] {1L << 40 | rank}, 0, 1, MPI.LONG, right, 5, l, 0, 1, MPI.LONG, left, 5);
        Check.that(l[0] == (1L << 40 | left), "LONG");
        float[] f = new float[1];
        w.Sendrecv(new float[] {rank + 0.25f}, 0, 1, MPI.FLOAT, right, 6, f, 0, 1, MPI.FLOAT, left, 6);
        Check.that(f[0] == left + 0.25f, "FLOAT");
        double[] d = new double[3];
        w.Sendrecv(new double[] {9, 9, rank + 0.5}, 2, 1, MPI.DOUBLE, right, 7, d, 1, 1, MPI.DOUBLE, left, 7);
        Check.that(d[1] == left + 0.5 && d[0] == 0 && d[2] == 0, "DOUBLE with offsets");
        // Ops over the other base types.
        float[] fm = new float[1];
        w.Allreduce(new float[] {rank * 1.5f}, 0, fm, 0, 1, MPI.FLOAT, MPI.MIN);
        Check.that(fm[0] == 0f, "MIN FLOAT");
        short[] sx = new short[1];
        w.Allreduce(new short[] {(short) (1 << rank % 15)}, 0, sx, 0, 1, MPI.SHORT, MPI.BXOR);
        int expect = 0;
        for (int i = 0; i < n; i++) {
            expect ^= 1 << i % 15;
        }
        Check.that(sx[0] == (short) expect, "BXOR SHORT");
        int[] lx = new int[1];
        w.Allreduce(new int[] {rank == 0 ? 5 : 0}, 0, lx, 0, 1, MPI.INT, MPI.LXOR);
        Check.equal(1, lx[0], "LXOR INT");
        long[] la = new long[1];
        w.Allreduce(new long[] {~0L ^ (1L << rank)}, 0, la, 0, 1, MPI.LONG, MPI.BAND);
        Check.that(la[0] == ~((1L << n) - 1), "BAND LONG");
        byte[] bs = new byte[1];
        w.Allreduce(new byte[] {1}, 0, bs, 0, 1, MPI.BYTE, MPI.SUM);
        Check.that(bs[0] == n, "SUM BYTE");
        char[] cs = new char[1];
        w.Allreduce(new char[] {(char) rank}, 0, cs, 0, 1, MPI.CHAR, MPI.MAX);
        Check.that(cs[0] == n - 1, "MAX CHAR");
        try {
            w.Allreduce(new double[1], 0, new double[1], 0, 1, MPI.DOUBLE, MPI.BAND);
            throw new AssertionError("BAND on DOUBLE");
        } catch (MPIException e) {
            Check.that(e.getMessage().contains("BAND is not defined on DOUBLE"), e.getMessage());
        }
        MPI.Finalize();
        return "ok";
    }

    public static Object requests() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int n = w.Size();
        int right = (rank + 1) % n;
        int left = (rank - 1 + n) % n;
        int[] got = new int[n];
        Request[] recvs = new Request[n];
        for (int i = 0; i < n; i++) {
            recvs[i] = w.Irecv(got, i, 1, MPI.INT, i, 40);
        }
        Check.that(Request.Testall(recvs) == null, "Testall before any send");
        Check.that(Request.Testany(new Request[] {recvs[rank]}) == null, "Testany before this rank's own send");
        for (int i = 0; i < n; i++) {
            w.Send(new int[] {rank * 10}, 0, 1, MPI.INT, i, 40);
        }
        int seen = 0;
        boolean[] done = new boolean[n];
        while (seen < n) {
            for (Status s : Request.Waitsome(recvs)) {
                Check.that(!done[s.index], "Waitsome reports each request once");
                Check.equal(s.index, s.source, "Waitsome index and source");
                done[s.index] = true;
                seen++;
            }
        }
        Check.equal(0, Request.Testsome(recvs).length, "nothing left for Testsome");
        for (int i = 0; i < n; i++) {
            Check.equal(i * 10, got[i], "Irecv from " + i);
        }
        Status[] all = Request.Testall(new Request[] {w.Isend(new int[1], 0, 1, MPI.INT, rank, 41)});
        Check.that(all != null && all.length == 1, "Testall of a completed eager send");
        w.Recv(new int[1], 0, 1, MPI.INT, rank, 41);
        // Persistent buffered, synchronous and ready sends.
        MPI.Buffer_attach(ByteBuffer.allocate(1024));
        int[] out = {0};
        int[] in = new int[3];
        Prequest[] sends = {
            w.Bsend_init(out, 0, 1, MPI.INT, right, 42), w.Ssend_init(out, 0, 1, MPI.INT, right, 43),
            w.Rsend_init(out, 0, 1, MPI.INT, right, 44)};
        Prequest[] rec = {
            w.Recv_init(in, 0, 1, MPI.INT, left, 42), w.Recv_init(in, 1, 1, MPI.INT, left, 43),
            w.Recv_init(in, 2, 1, MPI.INT, left, 44)};
        for (int round = 1; round <= 2; round++) {
            out[0] = rank + 100 * round;
            Prequest.Startall(rec);
            w.Barrier();
            Prequest.Startall(sends);
            Request.Waitall(sends);
            Request.Waitall(rec);
            int v = left + 100 * round;
            Check.equal(new int[] {v, v, v}, in, "persistent modes, round " + round);
        }
        MPI.Buffer_detach();
        // Cancelling an unmatched send (to myself, never received) and an unmatched receive.
        Request cs = w.Issend(new int[1], 0, 1, MPI.INT, rank, 45);
        cs.Cancel();
        Check.that(cs.Wait().Test_cancelled(), "cancelled Issend");
        Request ce = w.Isend(new int[1], 0, 1, MPI.INT, rank, 46);
        ce.Cancel();
        Check.that(ce.Wait().Test_cancelled(), "cancelled eager Isend");
        Check.that(w.Iprobe(rank, 46) == null, "a cancelled send is gone");
        Check.that(MPI.REQUEST_NULL.Is_null(), "REQUEST_NULL");
        Status none = Request.Waitany(new Request[] {MPI.REQUEST_NULL});
        Check.equal(MPI.UNDEFINED, none.index, "Waitany of null requests");
        // Iprobe then receive; Get_count of a partial type.
        if (rank == 0) {
            w.Send(new int[] {1, 2, 3}, 0, 3, MPI.INT, 1, 47);
        }
        if (rank == 1) {
            Status p;
            do {
                p = w.Iprobe(MPI.ANY_SOURCE, 47);
            } while (p == null);
            Check.equal(0, p.source, "Iprobe source");
            Check.equal(MPI.UNDEFINED, p.Get_count(MPI.INT2), "Get_count of 3 ints as pairs");
            w.Recv(new int[3], 0, 3, MPI.INT, p.source, p.tag);
        }
        w.Errhandler_set(MPI.ERRORS_RETURN);
        Errhandler e = w.Errhandler_get();
        Check.that(e == MPI.ERRORS_RETURN, "Errhandler_get returns what was set");
        Check.that(w.Errorhandler_get() == MPI.ERRORS_RETURN, "mpiJava's Errorhandler_get");
        Check.equal(Integer.MAX_VALUE, w.Attr_get(MPI.TAG_UB), "TAG_UB");
        Check.equal(MPI.PROC_NULL, w.Attr_get(MPI.HOST), "HOST");
        Check.equal(rank, w.Attr_get(MPI.IO), "IO");
        w.Attr_put(77, 5);
        Check.equal(5, w.Attr_get(77), "Attr_put");
        w.Attr_delete(77);
        try {
            w.Attr_get(77);
            throw new AssertionError("Attr_get of a deleted attribute");
        } catch (MPIException x) {
            Check.that(x.getMessage().contains("no attribute 77"), x.getMessage());
        }
        MPI.Buffer_attach(new byte[200]);
        w.Bsend(new int[] {rank}, 0, 1, MPI.INT, rank, 48);
        w.Recv(new int[1], 0, 1, MPI.INT, rank, 48);
        MPI.Buffer_detach();
        MPI.Finalize();
        return "ok";
    }

    public static Object moreTypesAndGroups() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int n = w.Size();
        Datatype hi = Datatype.Hindexed(new int[] {2, 1}, new int[] {1, 6}, MPI.INT);
        Check.equal(3, hi.Size(), "Hindexed size");
        Check.equal(1, hi.Lb(), "Hindexed lb");
        Check.equal(7, hi.Ub(), "Hindexed ub");
        int[] src = {0, 1, 2, 3, 4, 5, 6, 7};
        int[] dst = new int[3];
        w.Sendrecv(src, 0, 1, hi, rank, 1, dst, 0, 3, MPI.INT, rank, 1);
        Check.equal(new int[] {1, 2, 6}, dst, "Hindexed");
        Datatype padded = Datatype.Struct(new int[] {1, 1, 1}, new int[] {-2, 0, 4}, new Datatype[] {MPI.LB, MPI.INT, MPI.UB});
        Check.equal(-2, padded.Lb(), "LB marker");
        Check.equal(6, padded.Extent(), "LB/UB extent");
        int[] two = new int[20];
        int[] back = new int[20];
        two[2] = 11;
        two[8] = 22;
        w.Sendrecv(two, 2, 2, padded, rank, 2, back, 2, 2, padded, rank, 2);
        Check.that(back[2] == 11 && back[8] == 22, "items placed by extent with markers");
        Group g = w.Group();
        Check.equal(n - 1, g.Range_excl(new int[][] {{0, 0, 1}}).Size(), "Range_excl");
        Check.equal(new int[] {n - 1, 0}, Group.Translate_ranks(g.Incl(new int[] {n - 1, 0}), new int[] {0, 1}, g), "Incl order");
        Check.equal(0, MPI.GROUP_EMPTY.Size(), "GROUP_EMPTY");
        Intracomm rev = w.Split(0, n - rank);
        Check.equal(n == 1 ? MPI.CONGRUENT : MPI.SIMILAR, Comm.Compare(w, rev), "Compare of a reordered communicator");
        Cartcomm cart = w.Create_cart(new int[] {n}, new boolean[] {false}, false);
        Check.equal(rank, cart.Map(new int[] {n}, new boolean[] {false}), "Cartcomm.Map");
        Cartcomm dup = (Cartcomm) cart.clone();
        Check.equal(MPI.CART, dup.Topo_test(), "clone keeps the topology");
        Check.equal(MPI.CONGRUENT, Comm.Compare(cart, dup), "clone is congruent");
        int[] idx = new int[n];
        Graphcomm g0 = w.Create_graph(idx, new int[0], false);
        Check.equal(0, g0.Neighbours(rank).length, "graph without edges");
        Check.equal(rank, g0.Map(idx, new int[0]), "Graphcomm.Map");
        int[] dims = {0, 0, 2};
        Cartcomm.Dims_create(8, dims);
        Check.equal(new int[] {2, 2, 2}, dims, "Dims_create with a fixed dimension");
        try {
            w.Create_cart(new int[] {n + 1}, new boolean[] {false}, false);
            throw new AssertionError("a grid larger than the communicator");
        } catch (MPIException e) {
            Check.that(e.getMessage().contains("need " + (n + 1)), e.getMessage());
        }
        MPI.Finalize();
        return "ok";
    }
}
