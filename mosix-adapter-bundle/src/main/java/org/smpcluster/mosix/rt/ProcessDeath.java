package org.smpcluster.mosix.rt;

/**
 * What unwinds the threads of a process that is ending (exit, SIGKILL, a default signal action):
 * thrown at a poll, rethrown by every exception handler of the program while the process is
 * dying. One instance per process, without a stack trace: throwing it costs nothing, and many
 * threads may throw it at once.
 */
public final class ProcessDeath extends Error {

    private static final long serialVersionUID = 1L;

    public ProcessDeath(long pid) {
        super("process " + pid + " is ending", null, false, false);
    }
}
