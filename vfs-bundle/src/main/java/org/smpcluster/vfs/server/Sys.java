package org.smpcluster.vfs.server;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The Linux system calls the repository's resolver and the server's name operations need,
 * relative to a pinned directory's descriptor, which the JDK does not offer: {@code openat2(2)},
 * {@code openat(2)}, {@code fstatat(2)}, {@code mkdirat(2)}, {@code unlinkat(2)},
 * {@code renameat2(2)}, {@code utimensat(2)}, {@code close(2)}, through FFM's {@code syscall(3)}.
 * (The same operations through {@code /proc/self/fd/N/name} paths cost a procfs lookup each:
 * about 6 µs of the 8 a stat took that way.) Every call returns its result, or {@code -errno}.
 */
final class Sys {

    static final int O_RDWR = 02;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_DIRECTORY = 0200000;
    static final int O_NOFOLLOW = 0400000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;

    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EXDEV = 18;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ENAMETOOLONG = 36;
    static final int ENOSYS = 38;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;

    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_EMPTY_PATH = 0x1000;
    /** utimensat: leave this time as it is. */
    private static final long UTIME_OMIT = (1L << 30) - 2;

    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;

    private static final int AT_FDCWD = -100;

    private record Numbers(long openat2, long openat, long fstat, long close, long fstatat, long mkdirat, long unlinkat,
            long renameat2, long utimensat, long stModeOffset, long stUidOffset, long stSize) {
    }

    // struct stat differs by architecture: st_mode sits after st_dev, st_ino, st_nlink on x86_64
    // and after st_dev, st_ino on aarch64 (the generic layout); st_size and the times sit at the
    // same offsets on both (48; atime 72, mtime 88, ctime 104, each seconds then nanoseconds)
    private static final Numbers NR = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> new Numbers(437, 257, 5, 3, 262, 258, 263, 316, 280, 24, 28, 144);
        case "aarch64" -> new Numbers(437, 56, 80, 57, 79, 34, 35, 276, 88, 16, 24, 128);
        default -> null;
    };

    /** What stat(2) says of a file, as the server answers it. */
    record Stat(long ino, int mode, int uid, long size, long atimeMillis, long mtimeMillis, long ctimeMillis) {
        int type() {
            return mode & S_IFMT;
        }
    }

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL;
    private static final MethodHandle SYSCALL6;

    static {
        Linker linker = Linker.nativeLinker();
        // long syscall(long number, ...): each variadic argument is passed as a full register, so
        // pointers go as their addresses (long) and one handle serves every call of four arguments
        MemorySegment syscall = linker.defaultLookup().find("syscall").orElseThrow();
        SYSCALL = linker.downcallHandle(syscall, FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
        SYSCALL6 = linker.downcallHandle(syscall, FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    private Sys() {
    }

    static boolean supported() {
        return NR != null;
    }

    private static long call(Arena arena, long nr, long a, long b, long c, long d) {
        MemorySegment captured = arena.allocate(CAPTURE);
        long r;
        try {
            r = (long) SYSCALL.invokeExact(captured, nr, a, b, c, d);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("syscall " + nr + " failed", t);
        }
        return r >= 0 ? r : -(int) ERRNO.get(captured, 0L);
    }

    private static void check() {
        if (NR == null) {
            throw new UnsupportedOperationException("the vfs repository resolver knows no system calls for os.arch="
                    + System.getProperty("os.arch") + " (x86_64 and aarch64 are supported)");
        }
    }

    /** {@code openat2(dirfd, path, {flags, mode, resolve})}: a descriptor, or {@code -errno}. */
    static int openat2(int dirfd, String path, long flags, long mode, long resolve) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment how = arena.allocate(24, 8); // struct open_how { u64 flags; u64 mode; u64 resolve; }
            how.set(JAVA_LONG, 0, flags);
            how.set(JAVA_LONG, 8, mode);
            how.set(JAVA_LONG, 16, resolve);
            return (int) call(arena, NR.openat2(), dirfd, arena.allocateFrom(path).address(), how.address(), 24);
        }
    }

    /** {@code openat(dirfd, path, flags, mode)}: a descriptor, or {@code -errno}. */
    static int openat(int dirfd, String path, int flags, int mode) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            return (int) call(arena, NR.openat(), dirfd, arena.allocateFrom(path).address(), flags, mode);
        }
    }

    /** {@code open(path, flags)} of an absolute path: a descriptor, or {@code -errno}. */
    static int open(String path, int flags) {
        return openat(AT_FDCWD, path, flags, 0);
    }

    /**
     * {@code fstatat(dirfd, name, flags)}: the attributes of {@code name} in the directory
     * {@code dirfd} (with {@link #AT_SYMLINK_NOFOLLOW}, of a link itself), or of {@code dirfd}'s
     * own file for the name "" with {@link #AT_EMPTY_PATH}.
     *
     * @return null, with {@code errno[0]} set, when it fails
     */
    static Stat fstatat(int dirfd, String name, int flags, int[] errno) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(NR.stSize(), 8);
            long r = call(arena, NR.fstatat(), dirfd, arena.allocateFrom(name).address(), st.address(), flags);
            if (r < 0) {
                errno[0] = (int) -r;
                return null;
            }
            return new Stat(st.get(JAVA_LONG, 8), st.get(JAVA_INT, NR.stModeOffset()), st.get(JAVA_INT, NR.stUidOffset()),
                    st.get(JAVA_LONG, 48), millis(st, 72), millis(st, 88), millis(st, 104));
        }
    }

    private static long millis(MemorySegment st, long at) {
        return st.get(JAVA_LONG, at) * 1000 + st.get(JAVA_LONG, at + 8) / 1_000_000;
    }

    /** {@code mkdirat(dirfd, name, mode)}: 0, or {@code -errno}. */
    static int mkdirat(int dirfd, String name, int mode) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            return (int) call(arena, NR.mkdirat(), dirfd, arena.allocateFrom(name).address(), mode, 0);
        }
    }

    /** {@code unlinkat(dirfd, name, flags)}: 0, or {@code -errno}. */
    static int unlinkat(int dirfd, String name, int flags) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            return (int) call(arena, NR.unlinkat(), dirfd, arena.allocateFrom(name).address(), flags, 0);
        }
    }

    /** {@code renameat2(fromdir, from, todir, to, 0)}: 0, or {@code -errno}. Neither name is followed. */
    static int renameat(int fromDir, String from, int toDir, String to) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment captured = arena.allocate(CAPTURE);
            long r;
            try {
                r = (long) SYSCALL6.invokeExact(captured, NR.renameat2(), (long) fromDir, arena.allocateFrom(from).address(),
                        (long) toDir, arena.allocateFrom(to).address(), 0L);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("renameat2 failed", t);
            }
            return r >= 0 ? (int) r : -(int) ERRNO.get(captured, 0L);
        }
    }

    /** Sets the modification time of {@code name} in {@code dirfd} (a link itself, not followed); the access time is left alone. */
    static int utimensat(int dirfd, String name, long mtimeMillis) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment times = arena.allocate(32, 8); // struct timespec[2]: atime, mtime
            times.set(JAVA_LONG, 0, 0);
            times.set(JAVA_LONG, 8, UTIME_OMIT);
            times.set(JAVA_LONG, 16, Math.floorDiv(mtimeMillis, 1000));
            times.set(JAVA_LONG, 24, Math.floorMod(mtimeMillis, 1000) * 1_000_000);
            return (int) call(arena, NR.utimensat(), dirfd, arena.allocateFrom(name).address(), times.address(), AT_SYMLINK_NOFOLLOW);
        }
    }

    /** The {@code st_mode} of what {@code fd} refers to (an {@code O_PATH} descriptor included), or {@code -errno}. */
    static int fstatMode(int fd) {
        check();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(NR.stSize(), 8);
            long r = call(arena, NR.fstat(), fd, st.address(), 0, 0);
            return r < 0 ? (int) r : st.get(JAVA_INT, NR.stModeOffset());
        }
    }

    static void close(int fd) {
        if (fd >= 0) {
            try (Arena arena = Arena.ofConfined()) {
                call(arena, NR.close(), fd, 0, 0, 0); // close(2) releases the descriptor even when it reports an error
            }
        }
    }
}
