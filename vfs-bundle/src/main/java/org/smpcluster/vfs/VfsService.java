package org.smpcluster.vfs;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;

import org.smpcluster.api.vfs.FileMapping;
import org.smpcluster.api.vfs.PageCacheStats;
import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.client.VfsClient;
import org.smpcluster.vfs.nio.VfsFileSystem;

/** The {@link Vfs} service of one vnode: its client, its mount table and its {@code java.nio.file} view. */
public final class VfsService implements Vfs {

    private final VfsClient client;
    private final VfsFileSystem fs;

    public VfsService(VfsClient client) {
        this.client = client;
        this.fs = new VfsFileSystem(client);
        fs.mountUnchecked(TMP_EXPORT, TMP);
    }

    public VfsClient client() {
        return client;
    }

    @Override
    public FileSystem fileSystem() {
        return fs;
    }

    @Override
    public Path path(String first, String... more) {
        return fs.getPath(first, more);
    }

    @Override
    public Path path(URI uri) {
        return fs.provider().getPath(uri);
    }

    @Override
    public List<Mount> mounts() {
        return fs.mounts();
    }

    @Override
    public Mount mount(String export, String mountPoint) throws IOException {
        if (export.isEmpty() || export.contains("/") || export.equals(".") || export.equals("..")
                || export.length() > 255) {
            throw new FileSystemException(export, null, "EINVAL: an export is one plain name of the repository's top level");
        }
        Path p = fs.getPath(mountPoint).normalize();
        if (!p.isAbsolute() || p.getNameCount() == 0) {
            throw new FileSystemException(mountPoint, null, "EINVAL: a mount point is an absolute path other than /");
        }
        for (Mount m : fs.mounts()) {
            if (m.mountPoint().equals(p.toString())) {
                throw new FileAlreadyExistsException(p.toString(), null, export + " cannot be mounted: " + m.export() + " is mounted there");
            }
            if (p.toString().startsWith(m.mountPoint() + "/")) {
                throw new FileSystemException(p.toString(), null, "EBUSY: inside the mount " + m.mountPoint()
                        + "; mount points are not nested");
            }
        }
        // the server makes the export if it is missing and refuses one that is not a directory of
        // the repository's own (a symbolic link to elsewhere, another user's): refused here, not at first use
        VfsClient.Stat st;
        try {
            st = client.stat(export);
        } catch (Failure f) {
            throw f.errno().exception(export, null, f.getMessage());
        }
        if (st.type() != org.smpcluster.vfs.cache.Op.T_DIR) {
            throw new java.nio.file.NotDirectoryException(export);
        }
        fs.mountUnchecked(export, p.toString());
        return new Mount(export, p.toString());
    }

    @Override
    public FileMapping map(Path file, long offset, long length, boolean writable) throws IOException {
        Set<StandardOpenOption> options = writable ? Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE)
                : Set.of(StandardOpenOption.READ);
        try (var ch = fs.provider().newFileChannel(file, options)) {
            return fs.map(ch, file, offset, length, writable);
        }
    }

    @Override
    public PageCacheStats pageCache() throws IOException {
        try {
            VfsClient.CacheStats s = client.cacheStats();
            return new PageCacheStats(s.pageSize(), s.frames(), s.free(), s.dirty(), s.readTokens(), s.writeTokens(),
                    s.hits(), s.misses(), s.evictions(), s.revocations(), s.writebacks());
        } catch (Failure f) {
            throw f.errno().exception("vfs", null, f.getMessage());
        }
    }
}
