package org.smpcluster.nanokernel.portal;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
 * Linux futex(2) on a 32-bit word in shared memory, through FFM. The word lives in a
 * {@code MAP_SHARED} file mapping, so these are the shared (not {@code _PRIVATE}) operations:
 * the kernel keys the wait queue on the file page, and a wake from one process reaches a waiter
 * in another.
 */
public final class Futex {

    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final int ETIMEDOUT = 110;

    private static final long SYS_FUTEX = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 202;
        case "aarch64" -> 98;
        default -> -1;
    };

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL;

    static {
        Linker linker = Linker.nativeLinker();
        // long syscall(long number, ...): every variadic argument is passed as a full register
        // (long or pointer), which is what the kernel reads.
        SYSCALL = linker.downcallHandle(
                linker.defaultLookup().find("syscall").orElseThrow(),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG),
                Linker.Option.firstVariadicArg(1),
                Linker.Option.captureCallState("errno"));
    }

    /** The outcome of a wait. */
    public enum Wait {
        /** Woken (or spuriously returned): look at the word again. */
        WOKEN,
        /** The word no longer held the expected value: nothing to wait for. */
        CHANGED,
        /** The timeout passed. */
        TIMED_OUT
    }

    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private Futex() {
    }

    /**
     * Blocks while {@code word} (4 bytes, 4-aligned, in shared memory) holds {@code expected},
     * until woken or {@code timeoutNanos} pass (0 or less: no timeout).
     */
    public static Wait await(MemorySegment word, int expected, long timeoutNanos) {
        checkSupported();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timeout = MemorySegment.NULL;
            if (timeoutNanos > 0) {
                timeout = arena.allocate(16, 8);
                timeout.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
                timeout.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            }
            MemorySegment captured = CAPTURED.get();
            long r = (long) SYSCALL.invokeExact(captured, SYS_FUTEX, word, (long) FUTEX_WAIT,
                    (long) expected, timeout, MemorySegment.NULL, 0L);
            if (r == 0) {
                return Wait.WOKEN;
            }
            int errno = (int) ERRNO.get(captured, 0L);
            return switch (errno) {
                case EAGAIN -> Wait.CHANGED;
                case EINTR -> Wait.WOKEN;
                case ETIMEDOUT -> Wait.TIMED_OUT;
                default -> throw new IllegalStateException("futex wait failed: errno " + errno);
            };
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("futex wait failed", t);
        }
    }

    /** Wakes up to {@code count} waiters on {@code word}; returns how many were woken. */
    public static int wake(MemorySegment word, int count) {
        checkSupported();
        try {
            MemorySegment captured = CAPTURED.get();
            long r = (long) SYSCALL.invokeExact(captured, SYS_FUTEX, word, (long) FUTEX_WAKE,
                    (long) count, MemorySegment.NULL, MemorySegment.NULL, 0L);
            if (r < 0) {
                throw new IllegalStateException("futex wake failed: errno " + (int) ERRNO.get(captured, 0L));
            }
            return (int) r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("futex wake failed", t);
        }
    }

    private static void checkSupported() {
        if (SYS_FUTEX < 0) {
            throw new UnsupportedOperationException("futex: no syscall number known for os.arch="
                    + System.getProperty("os.arch"));
        }
    }

    /** The 4-byte futex word at {@code offset} of {@code segment}. */
    public static MemorySegment word(MemorySegment segment, long offset) {
        if (offset % 4 != 0) {
            throw new IllegalArgumentException("futex word offset=" + offset + " is not 4-aligned");
        }
        return segment.asSlice(offset, JAVA_INT.byteSize());
    }
}
