package org.smpcluster.console;

import java.util.concurrent.locks.LockSupport;

import org.apache.felix.service.command.Job;
import org.apache.felix.service.command.JobListener;

/**
 * ^C at the root's own prompt: interrupts the command typed there, Gogo's way (its
 * {@link Job}), as {@code console:attach 0}'s line discipline does for its shell.
 *
 * <p>The prompt is Gogo's {@code gosh --login}, which runs in the session {@code MainShell}
 * made, as a job of that session; each command typed at it is a job whose parent is the gosh
 * job. The session's {@link #foregroundJob} is gosh itself (Gogo's own answer looks only at
 * top-level jobs), and interrupting it would end the prompt: this listener follows the typed
 * commands' jobs instead, as the session reports their changes.
 */
final class ForegroundInterrupt implements JobListener {

    /** How long a ^C typed right after Enter waits for Gogo to start the command's job. */
    private static final long JOB_START_NANOS = 1_000_000_000L;

    private volatile Job command;
    /**
     * The thread of the last command interrupted: Gogo ends a job the moment it is interrupted
     * (its future cancelled, the prompt back) while the command's thread may run on (mosix:run
     * waits for its program, which may handle SIGINT); a second ^C interrupts that thread again,
     * which mosix:run turns into SIGKILL, as a shell's second ^C ends a stubborn job. Gogo names
     * the thread of a pipeline's statement "pipe-STATEMENT" while it runs it and a pooled name
     * after, so the name says whether it still runs that command.
     */
    private volatile Thread lingering;
    private volatile String lingeringName;

    @Override
    public void jobChanged(Job job, Job.Status previous, Job.Status current) {
        if (job.parent() == null) {
            return; // gosh itself, or a script the session runs
        }
        if (current == Job.Status.Done) {
            if (command == job) {
                command = null;
            }
        } else if (current == Job.Status.Foreground) {
            command = job;
        }
    }

    /**
     * Interrupts the command running at the prompt; false when there is none. Gogo (runtime
     * 1.1) makes a job the foreground job before its controller runs, and an interrupt before
     * that is lost or, worse, keeps the controller from ever running (see {@code ConsoleDevice}):
     * wait a little for the controller's thread.
     */
    boolean interrupt() {
        long deadline = System.nanoTime() + JOB_START_NANOS;
        while (true) {
            Job job = command;
            if (job == null || job.status() == Job.Status.Done) {
                Thread t = lingering;
                if (t != null && t.isAlive() && t.getName().equals(lingeringName)) {
                    t.interrupt();
                    return true;
                }
                return false;
            }
            if (named("job controller " + job.id()) != null) {
                lingeringName = "pipe-" + job.command();
                lingering = named(lingeringName);
                job.interrupt();
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(2_000_000);
        }
    }

    /**
     * The thread of this name, or null: Gogo's controller of job ID names itself "job controller
     * ID" first thing, so it runs once that thread exists.
     */
    private static Thread named(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElse(null);
    }
}
