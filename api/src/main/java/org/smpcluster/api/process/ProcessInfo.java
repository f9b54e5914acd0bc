package org.smpcluster.api.process;

import java.util.Optional;

/**
 * A process as its table shows it, at one moment.
 *
 * @param pid            unique in the cluster: {@code homeVnode * 1_000_000 + n} (see
 *                       {@link ProcessManager#PID_RANGE})
 * @param parent         the parent's PID, 0 for none
 * @param name           the name people see
 * @param homeVnode      the vnode it was started on, which serves its home-bound calls
 * @param currentVnode   the vnode it runs on now (its home until it migrates)
 * @param state          where it is in its life
 * @param cpuNanos       CPU time of all its threads, ended ones included
 * @param allocatedBytes bytes all its threads allocated on the heap so far (a total, not what is live)
 * @param startedMillis  when it started, epoch milliseconds
 * @param exit           how it ended, once {@link ProcessState#EXITED}
 * @param cantMove       why it cannot migrate ({@code not migratable}, ...), or empty when it can
 */
public record ProcessInfo(long pid, long parent, String name, int homeVnode, int currentVnode, ProcessState state,
        long cpuNanos, long allocatedBytes, long startedMillis, Optional<ExitStatus> exit, String cantMove) {
}
