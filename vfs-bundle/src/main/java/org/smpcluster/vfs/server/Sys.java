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
 * The few Linux system calls the repository's resolver needs and the JDK does not offer:
 * {@code openat2(2)}, {@code openat(2)}, {@code fstat(2)} (for the file type of an
 * {@code O_PATH} descriptor) and {@code close(2)}, through FFM's {@code syscall(3)}. Every call
 * returns its result, or {@code -errno}.
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
    static final int ELOOP = 40;

    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;

    private static final int AT_FDCWD = -100;

    private record Numbers(long openat2, long openat, long fstat, long close, long stModeOffset, long stSize) {
    }

    // struct stat differs by architecture: st_mode sits after st_dev, st_ino, st_nlink on x86_64
    // and after st_dev, st_ino on aarch64 (the generic layout)
    private static final Numbers NR = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> new Numbers(437, 257, 5, 3, 24, 144);
        case "aarch64" -> new Numbers(437, 56, 80, 57, 16, 128);
        default -> null;
    };

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL;

    static {
        Linker linker = Linker.nativeLinker();
        // long syscall(long number, ...): each variadic argument is passed as a full register, so
        // pointers go as their addresses (long) and one handle serves every call here
        SYSCALL = linker.downcallHandle(linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
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
