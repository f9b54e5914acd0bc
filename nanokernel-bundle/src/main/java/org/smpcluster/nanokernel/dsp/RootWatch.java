package org.smpcluster.nanokernel.dsp;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

import org.smpcluster.nanokernel.layout.HeaderDescriptor;

/**
 * Whether a joiner's root is gone, decided fast and reliably: the root's process (its pid is in
 * the header) has exited, which {@link ProcessHandle} tells at once and without being fooled by
 * a reused pid (it compares start times), or its heartbeat is older than {@code staleNanos}
 * (a root that is stopped or hung). Once gone, always gone: a root never comes back to a
 * cluster it left.
 */
public final class RootWatch {

    private final MemorySegment physmem;
    private final long pid;
    private final Optional<ProcessHandle> process;
    private final long staleNanos;
    private volatile String gone;

    /** Takes the root's process as the header names it now (at join). */
    public RootWatch(MemorySegment physmem, long staleNanos) {
        this.physmem = physmem;
        this.pid = HeaderDescriptor.rootPid(physmem);
        this.process = ProcessHandle.of(pid);
        this.staleNanos = staleNanos;
    }

    /** Null while the root lives; why it is taken for gone otherwise. Looks again (a few microseconds). */
    public String check() {
        String verdict = gone;
        if (verdict != null) {
            return verdict;
        }
        if (process.isEmpty() || !process.get().isAlive()) {
            verdict = "the root's process (pid " + pid + ") has exited";
        } else {
            long age = System.nanoTime() - HeaderDescriptor.rootHeartbeat(physmem);
            if (age > staleNanos) {
                verdict = "the root's heartbeat is " + age / 1_000_000 + " ms old (pid " + pid + " is stopped or hung)";
            }
        }
        if (verdict != null) {
            gone = verdict;
        }
        return verdict;
    }

    /** The last verdict, without looking again: null while the root was last seen alive. */
    public String gone() {
        return gone;
    }

    public long pid() {
        return pid;
    }
}
