package org.smpcluster.vfs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.vfs.client.VfsClient;
import org.smpcluster.vfs.server.VfsServer;

/** The {@code vfs} Gogo commands of one vnode. */
public final class VfsCommands {

    static final String[] FUNCTIONS = {"ls", "cat", "cp", "df", "cache", "mount", "write", "rm", "mkdir", "mv", "sync"};

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private final VfsService vfs;
    private final VfsServer server;

    VfsCommands(VfsService vfs, VfsServer server) {
        this.vfs = vfs;
        this.server = server;
    }

    /** A vfs path, or a host path written {@code file:/...}. */
    private Path path(String text) {
        if (text.startsWith("file:")) {
            return Path.of(text.substring("file:".length()));
        }
        if (text.startsWith(Vfs.SCHEME + ":")) {
            return vfs.path(java.net.URI.create(text));
        }
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException("'" + text + "' is not absolute: cluster paths start with / (e.g. /tmp/x), "
                    + "host paths with file:");
        }
        return vfs.path(text);
    }

    @Descriptor("list a directory (or show a file) of the cluster filesystem")
    public String ls(@Descriptor("directory or file, e.g. /tmp") String dir) throws IOException {
        return lsOf(dir);
    }

    @Descriptor("list /tmp, the cluster-wide one")
    public String ls() throws IOException {
        return lsOf("/tmp");
    }

    private String lsOf(String dir) throws IOException {
        Path p = path(dir);
        StringBuilder out = new StringBuilder();
        if (!Files.isDirectory(p)) {
            return line(p, Files.readAttributes(p, PosixFileAttributes.class));
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
            for (Path e : entries) {
                out.append(line(e, Files.readAttributes(e, PosixFileAttributes.class)));
            }
        }
        return out.toString();
    }

    private static String line(Path p, PosixFileAttributes a) {
        return String.format("%s%s %12d %s %s%n", a.isDirectory() ? "d" : "-",
                PosixFilePermissions.toString(a.permissions()), a.size(),
                TIME.format(Instant.ofEpochMilli(a.lastModifiedTime().toMillis())), p.getFileName() == null ? p : p.getFileName());
    }

    /** The piece {@code cat} copies at a time. */
    static final int CAT_PIECE = 64 << 10;

    @Descriptor("print a file of the cluster filesystem")
    public void cat(@Descriptor("file, e.g. /tmp/x") String file) throws IOException {
        cat(path(file), System.out);
    }

    /**
     * Copies the file to {@code out} in {@value #CAT_PIECE}-byte pieces. Streamed, not returned
     * as the other commands' results are: a file may be larger than a vnode's heap (a 96 MiB
     * vnode has 72 MiB), and reading it whole, then decoding it into a String twice its size,
     * was an OutOfMemoryError at once. In a Gogo pipe {@code System.out} is the pipe.
     */
    static long cat(Path file, java.io.OutputStream out) throws IOException {
        long n = 0;
        try (var ch = Files.newByteChannel(file)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(CAT_PIECE);
            for (int r; (r = ch.read(buf.clear())) > 0; ) {
                out.write(buf.array(), 0, r);
                n += r;
            }
        }
        out.flush();
        return n;
    }

    @Descriptor("copy a file; host paths are written file:/...")
    public String cp(@Descriptor("source") String from, @Descriptor("target") String to) throws IOException {
        Path a = path(from);
        Path b = path(to);
        long n;
        if (a.getFileSystem() == b.getFileSystem()) {
            Files.copy(a, b, StandardCopyOption.REPLACE_EXISTING);
            n = Files.size(b);
        } else {
            try (var in = Files.newInputStream(a); var out = Files.newOutputStream(b)) {
                n = in.transferTo(out);
            }
        }
        return "copied " + n + " bytes from " + from + " to " + to;
    }

    @Descriptor("move or rename within the cluster filesystem")
    public String mv(@Descriptor("source") String from, @Descriptor("target") String to) throws IOException {
        Files.move(path(from), path(to), StandardCopyOption.REPLACE_EXISTING);
        return "moved " + from + " to " + to;
    }

    @Descriptor("write a line of text to a file (replacing it, or appending with -a)")
    public String write(@Parameter(names = {"-a", "--append"}, presentValue = "true", absentValue = "false") boolean append,
            @Descriptor("file") String file, @Descriptor("text") String text) throws IOException {
        Path p = path(file);
        Files.writeString(p, text + "\n", append ? new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.APPEND}
                : new StandardOpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE});
        return "wrote " + file;
    }

    @Descriptor("remove a file or an empty directory")
    public String rm(@Descriptor("path") String file) throws IOException {
        Files.delete(path(file));
        return "removed " + file;
    }

    @Descriptor("make a directory")
    public String mkdir(@Descriptor("path") String dir) throws IOException {
        Files.createDirectory(path(dir));
        return "made " + dir;
    }

    @Descriptor("write a file's cached pages to the root's storage device (fsync)")
    public String sync(@Descriptor("file") String file) throws IOException {
        try (var ch = Files.newByteChannel(path(file), StandardOpenOption.WRITE)) {
            ((java.nio.channels.FileChannel) ch).force(true);
        }
        return "synced " + file;
    }

    @Descriptor("the storage device under the repository, and the mounts")
    public String df() throws IOException {
        VfsClient.StatFs s = io(() -> vfs.client().statfs());
        StringBuilder out = new StringBuilder(String.format("%-12s %-10s %12s %12s %12s  %s%n", "MOUNT", "EXPORT",
                "SIZE", "USED", "AVAIL", "REPOSITORY"));
        for (Vfs.Mount m : vfs.mounts()) {
            out.append(String.format("%-12s %-10s %12s %12s %12s  %s/%s%n", m.mountPoint(), m.export(), mib(s.total()),
                    mib(s.total() - s.unallocated()), mib(s.usable()), s.repository(), m.export()));
        }
        return out.toString();
    }

    interface Call<T> {
        T call() throws org.smpcluster.vfs.cache.Errno.Failure;
    }

    private static <T> T io(Call<T> c) throws IOException {
        try {
            return c.call();
        } catch (org.smpcluster.vfs.cache.Errno.Failure f) {
            throw f.errno().exception("vfs", null, f.getMessage());
        }
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + "M";
    }

    @Descriptor("the shared page cache: frames, tokens, counters")
    public String cache() throws IOException {
        VfsClient.CacheStats s = io(() -> vfs.client().cacheStats()); // one request: the server's counters and this vnode's
        double[] latency = vfs.client().requestLatency();
        return String.format("page cache: %d frames of %d bytes (%d MiB), %d free, %d dirty%n"
                + "tokens: %d frames readable, %d writable; %d revoked, %d evictions, %d written back%n"
                + "files open or cached on the server: %d; requests served %d (%d failed)%n"
                + "this vnode (%d): %d hits, %d misses, %d drains, %d mappings invalidated%n"
                + "this vnode's last requests (medians): %.1f us until the root took them, %.1f us served, %.1f us back%n",
                s.frames(), s.pageSize(), (long) s.frames() * s.pageSize() >> 20, s.free(), s.dirty(), s.readTokens(),
                s.writeTokens(), s.revocations(), s.evictions(), s.writebacks(), s.inodes(), s.requests(), s.failures(),
                vfs.client().vnode(), s.hits(), s.misses(), s.drains(), s.invalidatedMappings(), latency[0], latency[1],
                latency[2])
                + (server == null ? "" : "repository: " + (server.repository() == null ? "refused (the root's log says why)"
                        : server.repository()) + "\n");
    }

    @Descriptor("show this vnode's mounts")
    public String mount() {
        StringBuilder out = new StringBuilder();
        for (Vfs.Mount m : vfs.mounts()) {
            out.append(m.export()).append(" on ").append(m.mountPoint()).append('\n');
        }
        return out.toString();
    }

    @Descriptor("mount an export of the repository (made if missing) on this vnode")
    public String mount(@Descriptor("export: a top-level name of the repository") String export,
            @Descriptor("mount point, e.g. /data") String mountPoint) throws IOException {
        Vfs.Mount m = vfs.mount(export, mountPoint);
        return "mounted " + m.export() + " on " + m.mountPoint();
    }
}
