package org.smpcluster.vfs.nio;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

import org.smpcluster.vfs.cache.CacheLayout;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.client.VfsClient;

/** An open file of the cluster filesystem: reads and writes go to the shared page cache. */
final class VfsFileChannel extends FileChannel {

    /** The largest piece one cache request carries. */
    private static final int PIECE = 255 * CacheLayout.PAGE;

    private final VfsClient client;
    private final VfsClient.Handle handle;
    private final String name;
    private final boolean read;
    private final boolean write;
    private final boolean append;
    private final boolean sync;
    private final Runnable onClose;
    private long position;

    VfsFileChannel(VfsClient client, VfsClient.Handle handle, String name, boolean read, boolean write, boolean append,
            boolean sync, Runnable onClose) {
        this.client = client;
        this.handle = handle;
        this.name = name;
        this.read = read;
        this.write = write;
        this.append = append;
        this.sync = sync;
        this.onClose = onClose;
    }

    VfsClient.Handle handle() {
        return handle;
    }

    private IOException io(Failure f) {
        return f.errno().exception(name, null, f.getMessage());
    }

    private void open() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        int n = read(dst, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public int read(ByteBuffer dst, long at) throws IOException {
        open();
        if (!read) {
            throw new NonReadableChannelException();
        }
        if (at < 0) {
            throw new IllegalArgumentException("position=" + at);
        }
        int total = 0;
        try {
            while (dst.hasRemaining()) {
                int want = Math.min(dst.remaining(), PIECE);
                int n = client.read(handle, at + total, MemorySegment.ofBuffer(dst), 0, want);
                if (n < 0) {
                    return total == 0 ? -1 : total;
                }
                dst.position(dst.position() + n);
                total += n;
            }
            return total;
        } catch (Failure f) {
            throw io(f);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
            if (dsts[i].hasRemaining()) {
                break;
            }
        }
        return total;
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        position = writeAt(src, position, append);
        return n;
    }

    @Override
    public int write(ByteBuffer src, long at) throws IOException {
        if (at < 0) {
            throw new IllegalArgumentException("position=" + at);
        }
        int n = src.remaining();
        writeAt(src, at, false);
        return n;
    }

    /** Writes all of {@code src} at {@code at} (or each piece at the end, appending); returns the position after it. */
    private long writeAt(ByteBuffer src, long at, boolean atEnd) throws IOException {
        open();
        if (!write) {
            throw new NonWritableChannelException();
        }
        try {
            while (src.hasRemaining()) {
                int n = Math.min(src.remaining(), PIECE);
                at = client.write(handle, at, MemorySegment.ofBuffer(src), 0, n, atEnd) + n;
                src.position(src.position() + n);
            }
            if (sync) {
                client.fsync(handle);
            }
        } catch (Failure f) {
            throw io(f);
        }
        return at;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += write(srcs[i]);
        }
        return total;
    }

    @Override
    public synchronized long position() throws IOException {
        open();
        return append ? size() : position;
    }

    @Override
    public synchronized FileChannel position(long newPosition) throws IOException {
        open();
        if (newPosition < 0) {
            throw new IllegalArgumentException("position=" + newPosition);
        }
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        open();
        try {
            return handle.size();
        } catch (Failure f) {
            throw io(f);
        }
    }

    @Override
    public synchronized FileChannel truncate(long size) throws IOException {
        open();
        if (size < 0) {
            throw new IllegalArgumentException("size=" + size);
        }
        if (!write) {
            throw new NonWritableChannelException();
        }
        try {
            if (size < handle.size()) {
                client.truncate(handle, size);
            }
        } catch (Failure f) {
            throw io(f);
        }
        if (position > size) {
            position = size;
        }
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        open();
        try {
            client.fsync(handle);
        } catch (Failure f) {
            throw io(f);
        }
    }

    @Override
    public long transferTo(long at, long count, WritableByteChannel target) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
        long done = 0;
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = read(buf, at + done);
            if (n <= 0) {
                break;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                target.write(buf);
            }
            done += n;
        }
        return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long at, long count) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
        long done = 0;
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = src.read(buf);
            if (n <= 0) {
                break;
            }
            buf.flip();
            done += write(buf, at + done);
        }
        return done;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long at, long size) {
        throw new UnsupportedOperationException("map the cluster filesystem's pages with Vfs.map (MappedByteBuffer "
                + "is the JDK's own file mapping)");
    }

    @Override
    public FileLock lock(long at, long size, boolean shared) {
        throw new UnsupportedOperationException("the cluster filesystem has no byte-range locks");
    }

    @Override
    public FileLock tryLock(long at, long size, boolean shared) {
        throw new UnsupportedOperationException("the cluster filesystem has no byte-range locks");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        try {
            handle.close();
        } catch (Failure f) {
            throw io(f);
        } finally {
            onClose.run();
        }
    }
}
