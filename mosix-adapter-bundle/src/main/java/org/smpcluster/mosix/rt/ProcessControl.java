package org.smpcluster.mosix.rt;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

import org.smpcluster.api.process.Migratable;
import org.smpcluster.api.process.Signal;

/**
 * The runtime's side of one process, as its {@link Hooks} copy calls it: everything but the
 * poll's fast path. Loaded by the bundle's own class loader (every process's loader delegates
 * this package to it), implemented by the process table.
 */
public interface ProcessControl {

    /** The poll found {@code pending} bits set: die, park, or (later) freeze here. */
    void pending();

    /**
     * {@code System.exit}/{@code Runtime.exit} ({@code hooks}) or {@code Runtime.halt}: end the
     * process with {@code status}; returns the error that unwinds the calling thread.
     */
    Error exit(int status, boolean hooks);

    /** The error that unwinds a thread of a dying process. */
    Error death();

    /** Whether the process is being killed: a caught exception must not stop the unwinding. */
    boolean dying();

    InputStream stdin();

    PrintStream stdout();

    PrintStream stderr();

    Map<String, String> environment();

    /** {@code System.getProperty} as the process sees it: its own {@code user.dir}, else the vnode's. */
    String property(String key, String otherwise);

    void addShutdownHook(Thread hook);

    boolean removeShutdownHook(Thread hook);

    void defaultUncaughtExceptionHandler(Thread.UncaughtExceptionHandler handler);

    Thread.UncaughtExceptionHandler defaultUncaughtExceptionHandler();

    long pid();

    boolean handle(Signal signal, Runnable handler);

    boolean migratable(Migratable state);
}
