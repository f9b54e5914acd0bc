/**
 * The device SPI under the {@code mpi} package: point-to-point transfer of typed payloads with
 * (context, source, tag) envelopes, matched in MPI order with wildcards, probes, cancels and
 * synchronous completion. {@code mpi} builds everything else (datatypes, collectives, communicators)
 * over it, so a device only moves messages. This package, {@code mpi} and {@code mpjbuf} make up
 * {@code mpj.jar}, which is on every rank's class path; the bundle does not export them.
 *
 * <p>How a rank finds its device: {@link org.smpcluster.beowulf.mpj.Devices#open} reads
 * {@code MPJ_DEV} ({@code local}, the default, for ranks in one JVM), {@code MPJ_JOB} (the job's id),
 * {@code MPJ_RANK} and {@code MPJ_SIZE} from the environment bound by the launcher
 * ({@link org.smpcluster.beowulf.mpj.hub.Hub#bind}), else from the process environment. With none of
 * them set, the program runs as a job of one rank.
 */
package org.smpcluster.beowulf.mpj;
