package org.smpcluster.beowulf.mpj.programs;

import mpi.Datatype;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Op;
import mpi.User_function;

/** Rank programs for the collectives, checked against what MPI says each rank must get. */
public final class Collectives {

    private Collectives() {
    }

    public static Object all() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int n = w.Size();
        for (int i = 0; i < 5; i++) {
            w.Barrier();
        }
        for (int root = 0; root < n; root++) {
            int[] b = new int[3];
            if (rank == root) {
                b = new int[] {root, root + 1, root + 2};
            }
            w.Bcast(b, 0, 3, MPI.INT, root);
            Check.equal(new int[] {root, root + 1, root + 2}, b, "Bcast from " + root);

            int[] sum = new int[2];
            w.Reduce(new int[] {rank, 1}, 0, sum, 0, 2, MPI.INT, MPI.SUM, root);
            if (rank == root) {
                Check.equal(new int[] {n * (n - 1) / 2, n}, sum, "Reduce SUM at " + root);
            }

            int[] g = new int[2 * n];
            w.Gather(new int[] {rank, -rank}, 0, 2, MPI.INT, g, 0, 2, MPI.INT, root);
            if (rank == root) {
                for (int i = 0; i < n; i++) {
                    Check.that(g[2 * i] == i && g[2 * i + 1] == -i, "Gather block " + i + " at root " + root);
                }
            }
            int[] sc = new int[2 * n];
            for (int i = 0; i < 2 * n; i++) {
                sc[i] = i * 10;
            }
            int[] mine = new int[2];
            w.Scatter(sc, 0, 2, MPI.INT, mine, 0, 2, MPI.INT, root);
            Check.equal(new int[] {rank * 20, rank * 20 + 10}, mine, "Scatter from " + root);

            int[] counts = new int[n];
            int[] displs = new int[n];
            int total = 0;
            for (int i = 0; i < n; i++) {
                counts[i] = i + 1;
                displs[i] = total;
                total += i + 1;
            }
            int[] send = new int[rank + 1];
            java.util.Arrays.fill(send, rank);
            int[] gv = new int[total];
            w.Gatherv(send, 0, rank + 1, MPI.INT, gv, 0, counts, displs, MPI.INT, root);
            if (rank == root) {
                Check.equal(n - 1, gv[total - 1], "Gatherv last");
                Check.equal(1, gv[1], "Gatherv rank 1");
            }
            int[] sv = new int[rank + 1];
            w.Scatterv(gv, 0, counts, displs, MPI.INT, sv, 0, rank + 1, MPI.INT, root);
            if (rank == root) {
                Check.equal(rank, sv[rank], "Scatterv");
            }
        }
        double[] x = {rank, 1.5};
        double[] y = new double[2];
        w.Allreduce(x, 0, y, 0, 2, MPI.DOUBLE, MPI.MAX);
        Check.equal(new double[] {n - 1, 1.5}, y, "Allreduce MAX");
        int big = 1 << 17;
        double[] bx = new double[big];
        for (int i = 0; i < big; i++) {
            bx[i] = rank + i;
        }
        double[] by = new double[big];
        w.Allreduce(bx, 0, by, 0, big, MPI.DOUBLE, MPI.SUM);
        for (int i : new int[] {0, 1, big / 2, big - 1}) {
            Check.that(by[i] == (double) n * (n - 1) / 2 + (double) n * i, "ring Allreduce element " + i + ": " + by[i]);
        }
        int[] ag = new int[n];
        w.Allgather(new int[] {rank * 3}, 0, 1, MPI.INT, ag, 0, 1, MPI.INT);
        for (int i = 0; i < n; i++) {
            Check.equal(i * 3, ag[i], "Allgather " + i);
        }
        int[] counts = new int[n];
        int[] displs = new int[n];
        for (int i = 0; i < n; i++) {
            counts[i] = i % 2 + 1;
            displs[i] = 2 * i;
        }
        int[] agv = new int[2 * n];
        int[] mineV = {rank, rank};
        w.Allgatherv(mineV, 0, counts[rank], MPI.INT, agv, 0, counts, displs, MPI.INT);
        Check.equal(n - 1, agv[2 * (n - 1)], "Allgatherv");
        int[] a2a = new int[n];
        int[] a2b = new int[n];
        for (int i = 0; i < n; i++) {
            a2a[i] = rank * 100 + i;
        }
        w.Alltoall(a2a, 0, 1, MPI.INT, a2b, 0, 1, MPI.INT);
        for (int i = 0; i < n; i++) {
            Check.equal(i * 100 + rank, a2b[i], "Alltoall from " + i);
        }
        int[] sc = new int[n];
        int[] sd = new int[n];
        int[] rc = new int[n];
        int[] rd = new int[n];
        for (int i = 0; i < n; i++) {
            sc[i] = 1;
            sd[i] = i;
            rc[i] = 1;
            rd[i] = n - 1 - i;
        }
        w.Alltoallv(a2a, 0, sc, sd, MPI.INT, a2b, 0, rc, rd, MPI.INT);
        Check.equal(rank, a2b[n - 1], "Alltoallv from 0 placed last");
        int[] rs = new int[n];
        java.util.Arrays.fill(rs, 1);
        int[] rsIn = new int[n];
        for (int i = 0; i < n; i++) {
            rsIn[i] = i + rank;
        }
        int[] rsOut = new int[1];
        w.Reduce_scatter(rsIn, 0, rsOut, 0, rs, MPI.INT, MPI.SUM);
        Check.equal(n * rank + n * (n - 1) / 2, rsOut[0], "Reduce_scatter");
        int[] scan = new int[1];
        w.Scan(new int[] {rank + 1}, 0, scan, 0, 1, MPI.INT, MPI.SUM);
        Check.equal((rank + 1) * (rank + 2) / 2, scan[0], "Scan");
        MPI.Finalize();
        return "ok";
    }

    /** MAXLOC/MINLOC on pairs, logical and bitwise ops, and user ops (commutative or not). */
    public static Object ops() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int n = w.Size();
        int[] loc = {rank % 3 == 0 ? 10 : rank, rank};
        int[] max = new int[2];
        int[] min = new int[2];
        w.Allreduce(loc, 0, max, 0, 1, MPI.INT2, MPI.MAXLOC);
        w.Allreduce(loc, 0, min, 0, 1, MPI.INT2, MPI.MINLOC);
        Check.equal(new int[] {10, 0}, max, "MAXLOC ties keep the lowest index");
        Check.equal(new int[] {1, 1}, min, "MINLOC");
        double[] dl = {-rank, rank};
        double[] dm = new double[2];
        w.Reduce(dl, 0, dm, 0, 1, MPI.DOUBLE2, MPI.MINLOC, 0);
        if (rank == 0) {
            Check.equal(new double[] {-(n - 1), n - 1}, dm, "DOUBLE2 MINLOC");
        }
        boolean[] b = new boolean[2];
        w.Allreduce(new boolean[] {rank == 0, true}, 0, b, 0, 2, MPI.BOOLEAN, MPI.LOR);
        Check.that(b[0] && b[1], "LOR");
        w.Allreduce(new boolean[] {rank == 0, true}, 0, b, 0, 2, MPI.BOOLEAN, MPI.LAND);
        Check.that(!b[0] && b[1], "LAND");
        int[] bits = new int[3];
        w.Allreduce(new int[] {1 << rank, 1 << rank, 0xff}, 0, bits, 0, 1, MPI.INT, MPI.BOR);
        Check.equal((1 << n) - 1, bits[0], "BOR");
        long[] prod = new long[1];
        w.Allreduce(new long[] {rank + 1}, 0, prod, 0, 1, MPI.LONG, MPI.PROD);
        long f = 1;
        for (int i = 1; i <= n; i++) {
            f *= i;
        }
        Check.equal(f, prod[0], "PROD");
        // Non-commutative: 2x2 matrix product in rank order.
        Op matmul = new Op(new User_function() {
            @Override
            public void Call(Object in, int io, Object inout, int oo, int count, Datatype t) {
                int[] a = (int[]) in;
                int[] c = (int[]) inout;
                for (int k = 0; k < count; k++) {
                    int p = io + 4 * k;
                    int q = oo + 4 * k;
                    int c0 = a[p] * c[q] + a[p + 1] * c[q + 2];
                    int c1 = a[p] * c[q + 1] + a[p + 1] * c[q + 3];
                    int c2 = a[p + 2] * c[q] + a[p + 3] * c[q + 2];
                    int c3 = a[p + 2] * c[q + 1] + a[p + 3] * c[q + 3];
                    c[q] = c0;
                    c[q + 1] = c1;
                    c[q + 2] = c2;
                    c[q + 3] = c3;
                }
            }
        }, false);
        Datatype m2 = Datatype.Contiguous(4, MPI.INT);
        int[] mine = {1, rank, 0, 1};
        int[] res = new int[4];
        w.Allreduce(mine, 0, res, 0, 1, m2, matmul);
        Check.equal(new int[] {1, n * (n - 1) / 2, 0, 1}, res, "non-commutative user op");
        int[] upper = {1, 1, 0, 1};
        int[] lower = {1, 0, 1, 1};
        int[] r2 = new int[4];
        w.Reduce(rank % 2 == 0 ? upper : lower, 0, r2, 0, 1, m2, matmul, n - 1);
        if (rank == n - 1) {
            int[] expect = {1, 0, 0, 1};
            for (int i = 0; i < n; i++) {
                int[] a = expect;
                int[] c = i % 2 == 0 ? upper : lower;
                expect = new int[] {a[0] * c[0] + a[1] * c[2], a[0] * c[1] + a[1] * c[3], a[2] * c[0] + a[3] * c[2],
                    a[2] * c[1] + a[3] * c[3]};
            }
            Check.equal(expect, r2, "ordered Reduce at the last rank");
        }
        int[] sc = new int[4];
        w.Scan(mine, 0, sc, 0, 1, m2, matmul);
        Check.equal(new int[] {1, rank * (rank + 1) / 2, 0, 1}, sc, "non-commutative Scan");
        MPI.Finalize();
        return "ok";
    }
}
