package org.smpcluster.vfs.client;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import org.smpcluster.api.vfs.FileMapping;
import org.smpcluster.vfs.cache.CacheLayout;
import org.smpcluster.vfs.cache.Errno.Failure;

/**
 * A mapped range: the cached pages themselves, as segments of a shared arena that this vnode
 * closes the moment the server takes one of the pages' tokens away (in the drain, before it is
 * acknowledged), so an access after a revocation fails instead of reading a stale page.
 */
final class MappingImpl implements FileMapping {

    private final VfsClient client;
    private final Path file;
    private final long id;
    private final int slot;
    private final long offset;
    private final long length;
    private final boolean writable;
    private final long firstPage;
    private final int[] frames;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] pages;
    private volatile boolean valid = true;
    private volatile String why = "closed";

    MappingImpl(VfsClient client, Path file, long id, int slot, long offset, long length, boolean writable, long firstPage,
            int[] frames) {
        this.client = client;
        this.file = file;
        this.id = id;
        this.slot = slot;
        this.offset = offset;
        this.length = length;
        this.writable = writable;
        this.firstPage = firstPage;
        this.frames = frames;
        this.pages = new MemorySegment[frames.length];
        for (int i = 0; i < frames.length; i++) {
            MemorySegment page = client.pageOf(frames[i]);
            // the same memory, owned by this mapping's arena: closing the arena invalidates every page at once
            MemorySegment s = MemorySegment.ofAddress(page.address()).reinterpret(CacheLayout.PAGE, arena, null);
            pages[i] = writable ? s : s.asReadOnly();
        }
    }

    boolean tokensHeld() {
        CacheLayout cache = client.cache();
        for (int i = 0; i < frames.length; i++) {
            boolean ok = writable ? cache.mayWrite(frames[i], client.vnode(), id, firstPage + i)
                    : cache.mayRead(frames[i], client.vnode(), id, firstPage + i);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Called in every drain: a mapping whose tokens are gone is closed before the drain is acknowledged. */
    void checkTokens() {
        if (valid && !tokensHeld()) {
            why = "another vnode took the pages' tokens (a write or a truncate elsewhere): map again";
            client.invalidated.incrementAndGet();
            invalidate();
        }
    }

    void invalidate() {
        valid = false;
        client.mappings.remove(this);
        while (arena.scope().isAlive()) {
            try {
                arena.close();
            } catch (IllegalStateException e) {
                Thread.onSpinWait(); // a thread is inside an access right now; the next try closes it
            }
        }
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    @Override
    public int pages() {
        return pages.length;
    }

    @Override
    public MemorySegment page(int index) {
        if (!valid) {
            throw new IllegalStateException("the mapping of " + file + " is no longer valid: " + why);
        }
        return pages[index];
    }

    @Override
    public boolean isValid() {
        return valid;
    }

    @Override
    public void get(long position, byte[] into, int at, int count) {
        copy(position, into, at, count, false);
    }

    @Override
    public void put(long position, byte[] from, int at, int count) {
        if (!writable) {
            throw new UnsupportedOperationException("the mapping of " + file + " is read-only");
        }
        copy(position, from, at, count, true);
        client.cache().touch(slot, System.currentTimeMillis());
    }

    /** Copies between {@code array} and the mapped pages, a page's piece at a time. */
    private void copy(long position, byte[] array, int at, int count, boolean toPages) {
        check(position, count);
        for (int done = 0; done < count; ) {
            long p = position + done;
            MemorySegment page = page((int) (p >>> CacheLayout.PAGE_SHIFT));
            int within = (int) (p & (CacheLayout.PAGE - 1));
            int chunk = Math.min(count - done, CacheLayout.PAGE - within);
            if (toPages) {
                MemorySegment.copy(array, at + done, page, VfsClient.BYTE, within, chunk);
            } else {
                MemorySegment.copy(page, VfsClient.BYTE, within, array, at + done, chunk);
            }
            done += chunk;
        }
    }

    private void check(long position, int count) {
        if (position < 0 || count < 0 || position + count > length) {
            throw new IndexOutOfBoundsException("position=" + position + " count=" + count + " length=" + length);
        }
    }

    @Override
    public void sync() throws java.io.IOException {
        try {
            client.syncPages(id, firstPage, frames.length);
        } catch (Failure f) {
            throw f.errno().exception(file.toString(), null, f.getMessage());
        }
    }

    @Override
    public void close() {
        why = "closed";
        invalidate();
    }
}
