package org.smpcluster.vfs.nio;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.cache.Op;
import org.smpcluster.vfs.client.VfsClient;

/**
 * The {@code vfs:} provider of one vnode. Not installed in the JDK's provider list (that is the
 * system class loader's, and bundles come and go): get paths from {@link Vfs#path} or
 * {@link Vfs#fileSystem()}, then use {@code Files} as usual.
 */
public final class VfsFileSystemProvider extends FileSystemProvider {

    private final VfsFileSystem fs;

    VfsFileSystemProvider(VfsFileSystem fs) {
        this.fs = fs;
    }

    @Override
    public String getScheme() {
        return Vfs.SCHEME;
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
        throw new FileSystemAlreadyExistsException("every vnode has one cluster filesystem; use Vfs.fileSystem()");
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        return fs;
    }

    @Override
    public Path getPath(URI uri) {
        if (!Vfs.SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not a " + Vfs.SCHEME + ": URI: " + uri);
        }
        return fs.getPath(uri.getPath());
    }

    private static IOException io(Failure f, Path p, Path other) {
        return f.errno().exception(p.toString(), other == null ? null : other.toString(), f.getMessage());
    }

    /** The repository path of {@code p}, which must be inside a mount. */
    private String repo(Path p) throws IOException {
        VfsFileSystem.Target t = fs.target(VfsPath.check(p));
        if (t == null) {
            throw new NoSuchFileException(p.toString());
        }
        if (t.repo() == null) {
            throw new FileSystemException(p.toString(), null, "EROFS: Read-only file system (the directories of the mount table)");
        }
        return t.repo();
    }

    boolean exists(VfsPath p) throws IOException {
        try {
            readAttributes(p, BasicFileAttributes.class);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return newFileChannel(path, options, attrs);
    }

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        boolean append = options.contains(StandardOpenOption.APPEND);
        boolean write = options.contains(StandardOpenOption.WRITE) || append;
        boolean read = options.contains(StandardOpenOption.READ) || !write;
        if (append && read && options.contains(StandardOpenOption.READ)) {
            throw new IllegalArgumentException("READ + APPEND not allowed");
        }
        if (append && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
        }
        int flags = write ? Op.O_WRITE : 0;
        if (write && options.contains(StandardOpenOption.CREATE_NEW)) {
            flags |= Op.O_CREATE | Op.O_EXCL;
        } else if (write && options.contains(StandardOpenOption.CREATE)) {
            flags |= Op.O_CREATE;
        }
        if (write && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            flags |= Op.O_TRUNC;
        }
        String repo = repo(path);
        int f = flags;
        try {
            VfsClient.Handle h = fs.client.open(repo, f, mode(attrs, 0644));
            boolean deleteOnClose = options.contains(StandardOpenOption.DELETE_ON_CLOSE);
            boolean sync = options.contains(StandardOpenOption.SYNC) || options.contains(StandardOpenOption.DSYNC);
            return new VfsFileChannel(fs.client, h, path.toString(), read, write, append, sync, () -> {
                if (deleteOnClose) {
                    try {
                        fs.client.remove(repo);
                    } catch (Failure e) {
                        // already gone: nothing to delete
                    }
                }
            });
        } catch (Failure e) {
            throw io(e, path, null);
        }
    }

    @SuppressWarnings("unchecked")
    private static int mode(FileAttribute<?>[] attrs, int fallback) {
        for (FileAttribute<?> a : attrs) {
            if (a.name().equals("posix:permissions")) {
                int mode = 0;
                for (PosixFilePermission p : (Set<PosixFilePermission>) a.value()) {
                    mode |= 0400 >> p.ordinal();
                }
                return mode;
            }
            throw new UnsupportedOperationException("'" + a.name() + "' cannot be set initially");
        }
        return fallback;
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        VfsPath d = VfsPath.check(dir);
        VfsFileSystem.Target t = fs.target(d);
        if (t == null) {
            throw new NoSuchFileException(dir.toString());
        }
        List<String> names;
        if (t.repo() == null) {
            names = List.copyOf(t.children());
        } else {
            try {
                names = fs.client.list(t.repo()).stream().map(VfsClient.Entry::name).toList();
            } catch (Failure f) {
                if (f.errno() == Errno.ENOTDIR) {
                    throw new NotDirectoryException(dir.toString());
                }
                throw io(f, dir, null);
            }
        }
        return new DirectoryStream<>() {
            private boolean used;

            @Override
            public Iterator<Path> iterator() {
                if (used) {
                    throw new IllegalStateException("iterator already obtained");
                }
                used = true;
                return names.stream().map(n -> d.resolve(n)).filter(p -> {
                    try {
                        return filter.accept(p);
                    } catch (IOException e) {
                        throw new java.nio.file.DirectoryIteratorException(e);
                    }
                }).iterator();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        try {
            fs.client.mkdir(repoForCreate(dir), mode(attrs, 0755));
        } catch (Failure f) {
            throw io(f, dir, null);
        }
    }

    private String repoForCreate(Path p) throws IOException {
        VfsFileSystem.Target t = fs.target(VfsPath.check(p));
        if (t != null && t.repo() == null) {
            throw new FileAlreadyExistsException(p.toString());
        }
        return repo(p);
    }

    @Override
    public void delete(Path path) throws IOException {
        VfsFileSystem.Target t = fs.target(VfsPath.check(path));
        if (t != null && t.repo() != null && !t.repo().contains("/")) {
            throw new FileSystemException(path.toString(), null, "EBUSY: Device or resource busy (a mount point)");
        }
        try {
            fs.client.remove(repo(path));
        } catch (Failure f) {
            throw io(f, path, null);
        }
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        boolean replace = Arrays.asList(options).contains(StandardCopyOption.REPLACE_EXISTING);
        BasicFileAttributes a = readAttributes(source, BasicFileAttributes.class);
        if (exists(VfsPath.check(target))) {
            if (!replace) {
                throw new FileAlreadyExistsException(target.toString());
            }
            try {
                delete(target);
            } catch (DirectoryNotEmptyException e) {
                throw e;
            }
        }
        if (a.isDirectory()) {
            createDirectory(target);
            return;
        }
        try (FileChannel in = newFileChannel(source, Set.of(StandardOpenOption.READ));
                FileChannel out = newFileChannel(target, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW))) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (in.read(buf.clear()) > 0) {
                out.write(buf.flip());
            }
        }
        if (Arrays.asList(options).contains(StandardCopyOption.COPY_ATTRIBUTES)) {
            setAttribute(target, "basic:lastModifiedTime", a.lastModifiedTime());
        }
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        boolean replace = Arrays.asList(options).contains(StandardCopyOption.REPLACE_EXISTING);
        try {
            fs.client.rename(repo(source), repo(target), replace);
        } catch (Failure f) {
            throw io(f, source, target);
        }
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        if (path.equals(path2)) {
            return true;
        }
        if (!(path2 instanceof VfsPath)) {
            return false;
        }
        Object a = readAttributes(path, BasicFileAttributes.class).fileKey();
        Object b = readAttributes(path2, BasicFileAttributes.class).fileKey();
        return a != null && a.equals(b);
    }

    @Override
    public boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        readAttributes(path, BasicFileAttributes.class);
        return new VfsFileStore(fs.client);
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        readAttributes(path, BasicFileAttributes.class);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        if (type == BasicFileAttributeView.class || type == PosixFileAttributeView.class) {
            return (V) new View(path);
        }
        return null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        if (type != BasicFileAttributes.class && type != PosixFileAttributes.class) {
            throw new UnsupportedOperationException("no attributes of type " + type.getName());
        }
        VfsFileSystem.Target t = fs.target(VfsPath.check(path));
        if (t == null) {
            throw new NoSuchFileException(path.toString());
        }
        if (t.repo() == null) {
            return (A) new Attributes(new VfsClient.Stat(Op.T_DIR, 0, 0, 0, 0, 0555, 0));
        }
        try {
            return (A) new Attributes(fs.client.stat(t.repo()));
        } catch (Failure f) {
            throw io(f, path, null);
        }
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        String view = attributes.contains(":") ? attributes.substring(0, attributes.indexOf(':')) : "basic";
        String names = attributes.contains(":") ? attributes.substring(attributes.indexOf(':') + 1) : attributes;
        if (!view.equals("basic") && !view.equals("posix")) {
            throw new UnsupportedOperationException("view '" + view + "' is not available");
        }
        Attributes a = (Attributes) readAttributes(path, PosixFileAttributes.class);
        Map<String, Object> all = new HashMap<>();
        all.put("size", a.size());
        all.put("lastModifiedTime", a.lastModifiedTime());
        all.put("lastAccessTime", a.lastAccessTime());
        all.put("creationTime", a.creationTime());
        all.put("isRegularFile", a.isRegularFile());
        all.put("isDirectory", a.isDirectory());
        all.put("isSymbolicLink", false);
        all.put("isOther", a.isOther());
        all.put("fileKey", a.fileKey());
        if (view.equals("posix")) {
            all.put("permissions", a.permissions());
        }
        if (names.equals("*")) {
            return all;
        }
        Map<String, Object> out = new HashMap<>();
        for (String n : names.split(",")) {
            if (!all.containsKey(n)) {
                throw new IllegalArgumentException("'" + n + "' not recognized");
            }
            out.put(n, all.get(n));
        }
        return out;
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        String name = attribute.contains(":") ? attribute.substring(attribute.indexOf(':') + 1) : attribute;
        if (!name.equals("lastModifiedTime")) {
            throw new UnsupportedOperationException("'" + attribute + "' cannot be set on the cluster filesystem");
        }
        new View(path).setTimes((FileTime) value, null, null);
    }

    /** A stat answer as Java's attributes. */
    record Attributes(VfsClient.Stat s) implements PosixFileAttributes {
        @Override
        public FileTime lastModifiedTime() {
            return FileTime.fromMillis(s.mtime());
        }

        @Override
        public FileTime lastAccessTime() {
            return FileTime.fromMillis(s.atime());
        }

        @Override
        public FileTime creationTime() {
            return FileTime.fromMillis(s.ctime());
        }

        @Override
        public boolean isRegularFile() {
            return s.type() == Op.T_FILE;
        }

        @Override
        public boolean isDirectory() {
            return s.type() == Op.T_DIR;
        }

        @Override
        public boolean isSymbolicLink() {
            return false;
        }

        @Override
        public boolean isOther() {
            return s.type() == Op.T_OTHER;
        }

        @Override
        public long size() {
            return s.size();
        }

        @Override
        public Object fileKey() {
            return s.inode() == 0 ? null : s.inode();
        }

        @Override
        public UserPrincipal owner() {
            return () -> "root";
        }

        @Override
        public GroupPrincipal group() {
            return () -> "root";
        }

        @Override
        public Set<PosixFilePermission> permissions() {
            Set<PosixFilePermission> set = java.util.EnumSet.noneOf(PosixFilePermission.class);
            for (PosixFilePermission p : PosixFilePermission.values()) {
                if ((s.mode() & (0400 >> p.ordinal())) != 0) {
                    set.add(p);
                }
            }
            return set;
        }
    }

    /** The basic and posix views: read, and set the modification time. */
    private final class View implements PosixFileAttributeView {
        private final Path path;

        View(Path path) {
            this.path = path;
        }

        @Override
        public String name() {
            return "posix";
        }

        @Override
        public PosixFileAttributes readAttributes() throws IOException {
            return VfsFileSystemProvider.this.readAttributes(path, PosixFileAttributes.class);
        }

        @Override
        public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) throws IOException {
            if (lastModifiedTime == null) {
                return;
            }
            try {
                fs.client.setMtime(repo(path), lastModifiedTime.toMillis());
            } catch (Failure f) {
                throw io(f, path, null);
            }
        }

        @Override
        public UserPrincipal getOwner() {
            return () -> "root";
        }

        @Override
        public void setOwner(UserPrincipal owner) {
            throw new UnsupportedOperationException("the cluster filesystem has one owner");
        }

        @Override
        public void setPermissions(Set<PosixFilePermission> perms) {
            throw new UnsupportedOperationException("permissions are set when a file is created");
        }

        @Override
        public void setGroup(GroupPrincipal group) {
            throw new UnsupportedOperationException("the cluster filesystem has one group");
        }
    }
}
