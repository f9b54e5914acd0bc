package org.smpcluster.vfs.nio;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.vfs.client.VfsClient;

/**
 * One vnode's view of the cluster filesystem: a mount table from absolute paths to exports of
 * the root's repository. A path inside a mount is the export's path on the server; "/" and the
 * directories above mount points are read-only directories made of the mount table.
 */
public final class VfsFileSystem extends FileSystem {

    private final VfsFileSystemProvider provider;
    final VfsClient client;
    private final Map<String, String> mounts = new TreeMap<>();

    public VfsFileSystem(VfsClient client) {
        this.client = client;
        this.provider = new VfsFileSystemProvider(this);
    }

    /** Where a path leads: a repository path, or a directory of the mount table ({@code repo} null). */
    record Target(String repo, Set<String> children) {
    }

    /** Adds a mount; the caller checked the names. The export's directory is made on first use. */
    public synchronized void mountUnchecked(String export, String mountPoint) {
        mounts.put(mountPoint, export);
    }

    /** Maps a range of the file open on {@code channel} (which the mapping outlives). */
    public org.smpcluster.api.vfs.FileMapping map(java.nio.channels.FileChannel channel, Path file, long offset,
            long length, boolean writable) throws IOException {
        VfsFileChannel ch = (VfsFileChannel) channel;
        try {
            return client.map(ch.handle(), offset, length, writable, file);
        } catch (org.smpcluster.vfs.cache.Errno.Failure f) {
            throw f.errno().exception(file.toString(), null, f.getMessage());
        }
    }

    public synchronized List<Vfs.Mount> mounts() {
        return mounts.entrySet().stream().map(e -> new Vfs.Mount(e.getValue(), e.getKey())).toList();
    }

    /** The target of an absolute, normalized path, or null when nothing is there. */
    synchronized Target target(VfsPath path) {
        VfsPath p = (VfsPath) path.toAbsolutePath().normalize();
        String text = p.toString();
        String best = null;
        for (String m : mounts.keySet()) {
            if ((text.equals(m) || text.startsWith(m + "/")) && (best == null || m.length() > best.length())) {
                best = m;
            }
        }
        if (best != null) {
            return new Target(mounts.get(best) + text.substring(best.length()), null);
        }
        Set<String> children = new TreeSet<>();
        String prefix = text.equals("/") ? "/" : text + "/";
        for (String m : mounts.keySet()) {
            if (m.startsWith(prefix)) {
                children.add(m.substring(prefix.length()).split("/")[0]);
            }
        }
        return children.isEmpty() && !text.equals("/") ? null : new Target(null, children);
    }

    @Override
    public VfsFileSystemProvider provider() {
        return provider;
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("a vnode's cluster filesystem closes with its vfs bundle");
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String getSeparator() {
        return "/";
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        return List.of(getPath("/"));
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        return List.of(new VfsFileStore(client));
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return Set.of("basic", "posix");
    }

    @Override
    public Path getPath(String first, String... more) {
        StringBuilder s = new StringBuilder(first);
        for (String m : more) {
            if (!m.isEmpty()) {
                s.append('/').append(m);
            }
        }
        return VfsPath.parse(this, s.toString());
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        // the default (Unix) filesystem's glob and regex syntax, on the path's text
        PathMatcher unix = FileSystems.getDefault().getPathMatcher(syntaxAndPattern);
        return p -> unix.matches(Path.of(p.toString()));
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        throw new UnsupportedOperationException("the cluster filesystem has no user principals");
    }

    @Override
    public WatchService newWatchService() throws IOException {
        throw new UnsupportedOperationException("the cluster filesystem has no watch service");
    }
}
