package org.smpcluster.api.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The processes of this vnode: an OSGi service on every vnode. A process is a Java program run
 * by a class loader of its own in the vnode's JVM; unmodified programs work, because the loader
 * rewrites their classes as it defines them ({@code System.exit} ends the process, not the vnode;
 * {@code System.in/out/err} and {@code System.getenv} are the process's; method entries and
 * backward branches poll the process's state, so signals take effect even in a busy loop).
 *
 * <p>A process stays in the table after it ends (state {@link ProcessState#EXITED}, with its
 * {@link ProcessInfo#exit()}), for a parent's {@code wait}, until the table drops the oldest of
 * its ended processes to make room.
 */
@ProviderType
public interface ProcessManager {

    /**
     * PIDs are {@code vnodeId * PID_RANGE + n}, {@code 1 <= n < PID_RANGE}: unique in the cluster
     * without asking anyone, and a person (and a deputy, later) reads a process's home vnode from
     * its PID: 1000042 is vnode 1's 42nd. {@code n} wraps and skips PIDs still in the table, as
     * Linux's pid_max does.
     */
    long PID_RANGE = 1_000_000L;

    /** The vnode a PID was given out by: the process's home. */
    static int homeOf(long pid) {
        return (int) (pid / PID_RANGE);
    }

    /**
     * Starts a process in this vnode.
     *
     * @throws IllegalArgumentException naming what is wrong, with nothing left running: a class
     *                                  path entry that does not exist or is not a jar or directory,
     *                                  no main class, a main class that is not there or has no
     *                                  {@code main}
     */
    ProcessInfo spawn(ProcessSpec spec);

    /**
     * Starts a process on the vnode {@code where} says, with this vnode as its home: the
     * process's stdio, its {@code wait} and its signals go through its deputy here, so the
     * caller sees it as if it ran here ({@link ProcessInfo#currentVnode()} says where it does).
     * The default runs only {@link Placement#HOME}; a manager that has a cluster places anywhere.
     *
     * @throws IllegalArgumentException as {@link #spawn(ProcessSpec)}, as the target vnode said
     *                                  it, or naming a vnode that is not up
     */
    default ProcessInfo spawn(ProcessSpec spec, Placement where) {
        if (where.vnode() != Placement.HOME_VNODE) {
            throw new IllegalArgumentException("placement=" + where + ": this process manager runs processes at home"
                    + " only");
        }
        return spawn(spec);
    }

    /**
     * Moves a running {@link Migratable} process to the vnode {@code where} names (or its home),
     * at its next safe point: it is frozen, its state shipped, and it goes on there with the same
     * PID, its deputy (stdio, {@code wait}) staying at its home. Returns once it runs there.
     *
     * @throws IllegalArgumentException naming the PID and why it cannot move (its {@code cantmove}:
     *                                  not migratable, threads that reach no safe point...), or a
     *                                  target that is not up; the process runs on where it was
     */
    default ProcessInfo migrate(long pid, Placement where) {
        throw new IllegalArgumentException("pid=" + pid + ": this process manager does not migrate processes");
    }

    /**
     * Writes a checkpoint of a running {@link Migratable} process to {@code file} (null: its
     * spec's {@link ProcessSpec#checkpointFile()}): it is frozen at its next safe point, its
     * state and what it needs to start again (its spec, PID, home, totals) written, and it runs
     * on. A {@code vfs:} file can be restarted on any vnode. Replaces the file only once the new
     * checkpoint is complete, so a crash while writing leaves the last good one.
     *
     * @return the file written
     * @throws IllegalArgumentException naming the PID and why it cannot be checkpointed (its
     *                                  {@code cantmove}), no file to write to, or the file's error
     */
    default Path checkpoint(long pid, Path file) {
        throw new IllegalArgumentException("pid=" + pid + ": this process manager does not checkpoint processes");
    }

    /**
     * Starts a process again from a checkpoint {@link #checkpoint(long, Path)} wrote, on the
     * vnode {@code where} names, continuing from the checkpointed state (its {@code restore}).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it (missing, not a
     *                                  checkpoint, truncated), or a vnode that is not up
     */
    default ProcessInfo restart(Path file, Placement where) {
        throw new IllegalArgumentException("file=" + file + ": this process manager does not restart processes");
    }

    /**
     * Every process of the cluster, running and ended, in PID order: this vnode's, and each
     * other vnode's as its process table (its local bridge {@code proc}) shows it now. A process
     * running away from its home shows once, as the vnode where it runs sees it.
     */
    List<ProcessInfo> processes();

    /**
     * One process of the cluster, now, wherever it runs (looked up at its home, read off its
     * PID, and where that says it runs); empty when no table has it.
     */
    Optional<ProcessInfo> info(long pid);

    /**
     * Sends a signal, to wherever the process runs in the cluster. Signalling an ended process
     * does nothing.
     *
     * @throws IllegalArgumentException naming the PID when the table does not have it
     */
    void signal(long pid, Signal signal);

    /**
     * Completes with the process's status once it has ended: its threads gone, its class loader
     * released. At its home (or where it runs) as soon as it ends; on other vnodes once their
     * view of the cluster's tables shows its end.
     *
     * @throws IllegalArgumentException naming the PID when the table does not have it
     */
    CompletableFuture<ExitStatus> onExit(long pid);
}
