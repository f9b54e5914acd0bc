package org.smpcluster.api.process;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to run and with what: the program (class path and main class) and the process's
 * surroundings. Build one with {@link #of(String, Path...)} or {@link #jar(Path)} and the
 * withers.
 *
 * @param classPath   the program's jars and directories, read through {@link java.nio.file.Files},
 *                    so a {@code Path} of any file system works (host paths now, {@code vfs:} paths
 *                    once the cluster filesystem provides them); never empty
 * @param mainClass   the class whose {@code main} runs; null: the {@code Main-Class} of the first
 *                    jar's manifest
 * @param args        the program's arguments
 * @param workingDirectory the process's working directory ({@code user.dir} as the program sees it);
 *                    null: the vnode's
 * @param environment the process's environment ({@code System.getenv()} as the program sees it);
 *                    null: the vnode's own
 * @param stdin       the process's standard input; null: empty
 * @param stdout      its standard output; null: the vnode's console (the vnode's own
 *                    {@code System.out})
 * @param stderr      its standard error; null: the vnode's console ({@code System.err})
 * @param name        the name people see ({@code ps}), also its main thread's; null: the main
 *                    class's simple name
 * @param parent      the parent's PID; 0 when started by the kernel or a person
 * @param locked      MOSIX's {@code mosrun -L}: the load balancer and the memory usher never move it
 *                    on their own ({@code migrate} still does when asked)
 * @param checkpointFile where checkpoints of it are written ({@code mosrun -C}): a {@code vfs:} path,
 *                    so that any vnode can restart it, or a host path; null: none unless asked for
 *                    with a file
 * @param checkpointInterval how often it is checkpointed to {@code checkpointFile} ({@code mosrun -A});
 *                    null: only on demand
 */
public record ProcessSpec(List<Path> classPath, String mainClass, List<String> args, Path workingDirectory,
        Map<String, String> environment, InputStream stdin, OutputStream stdout, OutputStream stderr, String name,
        long parent, boolean locked, Path checkpointFile, Duration checkpointInterval) {

    public ProcessSpec {
        Objects.requireNonNull(classPath, "classPath");
        classPath = List.copyOf(classPath);
        if (classPath.isEmpty()) {
            throw new IllegalArgumentException("classPath is empty: name at least one jar or directory");
        }
        args = args == null ? List.of() : List.copyOf(args);
        environment = environment == null ? null : Map.copyOf(environment);
        if (parent < 0) {
            throw new IllegalArgumentException("parent=" + parent + " is not a PID (0 for none)");
        }
        if (checkpointInterval != null) {
            if (checkpointFile == null) {
                throw new IllegalArgumentException("checkpointInterval=" + checkpointInterval
                        + " needs a checkpointFile to write to");
            }
            if (checkpointInterval.isNegative() || checkpointInterval.isZero()) {
                throw new IllegalArgumentException("checkpointInterval=" + checkpointInterval + " is not positive");
            }
        }
    }

    /** Run {@code mainClass} from {@code classPath}. */
    public static ProcessSpec of(String mainClass, Path... classPath) {
        Objects.requireNonNull(mainClass, "mainClass");
        return new ProcessSpec(List.of(classPath), mainClass, List.of(), null, null, null, null, null, null, 0, false,
                null, null);
    }

    /** Run a jar's {@code Main-Class}. */
    public static ProcessSpec jar(Path jar) {
        return new ProcessSpec(List.of(jar), null, List.of(), null, null, null, null, null, null, 0, false,
                null, null);
    }

    public ProcessSpec withClassPath(List<Path> cp) {
        return new ProcessSpec(cp, mainClass, args, workingDirectory, environment, stdin, stdout, stderr,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withMainClass(String c) {
        return new ProcessSpec(classPath, c, args, workingDirectory, environment, stdin, stdout, stderr,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withArgs(String... a) {
        return withArgs(List.of(a));
    }

    public ProcessSpec withArgs(List<String> a) {
        return new ProcessSpec(classPath, mainClass, a, workingDirectory, environment, stdin, stdout, stderr,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withWorkingDirectory(Path d) {
        return new ProcessSpec(classPath, mainClass, args, d, environment, stdin, stdout, stderr,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withEnvironment(Map<String, String> e) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, e, stdin, stdout, stderr,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withStdin(InputStream in) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, environment, in, stdout, stderr,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withStdout(OutputStream out) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, environment, stdin, out, stderr,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withStderr(OutputStream err) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, environment, stdin, stdout, err,
                name, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withName(String n) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, environment, stdin, stdout, stderr,
                n, parent, locked, checkpointFile, checkpointInterval);
    }

    public ProcessSpec withParent(long p) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, environment, stdin, stdout, stderr,
                name, p, locked, checkpointFile, checkpointInterval);
    }

    /** MOSIX's {@code -L}: never moved by the balancer or the memory usher, only when asked. */
    public ProcessSpec withLocked(boolean l) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, environment, stdin, stdout, stderr, name,
                parent, l, checkpointFile, checkpointInterval);
    }

    /**
     * MOSIX's {@code -C FILE -A SECONDS}: checkpoints go to {@code file}, every {@code every}
     * (null: only when asked for).
     */
    public ProcessSpec withCheckpoints(Path file, Duration every) {
        return new ProcessSpec(classPath, mainClass, args, workingDirectory, environment, stdin, stdout, stderr, name,
                parent, locked, file, every);
    }
}
