package org.smpcluster.api.vfs;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A range of a file mapped from the shared page cache: {@link #page(int)} is the cached page
 * itself, shared with every vnode that maps or reads it. Valid while this vnode holds its tokens;
 * a revocation (another vnode writing, or a truncate) invalidates every segment of the mapping,
 * so a stale page is never read silently.
 */
@ProviderType
public interface FileMapping extends AutoCloseable {

    Path file();

    long offset();

    long length();

    boolean writable();

    /** How many pages the mapping spans. */
    int pages();

    /**
     * Page {@code index} of the mapping (page 0 is the one at {@link #offset()}): a segment of
     * the page size, read-only unless {@link #writable()}.
     *
     * @throws IllegalStateException when the mapping is no longer valid
     */
    MemorySegment page(int index);

    /** Whether the tokens are still held; false after a revocation or {@link #close()}. */
    boolean isValid();

    /** Copies {@code length} bytes at {@code position} (relative to {@link #offset()}). */
    void get(long position, byte[] into, int offset, int length);

    /** Writes {@code length} bytes at {@code position} (relative to {@link #offset()}). */
    void put(long position, byte[] from, int offset, int length);

    /** Writes the mapping's dirty pages to the storage device (like {@code msync}). */
    void sync() throws IOException;

    /** Gives the tokens back. Idempotent. */
    @Override
    void close();
}
