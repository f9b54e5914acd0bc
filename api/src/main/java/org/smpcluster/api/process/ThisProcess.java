package org.smpcluster.api.process;

import java.util.Objects;

/**
 * What a program may ask of the process it runs in. Calls to these methods from a program's
 * classes are bound by the process runtime, per process, as the classes are loaded (the same
 * rewrite that makes {@code System.exit} end the process), so the answers are that process's.
 * Called anywhere else (code not loaded as a process, reflection), they report that there is no
 * process: a program written for smpcluster still runs with {@code java -cp}.
 */
public final class ThisProcess {

    private ThisProcess() {
    }

    /**
     * This process's PID, or -1 when the caller does not run as a process.
     */
    public static long pid() {
        return -1;
    }

    /**
     * Handle a catchable signal: {@code handler} runs (on a thread of the process of its own)
     * each time the process is sent {@code signal}, instead of the default action. A null
     * handler restores the default.
     *
     * @return whether the handler is installed (false when the caller does not run as a process)
     * @throws IllegalArgumentException for SIGKILL and SIGSTOP, which cannot be caught
     */
    public static boolean handle(Signal signal, Runnable handler) {
        checkCatchable(signal);
        return false;
    }

    /**
     * Declare the state this process hands over when it moves (see {@link Migratable}); from
     * then on the process is migratable as far as its program is concerned.
     *
     * @return whether it was declared (false when the caller does not run as a process)
     */
    public static boolean migratable(Migratable state) {
        Objects.requireNonNull(state, "state");
        return false;
    }

    /** The check every implementation of {@link #handle} makes; for the runtime. */
    public static void checkCatchable(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        if (!signal.catchable()) {
            throw new IllegalArgumentException("signal=" + signal + " cannot be caught; catchable: SIGHUP SIGINT"
                    + " SIGTERM SIGUSR1 SIGUSR2 SIGCONT");
        }
    }
}
