package org.smpcluster.api.process;

/** Where a process is in its life. Later steps add states (frozen for migration, say). */
public enum ProcessState {
    /** Its threads run. */
    RUNNING,
    /** SIGSTOP: its threads park at their next poll until SIGCONT. */
    STOPPED,
    /** It was told to end (exit, a signal): shutdown hooks run, its threads unwind. */
    EXITING,
    /** It ended; {@link ProcessInfo#exit()} says how. */
    EXITED
}
