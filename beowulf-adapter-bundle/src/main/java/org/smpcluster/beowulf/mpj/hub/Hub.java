package org.smpcluster.beowulf.mpj.hub;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the ranks of in-JVM jobs meet. Every rank has its own class loader (so the {@code mpi}
 * statics are per rank), but this package is loaded once, by the loader that runs the ranks, and
 * seen by every rank loader through {@link RankLoader}; that is why its types talk to the ranks in
 * JDK types and hub types only.
 *
 * <p>A launcher binds a rank's environment ({@code MPJ_RANK}, {@code MPJ_SIZE}, {@code MPJ_JOB},
 * {@code MPJ_DEV}) to the rank's main thread with {@link #bind}; threads the rank starts inherit it.
 * {@code MPI.Init} reads it there first and falls back to the process environment.
 */
public final class Hub {

    private static final Map<String, Job> JOBS = new ConcurrentHashMap<>();
    private static final InheritableThreadLocal<Map<String, String>> ENVIRONMENT = new InheritableThreadLocal<>();

    private Hub() {
    }

    /**
     * The job called {@code id}, created with {@code size} ranks on first use.
     *
     * @throws IllegalArgumentException if the job exists with another size, or size is below 1
     */
    public static Job job(String id, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("job size must be at least 1: MPJ_SIZE=" + size);
        }
        Job job = JOBS.computeIfAbsent(id, name -> new Job(name, size));
        if (job.size() != size) {
            throw new IllegalArgumentException("job " + id + " has " + job.size() + " ranks, not MPJ_SIZE=" + size);
        }
        return job;
    }

    /** A job of one rank that no other rank can join (a program started without a launcher). */
    public static Job singleton() {
        return new Job("singleton", 1);
    }

    /** Forgets the job (its launcher calls this when every rank has ended). */
    public static void remove(String id) {
        JOBS.remove(id);
    }

    /** Binds the environment a rank's {@code MPI.Init} reads to this thread and the threads it starts. */
    public static void bind(Map<String, String> environment) {
        ENVIRONMENT.set(Map.copyOf(environment));
    }

    /** Removes the binding of {@link #bind}. */
    public static void unbind() {
        ENVIRONMENT.remove();
    }

    /** The environment bound to this thread, or null. */
    public static Map<String, String> environment() {
        return ENVIRONMENT.get();
    }
}
