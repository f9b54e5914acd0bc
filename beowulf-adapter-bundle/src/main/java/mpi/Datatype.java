package mpi;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.lang.reflect.Array;
import java.util.Arrays;

import org.smpcluster.beowulf.mpj.Device;
import org.smpcluster.beowulf.mpj.Payload;

/**
 * A datatype: a base type and a type map, the displacement (in base elements) of every element of
 * one item, with a lower and upper bound. mpiJava's rule holds: every element of a derived type has
 * the one base type, and the buffer is an array of it. Packing gathers items into a fresh array of
 * the base type (one copy), unpacking scatters them back; {@link #runs} keeps the type map as runs of
 * consecutive elements so both copy with {@code System.arraycopy}.
 */
public class Datatype {

    static final int LB_CODE = 10;
    static final int UB_CODE = 11;

    final int base;
    final int[] displs;
    final int lb;
    final int ub;
    final boolean explicitLb;
    final boolean explicitUb;
    /** Pairs (displacement, length) of the runs of consecutive elements of one item. */
    final int[] runs;
    final boolean contiguous;

    Datatype(int base, int[] displs, int lb, int ub, boolean explicitLb, boolean explicitUb) {
        this.base = base;
        this.displs = displs;
        this.lb = lb;
        this.ub = ub;
        this.explicitLb = explicitLb;
        this.explicitUb = explicitUb;
        this.runs = runsOf(displs);
        boolean c = lb == 0 && ub == displs.length;
        for (int i = 0; c && i < displs.length; i++) {
            c = displs[i] == i;
        }
        this.contiguous = c;
    }

    static Datatype basic(int code) {
        return new Datatype(code, new int[] {0}, 0, 1, false, false);
    }

    static Datatype marker(int code) {
        return new Datatype(code, new int[0], 0, 0, code == LB_CODE, code == UB_CODE);
    }

    private static int[] runsOf(int[] d) {
        int[] r = new int[2 * d.length];
        int n = 0;
        for (int i = 0; i < d.length;) {
            int j = i + 1;
            while (j < d.length && d[j] == d[j - 1] + 1) {
                j++;
            }
            r[n++] = d[i];
            r[n++] = j - i;
            i = j;
        }
        return Arrays.copyOf(r, n);
    }

    /** Builds a type from copies of {@code old} placed at {@code offsets} (in base elements). */
    private static Datatype place(Datatype old, int[] offsets) {
        int[] d = new int[offsets.length * old.displs.length];
        int k = 0;
        for (int off : offsets) {
            for (int e : old.displs) {
                d[k++] = off + e;
            }
        }
        int lb = Integer.MAX_VALUE;
        int ub = Integer.MIN_VALUE;
        for (int off : offsets) {
            lb = Math.min(lb, off + old.lb);
            ub = Math.max(ub, off + old.ub);
        }
        if (offsets.length == 0) {
            lb = 0;
            ub = 0;
        }
        return new Datatype(old.base, d, lb, ub, old.explicitLb, old.explicitUb);
    }

    private static void checkOld(String op, Datatype old) throws MPIException {
        if (old == null) {
            throw new MPIException(op + ": oldtype is null");
        }
    }

    private static void checkCount(String op, String name, int v) throws MPIException {
        if (v < 0) {
            throw new MPIException(op + ": " + name + "=" + v + " must be >= 0");
        }
    }

    /** {@code count} copies of {@code oldtype}, one after the other. */
    public static Datatype Contiguous(int count, Datatype oldtype) throws MPIException {
        checkOld("Contiguous", oldtype);
        checkCount("Contiguous", "count", count);
        int[] offs = new int[count];
        for (int i = 0; i < count; i++) {
            offs[i] = i * oldtype.extent();
        }
        return place(oldtype, offs);
    }

    /** {@code count} blocks of {@code blocklength} items, starts {@code stride} items of oldtype apart. */
    public static Datatype Vector(int count, int blocklength, int stride, Datatype oldtype) throws MPIException {
        checkOld("Vector", oldtype);
        return Hvector(count, blocklength, stride * oldtype.extent(), oldtype, "Vector");
    }

    /** As {@link #Vector}, with the stride in base elements of the buffer rather than items of oldtype. */
    public static Datatype Hvector(int count, int blocklength, int stride, Datatype oldtype) throws MPIException {
        checkOld("Hvector", oldtype);
        return Hvector(count, blocklength, stride, oldtype, "Hvector");
    }

    private static Datatype Hvector(int count, int blocklength, int stride, Datatype old, String op)
            throws MPIException {
        checkCount(op, "count", count);
        checkCount(op, "blocklength", blocklength);
        int[] offs = new int[count * blocklength];
        int k = 0;
        for (int i = 0; i < count; i++) {
            for (int j = 0; j < blocklength; j++) {
                offs[k++] = i * stride + j * old.extent();
            }
        }
        return place(old, offs);
    }

    /** Blocks of {@code array_of_blocklengths[i]} items at {@code array_of_displacements[i]} items of oldtype. */
    public static Datatype Indexed(int[] array_of_blocklengths, int[] array_of_displacements, Datatype oldtype)
            throws MPIException {
        checkOld("Indexed", oldtype);
        return indexed(array_of_blocklengths, array_of_displacements, oldtype, oldtype.extent(), "Indexed");
    }

    /** As {@link #Indexed}, with displacements in base elements of the buffer. */
    public static Datatype Hindexed(int[] array_of_blocklengths, int[] array_of_displacements, Datatype oldtype)
            throws MPIException {
        checkOld("Hindexed", oldtype);
        return indexed(array_of_blocklengths, array_of_displacements, oldtype, 1, "Hindexed");
    }

    private static Datatype indexed(int[] bl, int[] disp, Datatype old, int unit, String op) throws MPIException {
        if (bl == null || disp == null || bl.length != disp.length) {
            throw new MPIException(op + ": blocklengths and displacements must be arrays of one length");
        }
        int total = 0;
        for (int b : bl) {
            checkCount(op, "blocklength", b);
            total += b;
        }
        int[] offs = new int[total];
        int k = 0;
        for (int i = 0; i < bl.length; i++) {
            for (int j = 0; j < bl[i]; j++) {
                offs[k++] = disp[i] * unit + j * old.extent();
            }
        }
        return place(old, offs);
    }

    /**
     * Blocks of {@code array_of_blocklengths[i]} items of {@code array_of_types[i]} at
     * {@code array_of_displacements[i]} base elements. All types but {@code MPI.LB}/{@code MPI.UB}
     * must have one base type (mpiJava's rule: the buffer is one array).
     */
    public static Datatype Struct(int[] array_of_blocklengths, int[] array_of_displacements, Datatype[] array_of_types)
            throws MPIException {
        int[] bl = array_of_blocklengths;
        int[] disp = array_of_displacements;
        Datatype[] types = array_of_types;
        if (bl == null || disp == null || types == null || bl.length != disp.length || bl.length != types.length) {
            throw new MPIException("Struct: blocklengths, displacements and types must be arrays of one length");
        }
        int base = -1;
        int[] d = new int[0];
        int n = 0;
        int lb = Integer.MAX_VALUE;
        int ub = Integer.MIN_VALUE;
        int xlb = Integer.MAX_VALUE;
        int xub = Integer.MIN_VALUE;
        boolean hasXlb = false;
        boolean hasXub = false;
        for (int i = 0; i < bl.length; i++) {
            Datatype t = types[i];
            checkOld("Struct", t);
            checkCount("Struct", "blocklength", bl[i]);
            if (t.base == LB_CODE || t.base == UB_CODE) {
                if (t.base == LB_CODE) {
                    hasXlb = true;
                    xlb = Math.min(xlb, disp[i]);
                } else {
                    hasXub = true;
                    xub = Math.max(xub, disp[i]);
                }
                continue;
            }
            if (base != -1 && base != t.base) {
                throw new MPIException("Struct: every type must have one base type (mpiJava), got "
                        + MPI.typeName(base) + " and " + MPI.typeName(t.base));
            }
            base = t.base;
            for (int j = 0; j < bl[i]; j++) {
                int off = disp[i] + j * t.extent();
                if (n + t.displs.length > d.length) {
                    d = Arrays.copyOf(d, Math.max(2 * d.length, n + t.displs.length));
                }
                for (int e : t.displs) {
                    d[n++] = off + e;
                }
                lb = Math.min(lb, off + t.lb);
                ub = Math.max(ub, off + t.ub);
                if (t.explicitLb) {
                    hasXlb = true;
                    xlb = Math.min(xlb, off + t.lb);
                }
                if (t.explicitUb) {
                    hasXub = true;
                    xub = Math.max(xub, off + t.ub);
                }
            }
        }
        if (n == 0) {
            lb = 0;
            ub = 0;
        }
        if (hasXlb) {
            lb = xlb;
        }
        if (hasXub) {
            ub = xub;
        }
        return new Datatype(base == -1 ? Device.BYTE : base, Arrays.copyOf(d, n), lb, ub, hasXlb, hasXub);
    }

    /** Makes the type usable in communication (every type is usable here; kept for the API). */
    public void Commit() throws MPIException {
    }

    /** Frees the type (garbage collection does it; kept for the API). */
    public void Free() throws MPIException {
    }

    /** The extent, {@code Ub() - Lb()}, in base elements. */
    public int Extent() throws MPIException {
        return extent();
    }

    int extent() {
        return ub - lb;
    }

    /** The lower bound, in base elements. */
    public int Lb() throws MPIException {
        return lb;
    }

    /** The upper bound, in base elements. */
    public int Ub() throws MPIException {
        return ub;
    }

    /** The number of base elements in one item. */
    public int Size() throws MPIException {
        return displs.length;
    }

    int size() {
        return displs.length;
    }

    /** The type code of the base; BYTE and PACKED travel alike. */
    int wireCode() {
        return base == Device.PACKED ? Device.BYTE : base;
    }

    // ---- packing -------------------------------------------------------------------------------

    Class<?> arrayClass() {
        return switch (base) {
            case Device.BYTE, Device.PACKED -> byte[].class;
            case Device.CHAR -> char[].class;
            case Device.SHORT -> short[].class;
            case Device.BOOLEAN -> boolean[].class;
            case Device.INT -> int[].class;
            case Device.LONG -> long[].class;
            case Device.FLOAT -> float[].class;
            case Device.DOUBLE -> double[].class;
            case Device.OBJECT -> Object[].class;
            default -> throw new IllegalStateException("no buffer for " + MPI.typeName(base));
        };
    }

    Object newArray(int n) {
        return Array.newInstance(arrayClass().getComponentType(), n);
    }

    void checkBuffer(String op, Object buf, int offset, int count) throws MPIException {
        if (count < 0) {
            throw new MPIException(op + ": count=" + count + " must be >= 0");
        }
        if (count == 0 || displs.length == 0) {
            return;
        }
        if (buf == null) {
            throw new MPIException(op + ": the buffer is null");
        }
        Class<?> want = arrayClass();
        if (!want.isInstance(buf)) {
            throw new MPIException(op + ": datatype " + MPI.typeName(base) + " needs a buffer of type "
                    + want.getSimpleName() + ", got " + buf.getClass().getSimpleName());
        }
        int len = Array.getLength(buf);
        long first = (long) offset + lb;
        long last = (long) offset + (long) (count - 1) * extent() + ub;
        if (offset < 0 || first < 0 || last > len) {
            throw new MPIException(op + ": offset=" + offset + " count=" + count + " reaches elements " + first
                    + ".." + (last - 1) + " of a buffer of " + len);
        }
    }

    /** Gathers {@code count} items from {@code buf} into {@code dst} from {@code dstOff}; returns elements written. */
    int gather(Object buf, int offset, int count, Object dst, int dstOff) {
        int k = dstOff;
        int ext = extent();
        if (contiguous) {
            System.arraycopy(buf, offset, dst, k, count * displs.length);
            return count * displs.length;
        }
        for (int i = 0; i < count; i++) {
            int at = offset + i * ext;
            for (int r = 0; r < runs.length; r += 2) {
                System.arraycopy(buf, at + runs[r], dst, k, runs[r + 1]);
                k += runs[r + 1];
            }
        }
        return k - dstOff;
    }

    /** Scatters {@code length} elements from {@code src} at {@code srcOff} into items of {@code buf}. */
    void scatter(Object src, int srcOff, int length, Object buf, int offset) {
        if (contiguous) {
            System.arraycopy(src, srcOff, buf, offset, length);
            return;
        }
        int ext = extent();
        int left = length;
        int k = srcOff;
        for (int i = 0; left > 0; i++) {
            int at = offset + i * ext;
            for (int r = 0; r < runs.length && left > 0; r += 2) {
                int n = Math.min(runs[r + 1], left);
                System.arraycopy(src, k, buf, at + runs[r], n);
                k += n;
                left -= n;
            }
        }
    }

    /** A fresh array of the base type holding {@code count} packed items. */
    Object packArray(Object buf, int offset, int count) {
        Object dst = newArray(count * displs.length);
        gather(buf, offset, count, dst, 0);
        return dst;
    }

    /** The payload of {@code count} items of {@code buf}: the message's own copy. */
    Payload pack(Object buf, int offset, int count) throws MPIException {
        Object arr = packArray(buf, offset, count);
        return toPayload(arr, 0, count * displs.length);
    }

    /** A payload over an array of the base type (serializing if OBJECT). */
    Payload toPayload(Object arr, int off, int len) throws MPIException {
        if (base == Device.OBJECT) {
            return new Payload(Device.OBJECT, serialize((Object[]) arr, off, len), 0, len);
        }
        return new Payload(wireCode(), arr, off, len);
    }

    /** The elements of {@code p} as an array of the base type (deserializing if OBJECT). */
    Object fromPayload(Payload p) {
        if (p.code() == Device.OBJECT) {
            return deserialize((byte[]) p.data(), p.length());
        }
        return p.data();
    }

    /** Checks {@code p} fits {@code count} items of this type, as a receive must. */
    void checkFits(String op, Payload p, int count) {
        if (p.code() != wireCode() && !(p.length() == 0)) {
            throw new PayloadException(op + ": type mismatch: the message has " + MPI.typeName(p.code())
                    + " elements, the receive expects " + MPI.typeName(base));
        }
        long room = (long) count * displs.length;
        if (p.length() > room) {
            throw new PayloadException(op + ": message truncated: " + p.length() + " elements arrived, the receive has room for "
                    + room + " (count=" + count + ")");
        }
    }

    /** Unpacks a received payload into {@code count} items of {@code buf}. */
    void unpack(String op, Payload p, Object buf, int offset, int count) {
        checkFits(op, p, count);
        if (p.length() == 0) {
            return;
        }
        Object arr = fromPayload(p);
        scatter(arr, p.code() == Device.OBJECT ? 0 : p.offset(), p.length(), buf, offset);
    }

    static byte[] serialize(Object[] arr, int off, int len) throws MPIException {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                for (int i = 0; i < len; i++) {
                    out.writeObject(arr[off + i]);
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new MPIException("OBJECT: an element cannot be serialized: " + e, e);
        }
    }

    static Object[] deserialize(byte[] data, int len) {
        Object[] out = new Object[len];
        try (ObjectInputStream in = new RankObjectInputStream(new ByteArrayInputStream(data))) {
            for (int i = 0; i < len; i++) {
                out[i] = in.readObject();
            }
        } catch (IOException | ClassNotFoundException e) {
            throw new PayloadException("OBJECT: a received element cannot be deserialized: " + e);
        }
        return out;
    }

    /** Resolves classes in this rank's loaders: the loader of {@code mpi}, then the thread's context loader. */
    private static final class RankObjectInputStream extends ObjectInputStream {

        RankObjectInputStream(ByteArrayInputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
                return Class.forName(desc.getName(), false, Datatype.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                ClassLoader tccl = Thread.currentThread().getContextClassLoader();
                if (tccl != null) {
                    try {
                        return Class.forName(desc.getName(), false, tccl);
                    } catch (ClassNotFoundException again) {
                        // fall through to the default resolution
                    }
                }
                return super.resolveClass(desc);
            }
        }
    }

    /** A receive-side failure raised where the payload is consumed, rethrown as MPIException at the wait. */
    static final class PayloadException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        PayloadException(String message) {
            super(message);
        }
    }
}
