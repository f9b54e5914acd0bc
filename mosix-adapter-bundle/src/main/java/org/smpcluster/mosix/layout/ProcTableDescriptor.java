package org.smpcluster.mosix.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessState;

/**
 * A vnode's process table, in its local bridge {@code proc} (the paper's per-node tables that
 * make up the unique /proc). Only its vnode writes it; every other vnode reads it through a
 * peek. A header, then {@code capacity} entries of {@value #ENTRY_LENGTH} bytes.
 *
 * <p>The header is ready once {@code version} is {@link #VERSION}, written last (release) after
 * everything else: a reader that sees another value (0 while the owner lays it out, or garbage
 * in memory reused after the owner died) reads nothing. An entry is guarded by a sequence lock:
 * the owner makes {@code seq} odd, writes the fields, and makes it even again (release); a
 * reader that sees an odd or changed sequence around its reads tries again, and after
 * {@link #SEQ_TRIES} tries reports the entry torn (its writer died in the middle of a write).
 *
 * <pre>
 * Header (128 bytes)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Magic 'PROC' (0x434f5250)                 |  0
 *  +---------------------------------------------------------------+
 *  |            Version (written last; 0 while laid out)           |  4
 *  +---------------------------------------------------------------+
 *  |                       Owner vnode id                          |  8
 *  +---------------------------------------------------------------+
 *  |                    Capacity (entries)                         | 12
 *  +---------------------------------------------------------------+
 *  |                    Entry length (bytes)                       | 16
 *  +---------------------------------------------------------------+
 *  |                    CPUs of the vnode                          | 20
 *  +---------------------------------------------------------------+
 *  |         Runnable processes now (the load word)                | 24
 *  +---------------------------------------------------------------+
 *  |                       (reserved)                              | 28
 *  +---------------------------------------------------------------+
 *  |     Load: runnable per CPU x 1000, decayed (8 bytes)          | 32
 *  +---------------------------------------------------------------+
 *  |     Free heap bytes of the vnode (8 bytes)                    | 40
 *  +---------------------------------------------------------------+
 *  |     Sampled at, epoch millis (8 bytes)                        | 48
 *  +---------------------------------------------------------------+
 *  |                     (reserved to 128)                         | 56
 *  +---------------------------------------------------------------+
 *
 * Entry n, at 128 + n * 256
 *  +---------------------------------------------------------------+
 *  |                 Sequence (odd: being written)                 |  0
 *  +---------------------------------------------------------------+
 *  | State (0 free, 1 RUNNING, 2 STOPPED, 3 EXITING, 4 EXITED)     |  4
 *  +---------------------------------------------------------------+
 *  |                         PID (8 bytes)                         |  8
 *  +---------------------------------------------------------------+
 *  |                   Parent PID, 0: none (8 bytes)               | 16
 *  +---------------------------------------------------------------+
 *  |                        Home vnode                             | 24
 *  +---------------------------------------------------------------+
 *  |                 Current vnode (where it runs)                 | 28
 *  +---------------------------------------------------------------+
 *  |                    CPU time, ns (8 bytes)                     | 32
 *  +---------------------------------------------------------------+
 *  |                 Allocated bytes, total (8 bytes)              | 40
 *  +---------------------------------------------------------------+
 *  |                 Started, epoch millis (8 bytes)               | 48
 *  +---------------------------------------------------------------+
 *  |                 Exit code 0..255, -1: still running           | 56
 *  +---------------------------------------------------------------+
 *  |                         (reserved)                            | 60
 *  +---------------------------------------------------------------+
 *  |            Name, UTF-8, NUL-padded (64 bytes)                 | 64
 *  +---------------------------------------------------------------+
 *  |    Why it cannot move, UTF-8, NUL-padded; empty: it can (64)  | 128
 *  +---------------------------------------------------------------+
 *  |    How it ended, UTF-8, NUL-padded (64 bytes)                 | 192
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Strings longer than their field are cut at a character boundary.
 */
public final class ProcTableDescriptor {

    /** The local bridge's name. */
    public static final String BRIDGE = "proc";

    public static final int MAGIC = 0x434f5250;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int VNODE_OFFSET = 8;
    public static final int CAPACITY_OFFSET = 12;
    public static final int ENTRY_LENGTH_OFFSET = 16;
    public static final int CPUS_OFFSET = 20;
    public static final int RUNNABLE_OFFSET = 24;
    public static final int LOAD_OFFSET = 32;
    public static final int FREE_MEMORY_OFFSET = 40;
    public static final int SAMPLED_OFFSET = 48;
    public static final int HEADER_LENGTH = 128;

    public static final int SEQ_OFFSET = 0;
    public static final int STATE_OFFSET = 4;
    public static final int PID_OFFSET = 8;
    public static final int PARENT_OFFSET = 16;
    public static final int HOME_OFFSET = 24;
    public static final int CURRENT_OFFSET = 28;
    public static final int CPU_OFFSET = 32;
    public static final int ALLOCATED_OFFSET = 40;
    public static final int STARTED_OFFSET = 48;
    public static final int EXIT_CODE_OFFSET = 56;
    public static final int NAME_OFFSET = 64;
    public static final int CANTMOVE_OFFSET = 128;
    public static final int WHY_OFFSET = 192;
    public static final int STRING_CAPACITY = 64;
    public static final int ENTRY_LENGTH = 256;

    public static final int STATE_FREE = 0;

    /** A reader's tries of one entry before it calls it torn. */
    public static final int SEQ_TRIES = 10_000;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** What a read of one entry found. */
    public sealed interface Slot {
    }

    /** Nobody in this entry. */
    public record Free() implements Slot {
    }

    /** Its sequence stayed odd or kept changing: its writer died in the middle of a write. */
    public record Torn(int seq) implements Slot {
    }

    /** A consistent copy of a process's entry. */
    public record Used(ProcessInfo info) implements Slot {
    }

    private ProcTableDescriptor() {
    }

    /** The bytes a table of {@code capacity} entries needs. */
    public static long length(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity=" + capacity + " must be at least 1");
        }
        return HEADER_LENGTH + (long) capacity * ENTRY_LENGTH;
    }

    /**
     * @throws IllegalArgumentException when a segment of {@code size} bytes cannot hold {@code capacity} entries
     */
    public static void checkCapacity(long size, int capacity) {
        if (size < length(capacity)) {
            throw new IllegalArgumentException("bridge size=" + size + " is too small for capacity=" + capacity
                    + " entries: needs " + length(capacity) + " bytes (" + HEADER_LENGTH + " + " + capacity + " * "
                    + ENTRY_LENGTH + ")");
        }
    }

    public static long entry(int capacity, int slot) {
        if (slot < 0 || slot >= capacity) {
            throw new IllegalArgumentException("slot=" + slot + " is outside 0.." + (capacity - 1));
        }
        return HEADER_LENGTH + (long) slot * ENTRY_LENGTH;
    }

    /** Owner only: lays out an empty table, the version last. */
    public static void initialise(MemorySegment s, int vnode, int capacity, int cpus) {
        checkCapacity(s.byteSize(), capacity);
        INT.setVolatile(s, (long) VERSION_OFFSET, 0);
        s.asSlice(HEADER_LENGTH, (long) capacity * ENTRY_LENGTH).fill((byte) 0);
        INT.setVolatile(s, (long) MAGIC_OFFSET, MAGIC);
        INT.setVolatile(s, (long) VNODE_OFFSET, vnode);
        INT.setVolatile(s, (long) CAPACITY_OFFSET, capacity);
        INT.setVolatile(s, (long) ENTRY_LENGTH_OFFSET, ENTRY_LENGTH);
        INT.setVolatile(s, (long) CPUS_OFFSET, cpus);
        INT.setVolatile(s, (long) RUNNABLE_OFFSET, 0);
        LONG.setVolatile(s, (long) LOAD_OFFSET, 0L);
        LONG.setVolatile(s, (long) FREE_MEMORY_OFFSET, 0L);
        LONG.setVolatile(s, (long) SAMPLED_OFFSET, 0L);
        INT.setRelease(s, (long) VERSION_OFFSET, VERSION);
    }

    /**
     * The table's capacity when it is a ready table of {@code vnode} that fits in {@code s}; 0
     * otherwise (being laid out, another vnode's, not a process table, memory reused).
     */
    public static int readyCapacity(MemorySegment s, int vnode) {
        if (s.byteSize() < HEADER_LENGTH || (int) INT.getAcquire(s, (long) VERSION_OFFSET) != VERSION
                || (int) INT.getVolatile(s, (long) MAGIC_OFFSET) != MAGIC
                || (int) INT.getVolatile(s, (long) VNODE_OFFSET) != vnode
                || (int) INT.getVolatile(s, (long) ENTRY_LENGTH_OFFSET) != ENTRY_LENGTH) {
            return 0;
        }
        int capacity = (int) INT.getVolatile(s, (long) CAPACITY_OFFSET);
        return capacity >= 1 && s.byteSize() >= length(capacity) ? capacity : 0;
    }

    /** Owner only: the vnode's load, as its sampler measured it. */
    public static void writeLoad(MemorySegment s, int runnable, long loadMillis, long freeBytes, long nowMillis) {
        INT.setVolatile(s, (long) RUNNABLE_OFFSET, runnable);
        LONG.setVolatile(s, (long) LOAD_OFFSET, loadMillis);
        LONG.setVolatile(s, (long) FREE_MEMORY_OFFSET, freeBytes);
        LONG.setVolatile(s, (long) SAMPLED_OFFSET, nowMillis);
    }

    public static int runnable(MemorySegment s) {
        return (int) INT.getVolatile(s, (long) RUNNABLE_OFFSET);
    }

    public static int cpus(MemorySegment s) {
        return (int) INT.getVolatile(s, (long) CPUS_OFFSET);
    }

    /** Runnable processes per CPU, x 1000, decayed. */
    public static long load(MemorySegment s) {
        return (long) LONG.getVolatile(s, (long) LOAD_OFFSET);
    }

    public static long freeMemory(MemorySegment s) {
        return (long) LONG.getVolatile(s, (long) FREE_MEMORY_OFFSET);
    }

    /** Owner only: writes a process into entry {@code slot} under its sequence lock. */
    public static void write(MemorySegment s, int capacity, int slot, ProcessInfo p) {
        long e = entry(capacity, slot);
        int seq = (int) INT.getVolatile(s, e + SEQ_OFFSET);
        INT.setVolatile(s, e + SEQ_OFFSET, seq | 1); // odd: readers wait
        INT.setVolatile(s, e + STATE_OFFSET, p.state().ordinal() + 1);
        LONG.setVolatile(s, e + PID_OFFSET, p.pid());
        LONG.setVolatile(s, e + PARENT_OFFSET, p.parent());
        INT.setVolatile(s, e + HOME_OFFSET, p.homeVnode());
        INT.setVolatile(s, e + CURRENT_OFFSET, p.currentVnode());
        LONG.setVolatile(s, e + CPU_OFFSET, p.cpuNanos());
        LONG.setVolatile(s, e + ALLOCATED_OFFSET, p.allocatedBytes());
        LONG.setVolatile(s, e + STARTED_OFFSET, p.startedMillis());
        INT.setVolatile(s, e + EXIT_CODE_OFFSET, p.exit().map(ExitStatus::code).orElse(-1));
        putString(s, e + NAME_OFFSET, p.name());
        putString(s, e + CANTMOVE_OFFSET, p.cantMove());
        putString(s, e + WHY_OFFSET, p.exit().map(ExitStatus::why).orElse(""));
        INT.setRelease(s, e + SEQ_OFFSET, (seq | 1) + 1);
    }

    /** Owner only: empties entry {@code slot}. */
    public static void free(MemorySegment s, int capacity, int slot) {
        long e = entry(capacity, slot);
        int seq = (int) INT.getVolatile(s, e + SEQ_OFFSET);
        INT.setVolatile(s, e + SEQ_OFFSET, seq | 1);
        INT.setVolatile(s, e + STATE_OFFSET, STATE_FREE);
        LONG.setVolatile(s, e + PID_OFFSET, 0L);
        INT.setRelease(s, e + SEQ_OFFSET, (seq | 1) + 1);
    }

    /** Any vnode: a consistent copy of entry {@code slot}. */
    public static Slot read(MemorySegment s, int capacity, int slot) {
        long e = entry(capacity, slot);
        int seq = 0;
        for (int tries = 0; tries < SEQ_TRIES; tries++) {
            seq = (int) INT.getAcquire(s, e + SEQ_OFFSET);
            if ((seq & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            Slot copy = copy(s, e);
            if ((int) INT.getAcquire(s, e + SEQ_OFFSET) == seq) {
                return copy;
            }
        }
        return new Torn(seq);
    }

    private static Slot copy(MemorySegment s, long e) {
        int state = (int) INT.getVolatile(s, e + STATE_OFFSET);
        if (state == STATE_FREE) {
            return new Free();
        }
        ProcessState[] states = ProcessState.values();
        int code = (int) INT.getVolatile(s, e + EXIT_CODE_OFFSET);
        String why = getString(s, e + WHY_OFFSET);
        // Fields read while the writer is at work may be anything: a copy that does not hold
        // together is thrown away by the sequence check, so never fail on it here.
        if (state < 1 || state > states.length || code < -1 || code > 255) {
            return new Free();
        }
        Optional<ExitStatus> exit = code < 0 ? Optional.empty()
                : Optional.of(new ExitStatus(code, why.isBlank() ? "exited" : why));
        String name = getString(s, e + NAME_OFFSET);
        return new Used(new ProcessInfo((long) LONG.getVolatile(s, e + PID_OFFSET),
                (long) LONG.getVolatile(s, e + PARENT_OFFSET), name.isEmpty() ? "?" : name,
                (int) INT.getVolatile(s, e + HOME_OFFSET), (int) INT.getVolatile(s, e + CURRENT_OFFSET),
                states[state - 1], (long) LONG.getVolatile(s, e + CPU_OFFSET),
                (long) LONG.getVolatile(s, e + ALLOCATED_OFFSET), (long) LONG.getVolatile(s, e + STARTED_OFFSET),
                exit, getString(s, e + CANTMOVE_OFFSET)));
    }

    /**
     * Any vnode: every process in the table of {@code vnode} (torn entries left out); empty
     * when the segment is not a ready table of that vnode.
     */
    public static List<ProcessInfo> readAll(MemorySegment s, int vnode) {
        int capacity = readyCapacity(s, vnode);
        List<ProcessInfo> out = new ArrayList<>();
        for (int slot = 0; slot < capacity; slot++) {
            if (read(s, capacity, slot) instanceof Used u) {
                out.add(u.info());
            }
        }
        return out;
    }

    /** {@code value}'s UTF-8, cut at a character boundary to fit, NUL-padded. */
    static void putString(MemorySegment s, long offset, String value) {
        byte[] b = fit(value == null ? "" : value);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, offset, b.length);
        s.asSlice(offset + b.length, STRING_CAPACITY - b.length).fill((byte) 0);
    }

    static byte[] fit(String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        if (b.length <= STRING_CAPACITY) {
            return b;
        }
        int n = STRING_CAPACITY;
        while (n > 0 && (b[n] & 0xc0) == 0x80) {
            n--; // b[n] continues a character: cut before that character starts
        }
        return java.util.Arrays.copyOf(b, n);
    }

    static String getString(MemorySegment s, long offset) {
        byte[] b = new byte[STRING_CAPACITY];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, b, 0, STRING_CAPACITY);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
