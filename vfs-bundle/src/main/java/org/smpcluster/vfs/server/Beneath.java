package org.smpcluster.vfs.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;

/**
 * The repository as the server reaches it: one descriptor of its directory, and every path a
 * request names resolved beneath that descriptor by the kernel, component by component, with
 * no symbolic link followed anywhere on the way ({@code openat2(2)} with
 * {@code RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS}; where a kernel or seccomp filter lacks
 * {@code openat2}, an {@code openat(O_NOFOLLOW)} walk). What is resolved is pinned: an
 * {@code O_PATH} descriptor, which the JDK's file operations then reach through
 * {@code /proc/self/fd/N} (the file itself, or a name in the pinned directory), so nothing is
 * checked by path and then opened by path again: a link swapped in between is never followed.
 *
 * <p>The repository itself must be a directory this user owns that group and others cannot
 * write; checked on the opened descriptor, once.
 */
final class Beneath implements AutoCloseable {

    /** What pins (and opens) a path: no component may be a symbolic link or a magic link, nor lead out of the repository. */
    private static final long RESOLVE = Sys.RESOLVE_BENEATH | Sys.RESOLVE_NO_SYMLINKS | Sys.RESOLVE_NO_MAGICLINKS;

    private final Path dir;
    private final int fd;
    /** openat2 is missing (ENOSYS) or filtered (EPERM): resolve with a per-component openat walk. */
    private final boolean walk;

    /** A descriptor pinning one file or directory of the repository: {@link #path()} reaches exactly it. */
    static final class Pin implements AutoCloseable {
        final int fd;
        private boolean closed;

        Pin(int fd) {
            this.fd = fd;
        }

        /** The pinned file or directory itself ({@code /proc/self/fd/N}: the kernel follows it to this descriptor's file only). */
        Path path() {
            return Path.of("/proc/self/fd/" + fd);
        }

        /** The entry {@code name} of the pinned directory (the last component, not followed by the operations that use it). */
        Path child(String name) {
            return path().resolve(name);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                Sys.close(fd);
            }
        }
    }

    private Beneath(Path dir, int fd, boolean walk) {
        this.dir = dir;
        this.fd = fd;
        this.walk = walk;
    }

    Path dir() {
        return dir;
    }

    /**
     * Opens the repository {@code repository} (an absolute path; made, mode 0700, when missing)
     * and checks it on the descriptor: a directory itself (its last component not a link: under
     * a shared {@code $TMPDIR} another user could have put one there), owned by this user, not
     * writable by group or others.
     *
     * @throws Failure EACCES with one line saying what is wrong and what to do
     */
    static Beneath open(Path repository) throws Failure {
        return open(repository, false);
    }

    /** As {@link #open(Path)}; with {@code walk}, resolves by the openat walk even where openat2 exists (to test it). */
    static Beneath open(Path repository, boolean walk) throws Failure {
        String todo = "choose another repository (-Dsmpcluster.vfs.repository=DIR, or a 'device ... storage' line assigned to vnode 0)";
        int flags = Sys.O_PATH | Sys.O_DIRECTORY | Sys.O_NOFOLLOW | Sys.O_CLOEXEC;
        int fd = Sys.open(repository.toString(), flags);
        if (fd == -Sys.ENOENT) {
            try {
                Path parent = repository.getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.createDirectory(repository, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // made at the same moment by someone else: opened and checked below like any existing one
            } catch (IOException e) {
                throw Errno.EACCES.fail("the repository " + repository + " cannot be made (" + e + "); " + todo);
            }
            fd = Sys.open(repository.toString(), flags);
        }
        if (fd < 0) {
            if (Files.isSymbolicLink(repository)) {
                throw Errno.EACCES.fail("the repository " + repository + " is a symbolic link, and it is refused (another user "
                        + "may have put it there); remove it, name the directory itself, or " + todo);
            }
            throw Errno.EACCES.fail("the repository " + repository + " cannot be opened as a directory (errno " + -fd + "); " + todo);
        }
        try {
            checkOwned("the repository " + repository, Path.of("/proc/self/fd/" + fd), todo);
        } catch (Failure | RuntimeException e) {
            Sys.close(fd);
            throw e;
        }
        // probe openat2 once: a kernel before 5.6 answers ENOSYS, some container seccomp filters EPERM
        int probe = Sys.openat2(fd, ".", Sys.O_PATH | Sys.O_CLOEXEC, 0, RESOLVE);
        Sys.close(probe);
        return new Beneath(repository, fd, walk || probe == -Sys.ENOSYS || probe == -Sys.EPERM);
    }

    /**
     * Checks that {@code what} (reached through {@code path}, a pinned descriptor's) is a
     * directory of this user's that group and others cannot write.
     */
    static void checkOwned(String what, Path path, String todo) throws Failure {
        Map<String, Object> a;
        int me;
        try {
            a = Files.readAttributes(path, "unix:uid,mode");
            me = (Integer) Files.readAttributes(Path.of("/proc/self"), "unix:uid").get("uid"); // this process's user
        } catch (IOException e) {
            throw Errno.EACCES.fail(what + " cannot be examined (" + e + ")");
        }
        int uid = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        if ((mode & Sys.S_IFMT) != Sys.S_IFDIR) {
            throw Errno.EACCES.fail(what + " is not a directory; " + todo);
        }
        if (uid != me) {
            throw Errno.EACCES.fail(what + " is owned by uid " + uid + ", not by this user (uid " + me
                    + "): another user made it, and it is refused; remove it, or " + todo);
        }
        if ((mode & 022) != 0) {
            throw Errno.EACCES.fail(what + " is writable by " + ((mode & 020) != 0 ? "its group" : "others")
                    + " (mode " + String.format("%04o", mode & 07777) + "), and it is refused; chmod go-w it, or " + todo);
        }
    }

    /** Pins {@code rel} (a checked repository path, or "." for the repository): the file or directory itself, a final link refused. */
    Pin pin(String rel) throws Failure {
        return new Pin(resolve(rel, Sys.O_PATH, 0));
    }

    /** Pins the directory {@code rel}. */
    Pin dir(String rel) throws Failure {
        return new Pin(resolve(rel, Sys.O_PATH | Sys.O_DIRECTORY, 0));
    }

    /** Pins the directory that holds {@code rel} (the repository for a top-level name). */
    Pin parent(String rel) throws Failure {
        int slash = rel.lastIndexOf('/');
        return dir(slash < 0 ? "." : rel.substring(0, slash));
    }

    /** The last component of {@code rel}. */
    static String name(String rel) {
        return rel.substring(rel.lastIndexOf('/') + 1);
    }

    /** Creates the regular file {@code rel} (which must not exist, a link included) with {@code mode}; returns its descriptor, open read-write. */
    int create(String rel, int mode) throws Failure {
        return resolve(rel, Sys.O_CREAT | Sys.O_EXCL | Sys.O_RDWR, mode & 07777);
    }

    private int resolve(String rel, int flags, int mode) throws Failure {
        int r = walk ? walk(rel, flags, mode) : Sys.openat2(fd, rel, flags | Sys.O_CLOEXEC, mode, RESOLVE);
        if (r < 0) {
            throw failure(rel, -r);
        }
        return r;
    }

    /**
     * The fallback without openat2: every directory on the way opened with
     * {@code O_NOFOLLOW | O_DIRECTORY} from the last one, the final component with {@code O_NOFOLLOW}
     * (an {@code O_PATH} descriptor of a link is refused by its file type). Requests carry no
     * {@code ..} (see {@link RepoPath}), so each step stays beneath the one before.
     */
    private int walk(String rel, int flags, int mode) {
        String[] parts = rel.split("/");
        int at = fd;
        try {
            for (int i = 0; i < parts.length - 1; i++) {
                int next = Sys.openat(at, parts[i], Sys.O_PATH | Sys.O_DIRECTORY | Sys.O_NOFOLLOW | Sys.O_CLOEXEC, 0);
                if (next < 0) {
                    return next == -Sys.ENOTDIR && isLink(at, parts[i]) ? -Sys.ELOOP : next;
                }
                if (at != fd) {
                    Sys.close(at);
                }
                at = next;
            }
            String last = parts[parts.length - 1];
            int r = Sys.openat(at, last, flags | Sys.O_NOFOLLOW | Sys.O_CLOEXEC, mode);
            if (r == -Sys.ENOTDIR && isLink(at, last)) {
                return -Sys.ELOOP;
            }
            if (r >= 0 && (flags & Sys.O_PATH) != 0) {
                int m = Sys.fstatMode(r);
                if (m < 0 || (m & Sys.S_IFMT) == Sys.S_IFLNK) {
                    Sys.close(r);
                    return m < 0 ? m : -Sys.ELOOP;
                }
            }
            return r;
        } finally {
            if (at != fd) {
                Sys.close(at);
            }
        }
    }

    /** Whether {@code name} in the directory {@code at} is a symbolic link (only to name the error). */
    private static boolean isLink(int at, String name) {
        try {
            return Files.readAttributes(Path.of("/proc/self/fd/" + at, name), BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).isSymbolicLink();
        } catch (IOException e) {
            return false;
        }
    }

    // ---- operations on a name in a pinned directory (none follows the name if it is a link)

    /** The attributes of {@code name} in the pinned directory {@code dir} (a link's own); {@code rel} names it in errors. */
    static Sys.Stat lstat(Pin dir, String name, String rel) throws Failure {
        int[] errno = new int[1];
        Sys.Stat st = Sys.fstatat(dir.fd, name, Sys.AT_SYMLINK_NOFOLLOW, errno);
        if (st == null) {
            throw failure(rel, errno[0]);
        }
        return st;
    }

    /** The attributes of the pinned file itself. */
    static Sys.Stat stat(Pin p, String rel) throws Failure {
        int[] errno = new int[1];
        Sys.Stat st = Sys.fstatat(p.fd, "", Sys.AT_EMPTY_PATH, errno);
        if (st == null) {
            throw failure(rel, errno[0]);
        }
        return st;
    }

    /** Whether {@code name} is in the pinned directory (as anything, a link included). */
    static boolean exists(Pin dir, String name, String rel) throws Failure {
        int[] errno = new int[1];
        if (Sys.fstatat(dir.fd, name, Sys.AT_SYMLINK_NOFOLLOW, errno) != null) {
            return true;
        }
        if (errno[0] == Sys.ENOENT) {
            return false;
        }
        throw failure(rel, errno[0]);
    }

    static void mkdir(Pin dir, String name, int mode, String rel) throws Failure {
        check(rel, Sys.mkdirat(dir.fd, name, mode & 07777));
    }

    /** Removes the file, link or empty directory {@code name}. */
    static void remove(Pin dir, String name, String rel) throws Failure {
        int r = Sys.unlinkat(dir.fd, name, 0);
        if (r == -Sys.EISDIR || r == -Sys.EPERM) { // unlink(2) of a directory: EISDIR on Linux (EPERM by POSIX)
            int d = Sys.unlinkat(dir.fd, name, Sys.AT_REMOVEDIR);
            r = d == -Sys.ENOTDIR ? r : d;
        }
        check(rel, r);
    }

    static void rename(Pin fromDir, String from, Pin toDir, String to, String rel) throws Failure {
        check(rel, Sys.renameat(fromDir.fd, from, toDir.fd, to));
    }

    static void setMtime(Pin dir, String name, long millis, String rel) throws Failure {
        check(rel, Sys.utimensat(dir.fd, name, millis));
    }

    private static void check(String rel, int r) throws Failure {
        if (r < 0) {
            throw switch (-r) {
                case Sys.ENOTEMPTY -> Errno.ENOTEMPTY.fail(rel);
                case Sys.EXDEV -> Errno.EXDEV.fail(rel);
                case Sys.EINVAL -> Errno.EINVAL.fail(rel);
                default -> failure(rel, -r);
            };
        }
    }

    static Failure failure(String rel, int errno) {
        return switch (errno) {
            case Sys.ENOENT -> Errno.ENOENT.fail(rel);
            case Sys.ENOTDIR -> Errno.ENOTDIR.fail("'" + rel + "': a component is not a directory");
            case Sys.ELOOP -> Errno.ELOOP.fail("'" + rel + "': a symbolic link on the way; the repository's paths do not follow links");
            case Sys.EXDEV -> Errno.EACCES.fail("'" + rel + "' leads out of the repository");
            case Sys.EACCES, Sys.EPERM -> Errno.EACCES.fail("'" + rel + "'");
            case Sys.EEXIST -> Errno.EEXIST.fail(rel);
            case Sys.EISDIR -> Errno.EISDIR.fail(rel);
            case Sys.ENAMETOOLONG -> Errno.ENAMETOOLONG.fail(rel);
            case Sys.ENOTEMPTY -> Errno.ENOTEMPTY.fail(rel);
            case 16 -> Errno.EBUSY.fail(rel);
            case 28 -> Errno.ENOSPC.fail(rel);
            default -> Errno.EIO.fail("'" + rel + "': errno " + errno);
        };
    }

    @Override
    public void close() {
        Sys.close(fd);
    }
}
