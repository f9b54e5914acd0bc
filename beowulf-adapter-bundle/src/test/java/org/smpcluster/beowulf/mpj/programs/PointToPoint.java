package org.smpcluster.beowulf.mpj.programs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import mpi.Comm;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Prequest;
import mpi.Request;
import mpi.Status;

/** Rank programs for point-to-point semantics. */
public final class PointToPoint {

    private PointToPoint() {
    }

    /** Each rank's statics are its own: its rank, size and a static it sets. */
    static int mark;

    public static Object identity() throws MPIException {
        Check.that(!MPI.Initialized(), "Initialized before Init");
        String[] rest = MPI.Init(new String[] {"a", "b"});
        Check.equal(2, rest.length, "Init returns the program's arguments");
        Check.that(MPI.Initialized(), "Initialized after Init");
        int rank = MPI.COMM_WORLD.Rank();
        Check.that(mark == 0, "a fresh loader per rank");
        mark = rank + 1;
        Check.equal(1, MPI.COMM_SELF.Size(), "COMM_SELF size");
        Check.equal(0, MPI.COMM_SELF.Rank(), "COMM_SELF rank");
        Check.that(MPI.Wtick() > 0 && MPI.Wtime() >= 0, "Wtime and Wtick");
        Check.that(!MPI.Get_processor_name().isEmpty(), "processor name");
        Check.that(!MPI.COMM_WORLD.Test_inter(), "world is an intracomm");
        Check.equal(MPI.UNDEFINED, MPI.COMM_WORLD.Topo_test(), "no topology");
        Check.equal(MPI.IDENT, Comm.Compare(MPI.COMM_WORLD, MPI.COMM_WORLD), "Compare self");
        Intracomm dup = (Intracomm) MPI.COMM_WORLD.clone();
        Check.equal(MPI.CONGRUENT, Comm.Compare(MPI.COMM_WORLD, dup), "Compare dup");
        int size = MPI.COMM_WORLD.Size();
        MPI.Finalize();
        Check.that(!MPI.Initialized(), "Initialized false after Finalize");
        MPI.Init(new String[0]);
        Check.equal(rank, MPI.COMM_WORLD.Rank(), "Init after Finalize keeps the rank");
        MPI.COMM_WORLD.Barrier();
        MPI.Finalize();
        return rank + "/" + size;
    }

    /** Messages between a pair arrive in order; ANY_SOURCE and ANY_TAG match; status is right. */
    public static Object orderAndWildcards() throws MPIException {
        MPI.Init(new String[0]);
        int rank = MPI.COMM_WORLD.Rank();
        int size = MPI.COMM_WORLD.Size();
        if (rank != 0) {
            for (int i = 0; i < 50; i++) {
                MPI.COMM_WORLD.Send(new int[] {rank, i}, 0, 2, MPI.INT, 0, i % 3);
            }
        } else {
            int[] next = new int[size];
            int[] buf = new int[2];
            for (int k = 0; k < 50 * (size - 1); k++) {
                Status s = MPI.COMM_WORLD.Recv(buf, 0, 2, MPI.INT, MPI.ANY_SOURCE, MPI.ANY_TAG);
                Check.equal(buf[0], s.source, "status source");
                Check.equal(buf[1] % 3, s.tag, "status tag");
                Check.equal(2, s.Get_count(MPI.INT), "status count");
                Check.equal(next[buf[0]], buf[1], "order from rank " + buf[0]);
                next[buf[0]]++;
            }
        }
        // A specific tag skips over earlier messages with other tags.
        if (size >= 2) {
            if (rank == 1) {
                MPI.COMM_WORLD.Recv(new int[1], 0, 1, MPI.INT, 0, 6);
                MPI.COMM_WORLD.Send(new int[] {1}, 0, 1, MPI.INT, 0, 7);
                MPI.COMM_WORLD.Send(new int[] {2}, 0, 1, MPI.INT, 0, 8);
            } else if (rank == 0) {
                int[] b = new int[1];
                MPI.COMM_WORLD.Send(b, 0, 1, MPI.INT, 1, 6);
                MPI.COMM_WORLD.Recv(b, 0, 1, MPI.INT, 1, 8);
                Check.equal(2, b[0], "tag 8 first");
                MPI.COMM_WORLD.Recv(b, 0, 1, MPI.INT, 1, 7);
                Check.equal(1, b[0], "then tag 7");
            }
        }
        MPI.Finalize();
        return "ok";
    }

    /** Ssend completes only once the matching receive started; a small Isend completes at once. */
    public static Object synchronousSend() throws MPIException {
        MPI.Init(new String[0]);
        int rank = MPI.COMM_WORLD.Rank();
        if (rank == 0) {
            Request eager = MPI.COMM_WORLD.Isend(new int[] {5}, 0, 1, MPI.INT, 1, 3);
            Check.that(eager.Test() != null, "a small standard send completes before its receive");
            Request r = MPI.COMM_WORLD.Issend(new int[] {42}, 0, 1, MPI.INT, 1, 1);
            for (int i = 0; i < 1000; i++) {
                Check.that(r.Test() == null, "Issend completed before rank 1 posted its receive");
                Thread.onSpinWait();
            }
            MPI.COMM_WORLD.Send(new int[] {0}, 0, 1, MPI.INT, 1, 2);
            r.Wait();
        } else if (rank == 1) {
            int[] b = new int[1];
            MPI.COMM_WORLD.Recv(b, 0, 1, MPI.INT, 0, 2);
            MPI.COMM_WORLD.Recv(b, 0, 1, MPI.INT, 0, 1);
            Check.equal(42, b[0], "synchronous payload");
            MPI.COMM_WORLD.Recv(b, 0, 1, MPI.INT, 0, 3);
            Check.equal(5, b[0], "eager payload");
        }
        MPI.Finalize();
        return "ok";
    }

    /** Every send mode, nonblocking and persistent; Sendrecv(_replace); PROC_NULL; large rendezvous. */
    public static Object modes() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int size = w.Size();
        int right = (rank + 1) % size;
        int left = (rank - 1 + size) % size;
        double[] big = new double[1 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = rank * 1e7 + i;
        }
        double[] got = new double[big.length];
        Request rr = w.Irecv(got, 0, got.length, MPI.DOUBLE, left, 9);
        w.Send(big, 0, big.length, MPI.DOUBLE, right, 9);
        rr.Wait();
        Check.that(got[12345] == left * 1e7 + 12345, "1 Mi doubles by rendezvous");
        int[] b = new int[4];
        w.Rsend(new int[] {rank}, 0, 1, MPI.INT, right, 1);
        w.Recv(b, 0, 1, MPI.INT, left, 1);
        Check.equal(left, b[0], "Rsend");
        Request self = w.Irecv(b, 1, 1, MPI.INT, rank, 2);
        w.Ssend(new int[] {rank}, 0, 1, MPI.INT, rank, 2);
        self.Wait();
        Check.equal(rank, b[1], "Ssend to self");
        Request[] reqs = {
            w.Irecv(b, 0, 1, MPI.INT, left, 3), w.Irecv(b, 1, 1, MPI.INT, left, 4),
            w.Isend(new int[] {10 + rank}, 0, 1, MPI.INT, right, 3), w.Irsend(new int[] {20 + rank}, 0, 1, MPI.INT, right, 4)};
        Status[] st = Request.Waitall(reqs);
        Check.equal(left, st[0].source, "Waitall status");
        Check.equal(new int[] {10 + left, 20 + left}, new int[] {b[0], b[1]}, "Isend/Irsend");
        Request is = w.Issend(new int[] {30 + rank}, 0, 1, MPI.INT, right, 5);
        Request ir = w.Irecv(b, 0, 1, MPI.INT, left, 5);
        Status any = Request.Waitany(new Request[] {ir, is});
        Check.that(any.index == 0 || any.index == 1, "Waitany index");
        Request.Waitall(new Request[] {ir, is});
        Check.equal(30 + left, b[0], "Issend");
        Prequest ps = w.Send_init(b, 2, 1, MPI.INT, right, 6);
        Prequest pr = w.Recv_init(b, 3, 1, MPI.INT, left, 6);
        for (int i = 0; i < 3; i++) {
            b[2] = 100 * i + rank;
            Prequest.Startall(new Prequest[] {pr, ps});
            Status[] s = Request.Waitall(new Request[] {pr, ps});
            Check.equal(100 * i + left, b[3], "persistent round " + i);
            Check.equal(left, s[0].source, "persistent status");
        }
        int[] x = {rank};
        w.Sendrecv_replace(x, 0, 1, MPI.INT, right, 7, left, 7);
        Check.equal(left, x[0], "Sendrecv_replace");
        int[] y = new int[1];
        Status s = w.Sendrecv(new int[] {rank * 2}, 0, 1, MPI.INT, right, 8, y, 0, 1, MPI.INT, left, 8);
        Check.equal(left * 2, y[0], "Sendrecv");
        Check.equal(left, s.source, "Sendrecv status");
        Status pn = w.Recv(y, 0, 1, MPI.INT, MPI.PROC_NULL, 1);
        Check.equal(MPI.PROC_NULL, pn.source, "PROC_NULL receive");
        w.Send(y, 0, 1, MPI.INT, MPI.PROC_NULL, 1);
        MPI.Finalize();
        return "ok";
    }

    /** Probe, Iprobe, Cancel, Testsome, truncation and bad-input errors. */
    public static Object probeCancelErrors() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        List<String> errors = new ArrayList<>();
        if (rank == 0) {
            w.Send(new int[] {1, 2, 3}, 0, 3, MPI.INT, 1, 11);
            w.Send(new int[] {1, 2, 3}, 0, 3, MPI.INT, 1, 12);
        } else if (rank == 1) {
            Check.that(w.Iprobe(0, 99) == null, "Iprobe of nothing");
            Status p = w.Probe(0, 11);
            Check.equal(3, p.Get_count(MPI.INT), "Probe count");
            Check.equal(11, p.tag, "Probe tag");
            int[] small = new int[2];
            try {
                w.Recv(small, 0, 2, MPI.INT, 0, 11);
                errors.add("no truncation error");
            } catch (MPIException e) {
                Check.that(e.getMessage().contains("truncated"), "truncation message: " + e.getMessage());
            }
            try {
                w.Recv(new double[3], 0, 3, MPI.DOUBLE, 0, 12);
                errors.add("no type mismatch error");
            } catch (MPIException e) {
                Check.that(e.getMessage().contains("mismatch"), "mismatch message: " + e.getMessage());
            }
            Request c = w.Irecv(small, 0, 1, MPI.INT, 0, 77);
            c.Cancel();
            Check.that(c.Wait().Test_cancelled(), "cancelled receive");
            Request[] none = {w.Irecv(small, 0, 1, MPI.INT, 0, 78)};
            Check.equal(0, Request.Testsome(none).length, "Testsome of none complete");
            none[0].Cancel();
        }
        try {
            w.Send(new int[1], 0, 1, MPI.INT, 99, 0);
            errors.add("no bad dest error");
        } catch (MPIException e) {
            Check.that(e.getMessage().contains("dest=99"), "dest message: " + e.getMessage());
        }
        try {
            w.Send(new int[1], 0, 2, MPI.INT, 0, 0);
            errors.add("no buffer bounds error");
        } catch (MPIException e) {
            Check.that(e.getMessage().contains("buffer of 1"), "bounds message: " + e.getMessage());
        }
        try {
            w.Send(new double[1], 0, 1, MPI.INT, 0, 0);
            errors.add("no buffer type error");
        } catch (MPIException e) {
            Check.that(e.getMessage().contains("int[]"), "buffer type message: " + e.getMessage());
        }
        Check.that(errors.isEmpty(), errors.toString());
        MPI.Finalize();
        try {
            w.Send(new int[1], 0, 1, MPI.INT, 0, 0);
            return "no error after Finalize";
        } catch (MPIException e) {
            Check.that(e.getMessage().contains("not initialized"), e.getMessage());
        }
        return "ok";
    }

    /** Bsend needs an attached buffer, fails on overflow, and Buffer_detach waits for delivery. */
    public static Object bufferedSend() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        if (rank == 0) {
            try {
                w.Bsend(new int[1], 0, 1, MPI.INT, 1, 1);
                throw new AssertionError("Bsend without a buffer");
            } catch (MPIException e) {
                Check.that(e.getMessage().contains("no buffer"), e.getMessage());
            }
            int one = 50 * 4 + MPI.BSEND_OVERHEAD;
            MPI.Buffer_attach(ByteBuffer.allocate(3 * one));
            for (int i = 0; i < 3; i++) {
                int[] data = new int[50];
                data[0] = i;
                w.Bsend(data, 0, 50, MPI.INT, 1, 1);
            }
            try {
                w.Ibsend(new int[50], 0, 50, MPI.INT, 1, 1);
                throw new AssertionError("Bsend past the buffer");
            } catch (MPIException e) {
                Check.that(e.getMessage().contains("overflow"), e.getMessage());
            }
            w.Send(new int[1], 0, 1, MPI.INT, 1, 2);
            MPI.Buffer_detach();
            MPI.Buffer_attach(ByteBuffer.allocate(one));
            w.Bsend(new int[50], 0, 50, MPI.INT, 1, 3);
        } else if (rank == 1) {
            int[] b = new int[50];
            w.Recv(b, 0, 1, MPI.INT, 0, 2);
            for (int i = 0; i < 3; i++) {
                w.Recv(b, 0, 50, MPI.INT, 0, 1);
                Check.equal(i, b[0], "buffered message " + i);
            }
            w.Recv(b, 0, 50, MPI.INT, 0, 3);
        }
        MPI.Finalize();
        return "ok";
    }
}
