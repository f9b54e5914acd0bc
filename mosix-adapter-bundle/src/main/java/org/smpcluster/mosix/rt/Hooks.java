package org.smpcluster.mosix.rt;

import java.io.Console;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;

import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.Signal;

/**
 * What a program's rewritten classes call instead of the JVM-wide {@code System}/{@code Runtime}
 * members, and the poll at method entries and backward branches.
 *
 * <p><b>One copy per process.</b> Each process's class loader defines its own copy of this class
 * from the bundle's bytes (never the bundle's loaded one), so its statics are that process's:
 * the poll reads a field no other process writes or reads, with no lookup (no ThreadLocal, no
 * map from thread to process) and no cache line shared between processes. For that reason the
 * class has no nested classes and refers only to {@code java.*}, the process API and this
 * package's interfaces, which every process loader delegates to the bundle.
 *
 * <p><b>The poll.</b> {@link #poll()} is one opaque read of {@code pending} and a compare: opaque,
 * not plain, so that the JIT cannot hoist the read out of a {@code while (true) {}} loop, and not
 * volatile, because nothing else needs ordering with it. A nonzero word sends the thread to
 * {@link ProcessControl#pending()}, which reads the bits again with acquire semantics. The bits:
 * <pre>
 *  bit 0  KILL    the process is ending: throw {@link ProcessDeath}
 *  bit 1  STOP    SIGSTOP: park until the bit is cleared (SIGCONT)
 *  bit 2  FREEZE  reserved: the kernel stops the process at a safe point (to checkpoint or
 *                 migrate it); a frozen thread parks like a stopped one and counts itself in
 * </pre>
 * The runtime sets and clears bits with {@link #raise}/{@link #clear} (volatile CAS), through
 * method handles it looks up on this copy.
 */
public final class Hooks {

    public static final int KILL = 1;
    public static final int STOP = 2;
    public static final int FREEZE = 4;

    private static final VarHandle PENDING;

    @SuppressWarnings("unused") // read and written only through PENDING
    private static int pending;

    /** Set once by {@link #bind} before any class of the program runs; fixed after. */
    private static ProcessControl ctl;

    private static volatile InputStream in;
    private static volatile PrintStream out;
    private static volatile PrintStream err;

    static {
        try {
            PENDING = MethodHandles.lookup().findStaticVarHandle(Hooks.class, "pending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Hooks() {
    }

    /** The runtime binds this copy to its process. */
    public static void bind(ProcessControl control) {
        ctl = control;
        in = control.stdin();
        out = control.stdout();
        err = control.stderr();
    }

    public static void raise(int bits) {
        int p;
        do {
            p = (int) PENDING.getVolatile();
        } while (!PENDING.compareAndSet(p, p | bits));
    }

    public static void clear(int bits) {
        int p;
        do {
            p = (int) PENDING.getVolatile();
        } while (!PENDING.compareAndSet(p, p & ~bits));
    }

    public static int pendingBits() {
        return (int) PENDING.getVolatile();
    }

    // ---- the poll, at every method entry and backward branch of the program

    public static void poll() {
        if ((int) PENDING.getOpaque() != 0) {
            ctl.pending();
        }
    }

    /** At the start of each typed exception handler: a dying process's threads do not stop unwinding. */
    public static void caught(Throwable t) {
        if (t instanceof ProcessDeath || ((int) PENDING.getOpaque() & KILL) != 0 && ctl.dying()) {
            throw ctl.death();
        }
    }

    // ---- java.lang.System

    public static InputStream in() {
        return in;
    }

    public static PrintStream out() {
        return out;
    }

    public static PrintStream err() {
        return err;
    }

    public static void setIn(InputStream s) {
        in = s;
    }

    public static void setOut(PrintStream s) {
        out = s;
    }

    public static void setErr(PrintStream s) {
        err = s;
    }

    /** A process has no {@link Console} of the JVM's: its stdio is the process's own. */
    public static Console console() {
        return null;
    }

    public static void exit(int status) {
        throw ctl.exit(status, true);
    }

    public static Map<String, String> getenv() {
        return ctl.environment();
    }

    public static String getenv(String name) {
        return ctl.environment().get(name);
    }

    public static String getProperty(String key) {
        return ctl.property(key, null);
    }

    public static String getProperty(String key, String def) {
        return ctl.property(key, def);
    }

    // ---- java.lang.Runtime (the receiver is the JVM's one Runtime; the process is implied)

    public static void runtimeExit(Runtime r, int status) {
        throw ctl.exit(status, true);
    }

    public static void runtimeHalt(Runtime r, int status) {
        throw ctl.exit(status, false);
    }

    public static void addShutdownHook(Runtime r, Thread hook) {
        ctl.addShutdownHook(hook);
    }

    public static boolean removeShutdownHook(Runtime r, Thread hook) {
        return ctl.removeShutdownHook(hook);
    }

    // ---- java.lang.Thread and Throwable: what would reach the JVM's own defaults

    public static void setDefaultUncaughtExceptionHandler(Thread.UncaughtExceptionHandler h) {
        ctl.defaultUncaughtExceptionHandler(h);
    }

    public static Thread.UncaughtExceptionHandler getDefaultUncaughtExceptionHandler() {
        return ctl.defaultUncaughtExceptionHandler();
    }

    /** {@code t.printStackTrace()} prints to the JVM's stderr; a process's goes to its own. */
    public static void printStackTrace(Throwable t) {
        t.printStackTrace(err);
    }

    // ---- org.smpcluster.api.process.ThisProcess

    public static long pid() {
        return ctl.pid();
    }

    public static boolean handle(Signal signal, Runnable handler) {
        return ctl.handle(signal, handler);
    }

    public static boolean migratable(Migratable state) {
        return ctl.migratable(state);
    }
}
