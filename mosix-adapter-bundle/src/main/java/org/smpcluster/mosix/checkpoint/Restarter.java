package org.smpcluster.mosix.checkpoint;

import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.mosix.proc.Frozen;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.remote.Deputies;

/**
 * Restarts from checkpoint files, at a home: on demand ({@link #restart}) and when the vnode
 * where one of its checkpointed processes ran goes down ({@link Deputies.Restarter}).
 *
 * <p><b>The PID of a restarted process.</b> A PID names its home (the home routes its signals and
 * its {@code wait}), so a restart keeps the PID exactly when the vnode that restarts it is the
 * PID's home and no table here knows that PID any more (a restart after a vnode's death always
 * is: the deputy kept it). Otherwise (a restart by another vnode, or the old process still
 * remembered here, ended or running) it gets a new PID of the restarting vnode, which becomes its
 * home.
 */
public final class Restarter implements Deputies.Restarter {

    private static final System.Logger LOG = System.getLogger(Restarter.class.getName());

    private final int self;
    private final ProcessTable table;
    private final Deputies deputies;
    private final IntSupplier best;
    private final Supplier<Function<URI, Path>> paths;
    /** This home's processes that have a checkpoint file (-C, or the last one asked for), until they end. */
    private final Map<Long, Path> files = new ConcurrentHashMap<>();

    /**
     * @param best  the best vnode to run on now (of those up, this one included)
     * @param paths how URIs in a checkpoint become paths here (host paths; the vfs's when it is there)
     */
    public Restarter(int self, ProcessTable table, Deputies deputies, IntSupplier best,
            Supplier<Function<URI, Path>> paths) {
        this.self = self;
        this.table = table;
        this.deputies = deputies;
        this.best = best;
        this.paths = paths;
    }

    /** {@code pid}, of this home, has its checkpoints in {@code file}; forgotten when {@code ends} completes. */
    public void remember(long pid, Path file, java.util.concurrent.CompletableFuture<?> ends) {
        files.put(pid, file);
        ends.whenComplete((s, failure) -> files.remove(pid, file));
    }

    /** The file a process of this home checkpoints to; null when none is known. */
    public Path fileOf(long pid) {
        return files.get(pid);
    }

    /**
     * Starts a process again from {@code file} on {@code target}, with its stdio {@code out} and
     * {@code err} (it has no stdin).
     *
     * @throws IllegalArgumentException a broken file (which way it is broken), a vnode not up
     */
    public ProcessInfo restart(Path file, int target, OutputStream out, OutputStream err) {
        CheckpointFile.Checkpoint c = CheckpointFile.read(file, paths.get());
        Frozen f = c.frozen();
        long pid = f.pid();
        boolean same = ProcessManager.homeOf(pid) == self && !deputies.isDeputy(pid) && table.reserve(pid);
        if (!same) {
            pid = table.reserveDeputyPid();
        }
        Frozen as = new Frozen(pid, self, f.spec(), f.resume());
        try {
            ProcessInfo i = deputies.restart(as, target, out, err);
            if (as.spec().checkpointFile() != null) {
                remember(pid, as.spec().checkpointFile(), onExit(pid));
            }
            return i;
        } catch (RuntimeException e) {
            table.releasePid(pid);
            throw e;
        }
    }

    private java.util.concurrent.CompletableFuture<?> onExit(long pid) {
        java.util.concurrent.CompletableFuture<?> d = deputies.onExit(pid);
        return d != null ? d : table.onExit(pid);
    }

    @Override
    public boolean lost(long pid, int where) {
        Path file = files.get(pid);
        if (file == null || !Files.exists(file)) {
            return false; // no checkpoint: lost, as the deputy says
        }
        Thread t = new Thread(() -> {
            try {
                restartLost(pid, where, file);
            } catch (RuntimeException | Error e) {
                // The deputy waits in "restarting" for restart() or lost(): never leave it there.
                deputies.lost(pid, "lost: vnode " + where + " where it ran went down; its restart failed: " + e);
                throw e;
            }
        }, "mosix restart " + pid);
        t.setDaemon(true);
        t.start();
        return true;
    }

    private void restartLost(long pid, int where, Path file) {
        String lost = "lost: vnode " + where + " where it ran went down";
        Frozen f;
        try {
            f = CheckpointFile.read(file, paths.get()).frozen();
            if (f.pid() != pid) {
                throw new IllegalArgumentException("file=" + file + " is the checkpoint of pid " + f.pid() + ", not " + pid);
            }
        } catch (IllegalArgumentException e) {
            deputies.lost(pid, lost + "; no restart: " + e.getMessage());
            return;
        }
        // The best vnode now, then home: home is up (it is this one), so a restart has somewhere to go.
        int first = best.getAsInt();
        String failed = "";
        for (int target : first == self ? new int[] {self} : new int[] {first, self}) {
            try {
                ProcessInfo i = deputies.restart(f, target, null, null);
                LOG.log(System.Logger.Level.INFO, "pid " + pid + ": " + lost + "; restarted on vnode " + i.currentVnode()
                        + " from " + file);
                return;
            } catch (RuntimeException e) {
                failed += "; on vnode " + target + ": " + e.getMessage();
            }
        }
        deputies.lost(pid, lost + "; its restart from " + file + " failed" + failed);
    }
}
