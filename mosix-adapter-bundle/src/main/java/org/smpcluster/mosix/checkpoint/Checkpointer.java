package org.smpcluster.mosix.checkpoint;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.mosix.proc.Frozen;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.proc.Resume;

/**
 * Checkpoints of the processes that run on this vnode: on demand ({@link #checkpoint}) and every
 * {@code -A} interval for those started with {@code -C FILE -A SECONDS} (one kernel thread per
 * vnode looks at the table's specs every {@link #TICK_MILLIS}). A checkpoint is migration's
 * freeze and capture (a {@link Frozen}) written to a file, with the process thawed before the
 * write, so it stops only for as long as its {@code Migratable.checkpoint()} takes. It runs where
 * the process runs: after a move or a restart the vnode it went to takes over its interval.
 */
public final class Checkpointer implements AutoCloseable {

    /** How long a process has to reach a safe point for a checkpoint. */
    static final long FREEZE_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final long TICK_MILLIS = 20;

    private static final System.Logger LOG = System.getLogger(Checkpointer.class.getName());

    private final ProcessTable table;
    private final Thread thread;
    /** The loop's own: when each periodic process is due next (nanoTime), and its last failure said. */
    private final Map<Long, Long> due = new HashMap<>();
    private final Map<Long, String> said = new HashMap<>();
    private volatile boolean closed;

    public Checkpointer(ProcessTable table, BiFunction<String, Runnable, Thread> threads) {
        this.table = table;
        this.thread = threads.apply("mosix checkpointer", this::loop);
        thread.start();
    }

    /**
     * Freezes {@code pid} (running here) at a safe point, takes its state, thaws it and writes the
     * checkpoint to {@code file} (null: its {@code -C} file).
     *
     * @throws IllegalArgumentException why it cannot be checkpointed (its cantmove), or the file's error
     */
    public Path checkpoint(long pid, Path file) {
        if (file == null) {
            ProcessSpec s = table.specs().get(pid);
            file = s != null ? s.checkpointFile() : null;
            if (file == null) {
                throw new IllegalArgumentException("pid=" + pid + (s == null ? " does not run here" : " has no checkpoint"
                        + " file: give one (mosix:checkpoint PID FILE), or start it with -C FILE"));
            }
        }
        Frozen f;
        try {
            f = table.freeze(pid, FREEZE_NANOS);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pid=" + pid + " cannot be checkpointed: " + e.getMessage(), e);
        }
        // A copy while it is frozen: checkpoint() may hand over the array it goes on writing to
        // (migration ships before it thaws; a checkpoint writes after), and a torn state is no state.
        byte[] state;
        try {
            state = f.resume().state().clone();
        } finally {
            table.thaw(pid); // the state is taken: it runs on while the file is written
        }
        f = new Frozen(f.pid(), f.home(), f.spec(), new Resume(state, f.resume().cpuNanos(), f.resume().allocatedBytes(),
                f.resume().startedMillis()));
        try {
            CheckpointFile.write(file, f, System.currentTimeMillis());
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return file;
    }

    private void loop() {
        while (!closed) {
            long now = System.nanoTime();
            Map<Long, ProcessSpec> specs = table.specs();
            due.keySet().retainAll(specs.keySet());
            said.keySet().retainAll(specs.keySet());
            for (Map.Entry<Long, ProcessSpec> e : specs.entrySet()) {
                ProcessSpec s = e.getValue();
                if (s.checkpointInterval() == null || s.checkpointFile() == null) {
                    continue;
                }
                long every = s.checkpointInterval().toNanos();
                long pid = e.getKey();
                long next = due.computeIfAbsent(pid, p -> now + every);
                if (now - next < 0) {
                    continue;
                }
                try {
                    checkpoint(pid, s.checkpointFile());
                    due.put(pid, System.nanoTime() + every);
                    said.remove(pid);
                } catch (IllegalArgumentException failed) {
                    // Not migratable yet (main has not declared it), moving, ending: try again next
                    // interval; say each different reason once, not every interval.
                    due.put(pid, System.nanoTime() + every);
                    if (!failed.getMessage().equals(said.put(pid, failed.getMessage()))) {
                        LOG.log(System.Logger.Level.INFO, "periodic checkpoint: " + failed.getMessage());
                    }
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS));
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
