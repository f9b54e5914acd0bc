package org.smpcluster.api.process;

/**
 * How a process ended.
 *
 * @param code 0..255, as {@code wait} reports it: the program's own status (masked to 8 bits, as
 *             Linux does), or {@code 128 + N} when signal N ended it
 * @param why  for people: {@code exited}, {@code killed by SIGKILL},
 *             {@code uncaught java.lang.IllegalStateException: ...}; later {@code OOM-killed},
 *             {@code lost: home vnode died}
 */
public record ExitStatus(int code, String why) {

    public ExitStatus {
        if (code < 0 || code > 255) {
            throw new IllegalArgumentException("code=" + code + " is not in 0..255");
        }
        if (why == null || why.isBlank()) {
            throw new IllegalArgumentException("why must say how the process ended");
        }
    }

    /** A program's own status ({@code System.exit(status)}), masked to 0..255 as Linux does. */
    public static ExitStatus exited(int status) {
        return new ExitStatus(status & 0xff, "exited");
    }

    /** Ended by a signal: {@code 128 + number}. */
    public static ExitStatus killed(Signal signal) {
        return new ExitStatus(128 + signal.number(), "killed by " + signal.name());
    }

    @Override
    public String toString() {
        return code + " (" + why + ")";
    }
}
