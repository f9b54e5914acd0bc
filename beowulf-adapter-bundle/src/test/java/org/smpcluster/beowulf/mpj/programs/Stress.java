package org.smpcluster.beowulf.mpj.programs;

import mpi.Datatype;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Request;
import mpi.Status;

/** Many rounds of mixed eager and rendezvous traffic in both posting orders, and collectives over derived types. */
public final class Stress {

    private Stress() {
    }

    private static int sizeOf(int round) {
        return switch (round % 4) {
            case 0 -> 1;
            case 1 -> 300;
            case 2 -> 20_000; // 160 KB: a rendezvous
            default -> 0;
        };
    }

    public static Object traffic() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int n = w.Size();
        try {
            MPI.Init(new String[0]);
            throw new AssertionError("a second Init");
        } catch (MPIException e) {
            Check.that(e.getMessage().contains("already initialized"), e.getMessage());
        }
        for (int round = 0; round < 200; round++) {
            int shift = round % (n - 1) + 1;
            int to = (rank + shift) % n;
            int from = (rank - shift + n) % n;
            int len = sizeOf(round);
            double[] out = new double[len];
            for (int i = 0; i < len; i++) {
                out[i] = rank * 1e6 + round * 1e3 + i;
            }
            double[] in = new double[len + 1];
            Status s;
            if (round % 2 == 0) {
                Request r = w.Irecv(in, 1, len, MPI.DOUBLE, round % 3 == 0 ? MPI.ANY_SOURCE : from, round);
                w.Send(out, 0, len, MPI.DOUBLE, to, round);
                s = r.Wait();
            } else {
                Request r = w.Isend(out, 0, len, MPI.DOUBLE, to, round);
                s = w.Recv(in, 1, len, MPI.DOUBLE, from, MPI.ANY_TAG);
                r.Wait();
            }
            Check.equal(from, s.source, "source in round " + round);
            Check.equal(round, s.tag, "tag in round " + round);
            Check.equal(len, s.Get_count(MPI.DOUBLE), "count in round " + round);
            for (int i : new int[] {0, len / 2, len - 1}) {
                if (len > 0) {
                    Check.that(in[1 + i] == from * 1e6 + round * 1e3 + i, "element " + i + " of round " + round);
                }
            }
        }
        // Collectives over a derived type: columns of a 3 x n matrix.
        Datatype column = Datatype.Vector(3, 1, n, MPI.INT);
        int[] m = new int[3 * n];
        if (rank == 0) {
            for (int i = 0; i < m.length; i++) {
                m[i] = i;
            }
        }
        w.Bcast(m, 0, 1, column, 0);
        Check.equal(new int[] {0, n, 2 * n}, new int[] {m[0], m[n], m[2 * n]}, "Bcast of a column");
        int[] mine = {rank, rank + 100, rank + 200};
        int[] all = new int[3 * n];
        Datatype col1 = Datatype.Vector(3, 1, n, MPI.INT);
        Datatype resized = Datatype.Struct(new int[] {1, 1}, new int[] {0, 1}, new Datatype[] {col1, MPI.UB});
        w.Gather(mine, 0, 3, MPI.INT, all, 0, 1, resized, n - 1);
        if (rank == n - 1) {
            for (int j = 0; j < n; j++) {
                Check.equal(new int[] {j, j + 100, j + 200}, new int[] {all[j], all[n + j], all[2 * n + j]},
                        "Gather into column " + j);
            }
        }
        MPI.Finalize();
        return "ok";
    }
}
