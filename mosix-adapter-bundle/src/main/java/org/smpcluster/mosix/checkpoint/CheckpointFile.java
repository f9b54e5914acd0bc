package org.smpcluster.mosix.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.CRC32;

import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.mosix.proc.Frozen;
import org.smpcluster.mosix.proc.Resume;

/**
 * The checkpoint file: a {@link Frozen} process (what migration ships) on disk, versioned and
 * checksummed, so that a file that is not whole is never taken for a checkpoint.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  magic "MOSXCKPT" (8 bytes)                   |
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                   version (4 bytes, big-endian) = 1           |
 * +---------------------------------------------------------------+
 * |                CRC32 of the content (4 bytes)                 |
 * +---------------------------------------------------------------+
 * |                content length (8 bytes)                       |
 * |                                                               |
 * +---------------------------------------------------------------+
 * |   content (DataOutput): pid, home, written at (ms), the spec  |
 * |   (class path and files as URIs, main, args, cwd, env, name,  |
 * |   parent, locked, checkpoint file and interval), the totals   |
 * |   (cpu ns, allocated bytes, started at ms), the state's length|
 * |   and the state (the program's Migratable bytes)              |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Written to a temp file beside the target ({@code .NAME.JVMPID-THREAD.tmp}), forced to the device, then
 * moved over it atomically: a reader sees the old checkpoint or the new one, never half of one.
 * Paths are written as URIs ({@code file:///...}, {@code vfs:/tmp/...}) and read back through a
 * resolver, so a {@code vfs:} class path restarts on any vnode that mounts the cluster filesystem.
 */
public final class CheckpointFile {

    static final byte[] MAGIC = "MOSXCKPT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    static final int HEADER = MAGIC.length + 4 + 4 + 8;
    /** A bound that keeps a corrupt length from allocating the heap away. */
    static final long MAX_CONTENT = Integer.MAX_VALUE - HEADER;

    /** A checkpoint read back: the frozen process and when it was written. */
    public record Checkpoint(Frozen frozen, long writtenMillis) {
    }

    private CheckpointFile() {
    }

    /** Host paths ({@code file:} URIs) only: a vnode without the cluster filesystem. */
    public static Path hostPath(URI uri) {
        if (!"file".equals(uri.getScheme())) {
            throw new IllegalArgumentException("path=" + uri + " is not a host path and this vnode has no"
                    + " filesystem for scheme=" + uri.getScheme() + " (allowed: file:, vfs: with the vfs bundle)");
        }
        return Path.of(uri);
    }

    /**
     * Writes {@code f} to {@code file}, replacing what was there only once the new content is on
     * the device.
     *
     * @throws UncheckedIOException naming the file, when it cannot be written (the old one stays)
     */
    public static void write(Path file, Frozen f, long writtenMillis) {
        // The content is the meta then the state, written as they are: the state (which may be
        // most of it, 64 MiB say) is neither copied nor buffered on its way to the file.
        byte[] meta = meta(f, writtenMillis);
        byte[] state = f.resume().state();
        CRC32 crc = new CRC32();
        crc.update(meta);
        crc.update(state);
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(MAGIC).putInt(VERSION).putInt((int) crc.getValue())
                .putLong((long) meta.length + state.length).flip();
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        // One writer per JVM and thread: two vnodes (or a periodic and an asked-for checkpoint) writing
        // the same file never share a temp file; the last move wins, whole.
        Path tmp = dir.resolve("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().threadId() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                while (header.hasRemaining()) {
                    ch.write(header);
                }
                for (ByteBuffer body : new ByteBuffer[] {ByteBuffer.wrap(meta), ByteBuffer.wrap(state)}) {
                    while (body.hasRemaining()) {
                        ch.write(body);
                    }
                }
                ch.force(true); // on the device before it can become the checkpoint
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // A filesystem without rename(2)'s promise: a plain replace still never shows a
                // half-written file under the name (the content was complete before the move).
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw new UncheckedIOException("file=" + file + ": cannot write the checkpoint of pid " + f.pid() + ": " + e,
                    e);
        }
    }

    /**
     * Reads a checkpoint.
     *
     * @param paths turns the URIs of the class path and files back into paths ({@link #hostPath},
     *              or the vfs's)
     * @throws IllegalArgumentException naming the file and what is wrong: missing, truncated,
     *                                  not a checkpoint (wrong magic), a version this code does
     *                                  not read, a CRC mismatch, content that does not decode
     */
    public static Checkpoint read(Path file, Function<URI, Path> paths) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file=" + file + ": no such checkpoint file", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("file=" + file + ": cannot read it: " + e, e);
        }
        if (all.length < MAGIC.length) {
            throw new IllegalArgumentException("file=" + file + ": truncated (" + all.length + " bytes, a checkpoint's"
                    + " header is " + HEADER + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException("file=" + file + ": not a checkpoint (wrong magic, expected \"MOSXCKPT\")");
        }
        if (all.length < HEADER) {
            throw new IllegalArgumentException("file=" + file + ": truncated (" + all.length + " bytes, a checkpoint's"
                    + " header is " + HEADER + ")");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException("file=" + file + ": checkpoint version=" + version + " (this vnode reads"
                    + " version " + VERSION + ")");
        }
        int crc = b.getInt();
        long length = b.getLong();
        if (length < 0 || length > MAX_CONTENT) {
            throw new IllegalArgumentException("file=" + file + ": content length=" + length + " is not a checkpoint's");
        }
        if (b.remaining() < length) {
            throw new IllegalArgumentException("file=" + file + ": truncated (content length=" + length + ", "
                    + b.remaining() + " bytes there)");
        }
        if (b.remaining() > length) {
            throw new IllegalArgumentException("file=" + file + ": " + (b.remaining() - length) + " bytes after the"
                    + " content (length=" + length + "): not one checkpoint");
        }
        CRC32 c = new CRC32();
        c.update(all, HEADER, (int) length);
        if ((int) c.getValue() != crc) {
            throw new IllegalArgumentException("file=" + file + ": CRC mismatch (header crc=" + Integer.toHexString(crc)
                    + ", content crc=" + Long.toHexString(c.getValue()) + "): the file is damaged");
        }
        try {
            return decode(new DataInputStream(new ByteArrayInputStream(all, HEADER, (int) length)), paths);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("file=" + file + ": its content does not decode: " + e, e);
        }
    }

    /** The content up to the state's bytes (their length is its last field). */
    private static byte[] meta(Frozen f, long writtenMillis) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (DataOutputStream o = new DataOutputStream(bytes)) {
            o.writeLong(f.pid());
            o.writeInt(f.home());
            o.writeLong(writtenMillis);
            ProcessSpec s = f.spec();
            o.writeInt(s.classPath().size());
            for (Path p : s.classPath()) {
                o.writeUTF(uri(p));
            }
            nullable(o, s.mainClass());
            o.writeInt(s.args().size());
            for (String a : s.args()) {
                o.writeUTF(a);
            }
            nullable(o, s.workingDirectory() == null ? null : uri(s.workingDirectory()));
            o.writeInt(s.environment() == null ? -1 : s.environment().size());
            if (s.environment() != null) {
                for (Map.Entry<String, String> e : s.environment().entrySet()) {
                    o.writeUTF(e.getKey());
                    o.writeUTF(e.getValue());
                }
            }
            nullable(o, s.name());
            o.writeLong(s.parent());
            o.writeBoolean(s.locked());
            nullable(o, s.checkpointFile() == null ? null : uri(s.checkpointFile()));
            o.writeLong(s.checkpointInterval() == null ? -1 : s.checkpointInterval().toMillis());
            o.writeLong(f.resume().cpuNanos());
            o.writeLong(f.resume().allocatedBytes());
            o.writeLong(f.resume().startedMillis());
            o.writeInt(f.resume().state().length);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private static Checkpoint decode(DataInputStream in, Function<URI, Path> paths) throws IOException {
        long pid = in.readLong();
        int home = in.readInt();
        long written = in.readLong();
        List<Path> cp = new ArrayList<>();
        for (int n = count(in); n > 0; n--) {
            cp.add(paths.apply(URI.create(in.readUTF())));
        }
        String main = nullable(in);
        List<String> args = new ArrayList<>();
        for (int n = count(in); n > 0; n--) {
            args.add(in.readUTF());
        }
        String cwd = nullable(in);
        int envs = in.readInt();
        Map<String, String> env = envs < 0 ? null : new HashMap<>();
        for (int n = envs; n > 0; n--) {
            env.put(in.readUTF(), in.readUTF());
        }
        String name = nullable(in);
        long parent = in.readLong();
        boolean locked = in.readBoolean();
        String file = nullable(in);
        long every = in.readLong();
        long cpu = in.readLong();
        long alloc = in.readLong();
        long started = in.readLong();
        byte[] state = new byte[count(in)];
        in.readFully(state);
        if (in.read() >= 0) {
            throw new IOException("bytes after the state");
        }
        ProcessSpec spec = new ProcessSpec(cp, main, args, cwd == null ? null : paths.apply(URI.create(cwd)), env,
                null, null, null, name, parent, locked, file == null ? null : paths.apply(URI.create(file)),
                every < 0 ? null : Duration.ofMillis(every));
        return new Checkpoint(new Frozen(pid, home, spec, new Resume(state, cpu, alloc, started)), written);
    }

    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new EOFException("a count of " + n + " with " + in.available() + " bytes left");
        }
        return n;
    }

    private static String uri(Path p) {
        return p.toAbsolutePath().toUri().toString();
    }

    private static void nullable(DataOutputStream o, String s) throws IOException {
        o.writeBoolean(s != null);
        if (s != null) {
            o.writeUTF(s);
        }
    }

    private static String nullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
