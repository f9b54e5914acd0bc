package org.smpcluster.console.device;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A vnode's console: a local bridge {@value #BRIDGE} of that vnode, written by two parties,
 * each ring by one: the keyboard by whoever types (the root), the screen by the vnode.
 *
 * <pre>
 *  offset  size
 *  +------+------------------------------------------------------------+
 *  |    0 | magic "CONSOLE1" (written last by the vnode that formats)  |
 *  |    8 | incarnation: pid of the vnode's process                    |
 *  |   16 | keyboard head: bytes ever typed                            |
 *  |   24 | keyboard tail: bytes ever taken by the line discipline     |
 *  |   32 | screen head: bytes ever written to the screen              |
 *  |   40 | watched: the root is attached (wants SCREEN_VECTOR raised)  |
 *  +------+------------------------------------------------------------+
 *  | 4096 | keyboard ring, KEYBOARD bytes (byte n at n mod KEYBOARD)   |
 *  | 8192 | screen ring, SCREEN bytes: the last SCREEN bytes written   |
 *  |      | are the scrollback                                         |
 *  +------+------------------------------------------------------------+
 * </pre>
 */
public final class ConsoleLayout {

    public static final String BRIDGE = "console";
    public static final long MAGIC = 0x43_4F_4E_53_4F_4C_45_31L; // "CONSOLE1"
    public static final int KEYBOARD = 4096;
    public static final int SCREEN = 64 * 1024;
    public static final long SIZE = 8192 + SCREEN;

    static final long OFF_MAGIC = 0;
    static final long OFF_INCARNATION = 8;
    static final long OFF_KEYS_HEAD = 16;
    static final long OFF_KEYS_TAIL = 24;
    static final long OFF_SCREEN_HEAD = 32;
    static final long OFF_WATCHED = 40;
    static final long KEYS = 4096;
    static final long SCREEN_RING = 8192;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private ConsoleLayout() {
    }

    static long get(MemorySegment s, long offset) {
        return (long) LONG.getAcquire(s, offset);
    }

    static void set(MemorySegment s, long offset, long value) {
        LONG.setRelease(s, offset, value);
    }

    public static boolean formatted(MemorySegment s) {
        return get(s, OFF_MAGIC) == MAGIC;
    }

    /** The vnode's side: a fresh console (a new incarnation starts empty). */
    public static void format(MemorySegment s, long pid) {
        set(s, OFF_MAGIC, 0);
        set(s, OFF_KEYS_HEAD, 0);
        set(s, OFF_KEYS_TAIL, 0);
        set(s, OFF_SCREEN_HEAD, 0);
        set(s, OFF_INCARNATION, pid);
        set(s, OFF_MAGIC, MAGIC);
    }

    public static long incarnation(MemorySegment s) {
        return get(s, OFF_INCARNATION);
    }

    /** The typing side: appends as much of {@code keys} as the keyboard ring has room for; returns how much. */
    public static int type(MemorySegment s, byte[] keys, int from) {
        long head = get(s, OFF_KEYS_HEAD);
        long tail = get(s, OFF_KEYS_TAIL);
        int n = (int) Math.max(0, Math.min(keys.length - from, KEYBOARD - (head - tail)));
        for (int i = 0; i < n; i++) {
            s.set(ValueLayout.JAVA_BYTE, KEYS + Math.floorMod(head + i, KEYBOARD), keys[from + i]);
        }
        set(s, OFF_KEYS_HEAD, head + n);
        return n;
    }

    /** The vnode's side: takes what was typed (empty if nothing). */
    public static byte[] takeKeys(MemorySegment s) {
        return takeKeys(s, KEYBOARD);
    }

    /**
     * The vnode's side: takes at most {@code max} of the bytes typed (empty if nothing); the
     * rest stay in the ring, so that whoever types waits for room (back-pressure).
     */
    public static byte[] takeKeys(MemorySegment s, int max) {
        long head = get(s, OFF_KEYS_HEAD);
        long tail = get(s, OFF_KEYS_TAIL);
        long typed = head - tail;
        if (typed < 0 || typed > KEYBOARD) {
            // A typist that broke the ring's rule (another process writing the bridge): what is
            // there cannot be told from garbage; drop it and go on from the head.
            set(s, OFF_KEYS_TAIL, head);
            return new byte[0];
        }
        byte[] keys = new byte[(int) Math.min(typed, Math.max(0, max))];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = s.get(ValueLayout.JAVA_BYTE, KEYS + Math.floorMod(tail + i, KEYBOARD));
        }
        set(s, OFF_KEYS_TAIL, tail + keys.length);
        return keys;
    }

    /** The vnode's side: appends to the screen (the oldest bytes give way). */
    public static void write(MemorySegment s, byte[] bytes) {
        long head = get(s, OFF_SCREEN_HEAD);
        int from = Math.max(0, bytes.length - SCREEN);
        for (int i = from; i < bytes.length; i++) {
            s.set(ValueLayout.JAVA_BYTE, SCREEN_RING + ((head + i) % SCREEN), bytes[i]);
        }
        set(s, OFF_SCREEN_HEAD, head + bytes.length);
    }

    public static boolean watched(MemorySegment s) {
        return get(s, OFF_WATCHED) != 0;
    }

    public static void watched(MemorySegment s, boolean on) {
        set(s, OFF_WATCHED, on ? 1 : 0);
    }

    public static long written(MemorySegment s) {
        return get(s, OFF_SCREEN_HEAD);
    }

    /**
     * The screen's bytes from {@code since} (bytes ever written) on, at most {@code max}, the
     * most recent ones; what the ring no longer holds is left out.
     */
    public static byte[] screen(MemorySegment s, long since, int max) {
        long head = Math.max(0, get(s, OFF_SCREEN_HEAD)); // a negative head is garbage: nothing to show
        long from = Math.max(Math.max(since, head - SCREEN), head - max);
        from = Math.min(Math.max(from, 0), head);
        byte[] out = new byte[(int) (head - from)];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.get(ValueLayout.JAVA_BYTE, SCREEN_RING + Math.floorMod(from + i, SCREEN));
        }
        VarHandle.loadLoadFence();
        long after = get(s, OFF_SCREEN_HEAD);
        int overwritten = (int) Math.max(0, after - SCREEN - from); // written over while we copied
        return overwritten == 0 ? out : java.util.Arrays.copyOfRange(out, Math.min(overwritten, out.length), out.length);
    }
}
