package org.smpcluster.api.vfs;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * This vnode's view of the cluster filesystem. Every vnode mounts the root's repository; the
 * export {@code tmp} is mounted at {@code /tmp} on every vnode (the cluster-wide /tmp). File data
 * lives in one page cache in shared memory: a vnode reads and writes the cached pages itself,
 * under a read or write token the root grants per page, so no vnode ever sees a stale page.
 * Errors are {@code java.nio.file} exceptions ({@code NoSuchFileException}, ...) or a
 * {@code FileSystemException} whose reason starts with the POSIX error name
 * ({@code "ENAMETOOLONG: ..."}).
 */
@ProviderType
public interface Vfs {

    /** The URI scheme of the cluster filesystem's paths: {@code vfs:/tmp/x}. */
    String SCHEME = "vfs";

    /** The export mounted at {@link #TMP} on every vnode. */
    String TMP_EXPORT = "tmp";

    /** Where the cluster-wide /tmp is mounted. */
    String TMP = "/tmp";

    /** The filesystem of this vnode's mounts, for {@code Files} and friends. */
    FileSystem fileSystem();

    /** A path in {@link #fileSystem()}; absolute paths start at this vnode's mount table. */
    Path path(String first, String... more);

    /**
     * The path of a {@code vfs:} URI, e.g. {@code vfs:/tmp/x}.
     *
     * @throws IllegalArgumentException when the scheme is not {@value #SCHEME}
     */
    Path path(URI uri);

    /** This vnode's mount table. */
    List<Mount> mounts();

    /**
     * Mounts {@code export} (a top-level directory of the repository, created if missing) at
     * {@code mountPoint} on this vnode.
     *
     * @throws java.nio.file.FileAlreadyExistsException when something is mounted there
     * @throws java.nio.file.FileSystemException for a bad export name or mount point
     */
    Mount mount(String export, String mountPoint) throws IOException;

    /**
     * Maps {@code length} bytes of {@code file} from {@code offset} (a multiple of
     * {@link PageCacheStats#pageSize()}): the mapping holds read (or write) tokens on those
     * pages of the page cache and gives the program the pages themselves. When another vnode
     * takes a token away, the mapping becomes invalid ({@link FileMapping#isValid()}) and access
     * through its segments fails; map again to see the new contents. Writing through a mapping
     * extends nothing: map within the file's size.
     */
    FileMapping map(Path file, long offset, long length, boolean writable) throws IOException;

    /** The page cache as the root sees it now, with this vnode's own counters. */
    PageCacheStats pageCache() throws IOException;

    /** One mount: a repository export and where this vnode sees it. */
    record Mount(String export, String mountPoint) {
    }
}
