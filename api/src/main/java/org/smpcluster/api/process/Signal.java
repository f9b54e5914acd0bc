package org.smpcluster.api.process;

import java.util.Locale;

/**
 * The signals a process can be sent, with their Linux numbers (signal(7), x86-64), so that a
 * status of {@code 128 + number} reads as a shell reports it.
 */
public enum Signal {
    /** Hang-up: the process's terminal went away. Default: the process ends. */
    SIGHUP(1),
    /** Interrupt (^C at the terminal). Default: the process ends, its shutdown hooks run. */
    SIGINT(2),
    /** Kill: cannot be caught; the process ends at its next poll, no shutdown hook runs. */
    SIGKILL(9),
    /** User-defined 1. Default: the process ends. */
    SIGUSR1(10),
    /** User-defined 2. Default: the process ends. */
    SIGUSR2(12),
    /** Terminate. Default: the process ends, its shutdown hooks run. */
    SIGTERM(15),
    /** Continue a stopped process. */
    SIGCONT(18),
    /** Stop: cannot be caught; the process's threads park at their next poll until SIGCONT. */
    SIGSTOP(19);

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    /** The Linux signal number. */
    public int number() {
        return number;
    }

    /** Whether a program may handle it ({@link ThisProcess#handle}); SIGKILL and SIGSTOP may not. */
    public boolean catchable() {
        return this != SIGKILL && this != SIGSTOP;
    }

    /**
     * The signal a person names: {@code 9}, {@code KILL}, {@code SIGKILL}, {@code kill}.
     *
     * @throws IllegalArgumentException naming the input and the signals there are
     */
    public static Signal parse(String name) {
        String n = name.strip().toUpperCase(Locale.ROOT);
        for (Signal s : values()) {
            if (n.equals(s.name()) || n.equals(s.name().substring(3)) || n.equals(Integer.toString(s.number))) {
                return s;
            }
        }
        throw new IllegalArgumentException("signal=" + name + " is not one of HUP(1) INT(2) KILL(9) USR1(10) USR2(12)"
                + " TERM(15) CONT(18) STOP(19)");
    }
}
