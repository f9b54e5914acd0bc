package org.smpcluster.beowulf.mpj.programs;

import java.io.Serializable;

import mpi.Datatype;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Status;

/** Rank programs for datatypes, OBJECT and packing. */
public final class Types {

    private Types() {
    }

    /** A serializable user type, loaded by each rank's own loader. */
    public record Point(int x, String name) implements Serializable {
    }

    public static Object derived() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int size = w.Size();
        int right = (rank + 1) % size;
        int left = (rank - 1 + size) % size;
        // A 4x4 matrix: send column 1 as a Vector, receive into a contiguous row.
        Datatype column = Datatype.Vector(4, 1, 4, MPI.INT);
        column.Commit();
        Check.equal(13, column.Extent(), "Vector extent");
        Check.equal(4, column.Size(), "Vector size");
        int[] m = new int[16];
        for (int i = 0; i < 16; i++) {
            m[i] = rank * 100 + i;
        }
        int[] row = new int[4];
        w.Sendrecv(m, 1, 1, column, right, 1, row, 0, 4, MPI.INT, left, 1);
        Check.equal(new int[] {left * 100 + 1, left * 100 + 5, left * 100 + 9, left * 100 + 13}, row, "Vector column");
        Datatype pair = Datatype.Contiguous(2, MPI.INT);
        Datatype idx = Datatype.Indexed(new int[] {1, 2}, new int[] {0, 3}, pair);
        Check.equal(6, idx.Size(), "Indexed size");
        Check.equal(10, idx.Extent(), "Indexed extent");
        int[] src = new int[10];
        for (int i = 0; i < 10; i++) {
            src[i] = rank * 10 + i;
        }
        int[] dst = new int[10];
        Status s = w.Sendrecv(src, 0, 1, idx, right, 2, dst, 0, 1, idx, left, 2);
        Check.equal(1, s.Get_count(idx), "Get_count of Indexed");
        Check.equal(6, s.Get_elements(idx), "Get_elements of Indexed");
        int l = left * 10;
        Check.equal(new int[] {l, l + 1, 0, 0, 0, 0, l + 6, l + 7, l + 8, l + 9}, dst, "Indexed round trip");
        Datatype hv = Datatype.Hvector(2, 2, 5, MPI.DOUBLE);
        double[] d = {1, 2, 3, 4, 5, 6, 7, 8};
        double[] e = new double[4];
        w.Sendrecv(d, 0, 1, hv, right, 3, e, 0, 4, MPI.DOUBLE, left, 3);
        Check.equal(new double[] {1, 2, 6, 7}, e, "Hvector");
        Datatype st = Datatype.Struct(new int[] {1, 2, 1}, new int[] {0, 2, 8}, new Datatype[] {MPI.INT, MPI.INT, MPI.UB});
        Check.equal(8, st.Extent(), "Struct extent with UB");
        Check.equal(0, st.Lb(), "Struct lb");
        Check.equal(8, st.Ub(), "Struct ub");
        int[] two = new int[16];
        for (int i = 0; i < 16; i++) {
            two[i] = i + rank;
        }
        int[] flat = new int[6];
        w.Sendrecv(two, 0, 2, st, right, 4, flat, 0, 6, MPI.INT, left, 4);
        Check.equal(new int[] {left, left + 2, left + 3, left + 8, left + 10, left + 11}, flat, "Struct x2");
        try {
            Datatype.Struct(new int[] {1, 1}, new int[] {0, 1}, new Datatype[] {MPI.INT, MPI.DOUBLE});
            throw new AssertionError("Struct of two base types");
        } catch (MPIException x) {
            Check.that(x.getMessage().contains("one base type"), x.getMessage());
        }
        MPI.Finalize();
        return "ok";
    }

    public static Object objects() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int size = w.Size();
        Object[] out = {new Point(rank, "p" + rank), "s" + rank, null};
        Object[] in = new Object[3];
        w.Sendrecv(out, 0, 3, MPI.OBJECT, (rank + 1) % size, 1, in, 0, 3, MPI.OBJECT, (rank - 1 + size) % size, 1);
        int left = (rank - 1 + size) % size;
        Check.that(in[0] instanceof Point, "a Point of this rank's loader: " + in[0].getClass().getClassLoader());
        Check.equal(new Point(left, "p" + left), in[0], "Point");
        Check.equal("s" + left, in[1], "String");
        Check.that(in[2] == null, "null element");
        Object[] b = new Object[1];
        if (rank == 0) {
            b[0] = new Point(7, "root");
        }
        w.Bcast(b, 0, 1, MPI.OBJECT, 0);
        Check.equal(new Point(7, "root"), b[0], "Bcast OBJECT");
        Object[] all = new Object[size];
        w.Allgather(new Object[] {"r" + rank}, 0, 1, MPI.OBJECT, all, 0, 1, MPI.OBJECT);
        Check.equal("r" + (size - 1), all[size - 1], "Allgather OBJECT");
        MPI.Finalize();
        return "ok";
    }

    public static Object packing() throws MPIException {
        MPI.Init(new String[0]);
        Intracomm w = MPI.COMM_WORLD;
        int rank = w.Rank();
        int size = w.Size();
        int bytes = w.Pack_size(3, MPI.INT) + w.Pack_size(2, MPI.DOUBLE);
        Check.equal(28, bytes, "Pack_size");
        byte[] buf = new byte[bytes];
        int pos = w.Pack(new int[] {rank, 2, 3}, 0, 3, MPI.INT, buf, 0);
        pos = w.Pack(new double[] {0.5, rank}, 0, 2, MPI.DOUBLE, buf, pos);
        Check.equal(bytes, pos, "Pack position");
        byte[] got = new byte[bytes];
        Status s = w.Sendrecv(buf, 0, bytes, MPI.PACKED, (rank + 1) % size, 1, got, 0, bytes, MPI.PACKED,
                (rank - 1 + size) % size, 1);
        Check.equal(bytes, s.Get_count(MPI.PACKED), "PACKED count");
        int[] ints = new int[3];
        double[] ds = new double[2];
        pos = w.Unpack(got, 0, ints, 0, 3, MPI.INT);
        w.Unpack(got, pos, ds, 0, 2, MPI.DOUBLE);
        int left = (rank - 1 + size) % size;
        Check.equal(new int[] {left, 2, 3}, ints, "Unpack ints");
        Check.equal(new double[] {0.5, left}, ds, "Unpack doubles");
        mpjbuf.Buffer mb = new mpjbuf.Buffer(4);
        w.Pack(new long[] {1L << 40, 5}, 0, 2, MPI.LONG, mb);
        w.Pack(new Object[] {"x"}, 0, 1, MPI.OBJECT, mb);
        mb.commit();
        long[] ls = new long[2];
        Object[] os = new Object[1];
        w.Unpack(mb, ls, 0, 2, MPI.LONG);
        w.Unpack(mb, os, 0, 1, MPI.OBJECT);
        Check.that(ls[0] == 1L << 40 && ls[1] == 5 && "x".equals(os[0]), "mpjbuf.Buffer round trip");
        MPI.Finalize();
        return "ok";
    }
}
