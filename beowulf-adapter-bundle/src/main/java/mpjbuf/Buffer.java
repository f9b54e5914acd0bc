package mpjbuf;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;

/**
 * A buffer of packed data: typed arrays written one after another in big-endian order, read back in
 * the same order. Objects are written serialized, each with its length in front.
 */
public class Buffer {

    private static final int BYTE = 1, CHAR = 2, SHORT = 3, BOOLEAN = 4, INT = 5, LONG = 6, FLOAT = 7, DOUBLE = 8,
            PACKED = 9, OBJECT = 12;

    private ByteBuffer data;
    private int readPosition;

    /** A buffer that grows from {@code capacity} bytes. */
    public Buffer(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("Buffer: capacity=" + capacity + " must be >= 0");
        }
        data = ByteBuffer.allocate(capacity);
    }

    /** The bytes written so far. */
    public int getSize() {
        return data.position();
    }

    public int getCapacity() {
        return data.capacity();
    }

    /** Ends writing; reads start from the beginning. */
    public void commit() {
        readPosition = 0;
    }

    /** Forgets the contents. */
    public void clear() {
        data.clear();
        readPosition = 0;
    }

    public void free() {
        clear();
    }

    /** A copy of the bytes written. */
    public byte[] toByteArray() {
        byte[] out = new byte[data.position()];
        System.arraycopy(data.array(), 0, out, 0, out.length);
        return out;
    }

    private void room(int bytes) {
        if (data.remaining() < bytes) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(data.capacity() * 2, data.position() + bytes));
            data.flip();
            bigger.put(data);
            data = bigger;
        }
    }

    /** Writes {@code n} elements of an array of type {@code code} (the {@code mpi} type codes). */
    public void put(int code, Object src, int off, int n) {
        if (code == OBJECT) {
            for (int i = 0; i < n; i++) {
                byte[] one = serialize(((Object[]) src)[off + i]);
                room(4 + one.length);
                data.putInt(one.length).put(one);
            }
            return;
        }
        room(n * width(code));
        encode(data, code, src, off, n);
    }

    /** Reads {@code n} elements into an array of type {@code code}. */
    public void get(int code, Object dst, int off, int n) {
        ByteBuffer r = ByteBuffer.wrap(data.array(), readPosition, data.position() - readPosition);
        if (code == OBJECT) {
            for (int i = 0; i < n; i++) {
                byte[] one = new byte[r.getInt()];
                r.get(one);
                ((Object[]) dst)[off + i] = deserialize(one);
            }
        } else {
            decode(r, code, dst, off, n);
        }
        readPosition = r.position();
    }

    public void write(byte[] src, int off, int n) throws BufferException {
        put(BYTE, src, off, n);
    }

    public void write(char[] src, int off, int n) throws BufferException {
        put(CHAR, src, off, n);
    }

    public void write(short[] src, int off, int n) throws BufferException {
        put(SHORT, src, off, n);
    }

    public void write(boolean[] src, int off, int n) throws BufferException {
        put(BOOLEAN, src, off, n);
    }

    public void write(int[] src, int off, int n) throws BufferException {
        put(INT, src, off, n);
    }

    public void write(long[] src, int off, int n) throws BufferException {
        put(LONG, src, off, n);
    }

    public void write(float[] src, int off, int n) throws BufferException {
        put(FLOAT, src, off, n);
    }

    public void write(double[] src, int off, int n) throws BufferException {
        put(DOUBLE, src, off, n);
    }

    public void write(Object[] src, int off, int n) throws BufferException {
        put(OBJECT, src, off, n);
    }

    private void read(int code, Object dst, int off, int n) throws BufferException {
        try {
            get(code, dst, off, n);
        } catch (RuntimeException e) {
            throw new BufferException("read: " + n + " elements are not left in the buffer (" + e + ")");
        }
    }

    public void read(byte[] dst, int off, int n) throws BufferException {
        read(BYTE, dst, off, n);
    }

    public void read(char[] dst, int off, int n) throws BufferException {
        read(CHAR, dst, off, n);
    }

    public void read(short[] dst, int off, int n) throws BufferException {
        read(SHORT, dst, off, n);
    }

    public void read(boolean[] dst, int off, int n) throws BufferException {
        read(BOOLEAN, dst, off, n);
    }

    public void read(int[] dst, int off, int n) throws BufferException {
        read(INT, dst, off, n);
    }

    public void read(long[] dst, int off, int n) throws BufferException {
        read(LONG, dst, off, n);
    }

    public void read(float[] dst, int off, int n) throws BufferException {
        read(FLOAT, dst, off, n);
    }

    public void read(double[] dst, int off, int n) throws BufferException {
        read(DOUBLE, dst, off, n);
    }

    public void read(Object[] dst, int off, int n) throws BufferException {
        read(OBJECT, dst, off, n);
    }

    private static int width(int code) {
        return switch (code) {
            case BYTE, BOOLEAN, PACKED -> 1;
            case CHAR, SHORT -> 2;
            case INT, FLOAT -> 4;
            case LONG, DOUBLE -> 8;
            default -> throw new IllegalArgumentException("no packed form for type code " + code);
        };
    }

    /** Writes {@code n} elements of {@code src} to {@code out} (overflow throws {@link BufferOverflowException}). */
    public static void encode(ByteBuffer out, int code, Object src, int off, int n) {
        switch (code) {
            case BYTE, PACKED -> out.put((byte[]) src, off, n);
            case CHAR -> out.asCharBuffer().put((char[]) src, off, n);
            case SHORT -> out.asShortBuffer().put((short[]) src, off, n);
            case INT -> out.asIntBuffer().put((int[]) src, off, n);
            case LONG -> out.asLongBuffer().put((long[]) src, off, n);
            case FLOAT -> out.asFloatBuffer().put((float[]) src, off, n);
            case DOUBLE -> out.asDoubleBuffer().put((double[]) src, off, n);
            case BOOLEAN -> {
                boolean[] b = (boolean[]) src;
                for (int i = 0; i < n; i++) {
                    out.put(b[off + i] ? (byte) 1 : (byte) 0);
                }
            }
            case OBJECT -> {
                for (int i = 0; i < n; i++) {
                    byte[] one = serialize(((Object[]) src)[off + i]);
                    out.putInt(one.length).put(one);
                }
            }
            default -> throw new IllegalArgumentException("no packed form for type code " + code);
        }
        if (code != BYTE && code != PACKED && code != BOOLEAN && code != OBJECT) {
            out.position(out.position() + n * width(code));
        }
    }

    /** Reads {@code n} elements from {@code in} into {@code dst}. */
    public static void decode(ByteBuffer in, int code, Object dst, int off, int n) {
        switch (code) {
            case BYTE, PACKED -> in.get((byte[]) dst, off, n);
            case CHAR -> in.asCharBuffer().get((char[]) dst, off, n);
            case SHORT -> in.asShortBuffer().get((short[]) dst, off, n);
            case INT -> in.asIntBuffer().get((int[]) dst, off, n);
            case LONG -> in.asLongBuffer().get((long[]) dst, off, n);
            case FLOAT -> in.asFloatBuffer().get((float[]) dst, off, n);
            case DOUBLE -> in.asDoubleBuffer().get((double[]) dst, off, n);
            case BOOLEAN -> {
                boolean[] b = (boolean[]) dst;
                for (int i = 0; i < n; i++) {
                    b[off + i] = in.get() != 0;
                }
            }
            case OBJECT -> {
                for (int i = 0; i < n; i++) {
                    byte[] one = new byte[in.getInt()];
                    in.get(one);
                    ((Object[]) dst)[off + i] = deserialize(one);
                }
            }
            default -> throw new IllegalArgumentException("no packed form for type code " + code);
        }
        if (code != BYTE && code != PACKED && code != BOOLEAN && code != OBJECT) {
            in.position(in.position() + n * width(code));
        }
    }

    private static byte[] serialize(Object o) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(o);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalArgumentException("an object cannot be serialized: " + e, e);
        }
    }

    private static Object deserialize(byte[] b) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b)) {
            @Override
            protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                try {
                    return Class.forName(desc.getName(), false, Buffer.class.getClassLoader());
                } catch (ClassNotFoundException e) {
                    return super.resolveClass(desc);
                }
            }
        }) {
            return in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalArgumentException("an object cannot be deserialized: " + e, e);
        }
    }
}
