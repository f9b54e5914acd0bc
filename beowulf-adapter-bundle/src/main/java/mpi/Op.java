package mpi;

import org.smpcluster.beowulf.mpj.Device;

/**
 * A reduction operation: one of the predefined ones ({@code MPI.SUM} ...) or a {@link User_function}.
 * It combines packed, contiguous vectors of base elements: {@code inout[i] = in[i] op inout[i]}.
 */
public class Op {

    static final int USER = 0, MAX = 1, MIN = 2, SUM = 3, PROD = 4, LAND = 5, BAND = 6, LOR = 7, BOR = 8, LXOR = 9,
            BXOR = 10, MAXLOC = 11, MINLOC = 12;

    private static final String[] NAMES = {"user", "MAX", "MIN", "SUM", "PROD", "LAND", "BAND", "LOR", "BOR", "LXOR",
        "BXOR", "MAXLOC", "MINLOC"};

    final int kind;
    final User_function function;
    final boolean commute;

    /** A user operation; {@code commute} says whether the order of operands may change. */
    public Op(User_function function, boolean commute) throws MPIException {
        if (function == null) {
            throw new MPIException("Op: the user function is null");
        }
        this.kind = USER;
        this.function = function;
        this.commute = commute;
    }

    Op(int kind) {
        this.kind = kind;
        this.function = null;
        this.commute = true;
    }

    /** Whether the operation is commutative. */
    public boolean Is_commute() {
        return commute;
    }

    public void Free() throws MPIException {
    }

    /** Combines {@code count} items of {@code type}: in packed form, {@code count * type.Size()} elements. */
    void apply(Object in, int inOff, Object inout, int inoutOff, int count, Datatype type) throws MPIException {
        if (kind == USER) {
            if (type.contiguous) {
                function.Call(in, inOff, inout, inoutOff, count, type);
            } else {
                function.Call(in, inOff, inout, inoutOff, count * type.size(), MPI.basicOf(type.base));
            }
            return;
        }
        int n = count * type.size();
        if (kind == MAXLOC || kind == MINLOC) {
            if (type.size() != 2) {
                throw new MPIException(NAMES[kind] + " needs a pair type (MPI.INT2, MPI.DOUBLE2, ...), got items of "
                        + type.size() + " elements");
            }
            pairs(in, inOff, inout, inoutOff, n, type.base);
            return;
        }
        switch (type.base) {
            case Device.INT -> {
                int[] a = (int[]) in;
                int[] b = (int[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = (int) longOp(a[inOff + i], b[inoutOff + i], type);
                }
            }
            case Device.LONG -> {
                long[] a = (long[]) in;
                long[] b = (long[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = longOp(a[inOff + i], b[inoutOff + i], type);
                }
            }
            case Device.SHORT -> {
                short[] a = (short[]) in;
                short[] b = (short[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = (short) longOp(a[inOff + i], b[inoutOff + i], type);
                }
            }
            case Device.BYTE -> {
                byte[] a = (byte[]) in;
                byte[] b = (byte[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = (byte) longOp(a[inOff + i], b[inoutOff + i], type);
                }
            }
            case Device.CHAR -> {
                char[] a = (char[]) in;
                char[] b = (char[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = (char) longOp(a[inOff + i], b[inoutOff + i], type);
                }
            }
            case Device.DOUBLE -> {
                double[] a = (double[]) in;
                double[] b = (double[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = doubleOp(a[inOff + i], b[inoutOff + i], type);
                }
            }
            case Device.FLOAT -> {
                float[] a = (float[]) in;
                float[] b = (float[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = (float) doubleOp(a[inOff + i], b[inoutOff + i], type);
                }
            }
            case Device.BOOLEAN -> {
                boolean[] a = (boolean[]) in;
                boolean[] b = (boolean[]) inout;
                for (int i = 0; i < n; i++) {
                    b[inoutOff + i] = boolOp(a[inOff + i], b[inoutOff + i]);
                }
            }
            default -> throw new MPIException(NAMES[kind] + " is not defined on " + MPI.typeName(type.base));
        }
    }

    private long longOp(long a, long b, Datatype type) throws MPIException {
        return switch (kind) {
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case SUM -> a + b;
            case PROD -> a * b;
            case LAND -> (a != 0 && b != 0) ? 1 : 0;
            case LOR -> (a != 0 || b != 0) ? 1 : 0;
            case LXOR -> ((a != 0) != (b != 0)) ? 1 : 0;
            case BAND -> a & b;
            case BOR -> a | b;
            case BXOR -> a ^ b;
            default -> throw new MPIException(NAMES[kind] + " is not defined on " + MPI.typeName(type.base));
        };
    }

    private double doubleOp(double a, double b, Datatype type) throws MPIException {
        return switch (kind) {
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case SUM -> a + b;
            case PROD -> a * b;
            default -> throw new MPIException(NAMES[kind] + " is not defined on " + MPI.typeName(type.base)
                    + " (allowed: MAX, MIN, SUM, PROD, and MAXLOC/MINLOC on pairs)");
        };
    }

    private boolean boolOp(boolean a, boolean b) throws MPIException {
        return switch (kind) {
            case LAND, BAND -> a && b;
            case LOR, BOR -> a || b;
            case LXOR, BXOR -> a ^ b;
            default -> throw new MPIException(NAMES[kind] + " is not defined on BOOLEAN (allowed: LAND, LOR, LXOR, BAND, BOR, BXOR)");
        };
    }

    /** MAXLOC/MINLOC over (value, index) pairs; ties keep the smaller index, as MPI says. */
    private void pairs(Object in, int inOff, Object inout, int inoutOff, int n, int base) throws MPIException {
        boolean max = kind == MAXLOC;
        for (int i = 0; i < n; i += 2) {
            double av;
            double bv;
            double ai;
            double bi;
            switch (base) {
                case Device.INT -> {
                    av = ((int[]) in)[inOff + i];
                    ai = ((int[]) in)[inOff + i + 1];
                    bv = ((int[]) inout)[inoutOff + i];
                    bi = ((int[]) inout)[inoutOff + i + 1];
                }
                case Device.LONG -> {
                    av = ((long[]) in)[inOff + i];
                    ai = ((long[]) in)[inOff + i + 1];
                    bv = ((long[]) inout)[inoutOff + i];
                    bi = ((long[]) inout)[inoutOff + i + 1];
                }
                case Device.SHORT -> {
                    av = ((short[]) in)[inOff + i];
                    ai = ((short[]) in)[inOff + i + 1];
                    bv = ((short[]) inout)[inoutOff + i];
                    bi = ((short[]) inout)[inoutOff + i + 1];
                }
                case Device.FLOAT -> {
                    av = ((float[]) in)[inOff + i];
                    ai = ((float[]) in)[inOff + i + 1];
                    bv = ((float[]) inout)[inoutOff + i];
                    bi = ((float[]) inout)[inoutOff + i + 1];
                }
                case Device.DOUBLE -> {
                    av = ((double[]) in)[inOff + i];
                    ai = ((double[]) in)[inOff + i + 1];
                    bv = ((double[]) inout)[inoutOff + i];
                    bi = ((double[]) inout)[inoutOff + i + 1];
                }
                default -> throw new MPIException(NAMES[kind] + " is not defined on " + MPI.typeName(base));
            }
            boolean takeIn = max ? (av > bv || (av == bv && ai < bi)) : (av < bv || (av == bv && ai < bi));
            if (takeIn) {
                System.arraycopy(in, inOff + i, inout, inoutOff + i, 2);
            }
        }
    }
}
