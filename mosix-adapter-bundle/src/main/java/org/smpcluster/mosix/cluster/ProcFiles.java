package org.smpcluster.mosix.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessSpec;

/**
 * The cluster-wide /proc as real files on the host, in openMosix's layout, under one directory
 * per cluster beside its physical memory ({@code /dev/shm/smpcluster-NAME.proc}, 0700, owner
 * only, as the physmem file is 0600):
 *
 * <pre>
 * smpcluster-NAME.proc/
 *   hpc/nodes/N/{load,cpus,mem,status}      written by vnode N
 *   PID/{where,cantmove,migrate,stat,status} written by the process's home vnode
 * </pre>
 *
 * Contents are {@link ProcFs}'s ({@code mosix:proc PATH} shows the same). Each vnode writes the
 * files of its own node and of the processes whose home it is (a process away from home is its
 * deputy's business, and the deputy knows where it runs), from memory at every 100 ms sample,
 * and only the files whose content changed, each by an atomic replace (a reader sees the old
 * file or the new one, never half). A process's directory goes when its home's table drops it.
 *
 * <p>{@code migrate} is writable, as openMosix's was: {@code echo 1 > PID/migrate} (a vnode id,
 * {@code home} or {@code best}) moves the process; a watch on each process directory sees the
 * write, and the home migrates it (a refusal is said on the vnode's stderr, its log). Reading it
 * gives the vnode the process runs on.
 *
 * <p>The root makes the directory when it starts (sweeping a stale one a killed root left, once
 * it has checked that it is a directory of this user's, not a link) and removes it at its
 * orderly shutdown; the other vnodes write into it while it is there and remove their own files
 * when they stop. Every process gets the directory in its environment as {@link #ENV}.
 */
public final class ProcFiles implements AutoCloseable {

    /** The environment variable that tells a process where the files are. */
    public static final String ENV = "SMPCLUSTER_PROC";
    static final long SAMPLE_MILLIS = 100;
    static final String[] NODE_FILES = {"load", "cpus", "mem", "status"};
    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final System.Logger LOG = System.getLogger(ProcFiles.class.getName());

    private final MosixNode node;
    private final int self;
    private final boolean root;
    private final Path dir;
    private final WatchService watch;
    private final Map<Path, String> written = new HashMap<>(); // guarded by this
    private final Map<Long, WatchKey> processes = new HashMap<>(); // guarded by this
    private final Map<WatchKey, Long> watched = new ConcurrentHashMap<>();
    private final Thread sampler;
    private final Thread watcher;
    private volatile boolean running = true;

    /** The files' directory for the cluster whose physical memory is {@code physmemPath}. */
    public static Path directoryOf(String physmemPath) {
        return Path.of(physmemPath + ".proc");
    }

    /**
     * Starts writing this vnode's files under {@code dir}: the root ({@code self == 0}) makes the
     * directory, sweeping a stale one; another vnode needs it there.
     *
     * @throws IOException when the directory cannot be made, is not this user's own directory,
     *                     or (not the root) is missing
     */
    public ProcFiles(MosixNode node, int self, Path dir, BiFunction<String, Runnable, Thread> threads)
            throws IOException {
        this.node = node;
        this.self = self;
        this.root = self == 0;
        this.dir = dir;
        if (root) {
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                checkOwn(dir);
                LOG.log(System.Logger.Level.INFO, "mosix: sweeping the stale " + dir + " a previous root left");
                deleteTree(dir);
            }
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
            Files.setPosixFilePermissions(dir, DIRECTORY); // the umask may have taken some away
        } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(dir.toString(), null, "the root makes it when it starts; it is not there");
        } else {
            checkOwn(dir);
        }
        this.watch = FileSystems.getDefault().newWatchService();
        this.sampler = threads.apply("mosix /proc files", this::sample);
        this.watcher = threads.apply("mosix /proc migrate watch", this::watchMigrate);
        sampler.start();
        watcher.start();
    }

    public Path directory() {
        return dir;
    }

    /** {@code spec} with {@link #ENV} in its environment (its own, or a copy of this vnode's). */
    public ProcessSpec withEnvironment(ProcessSpec spec) {
        Map<String, String> env = new HashMap<>(spec.environment() != null ? spec.environment() : System.getenv());
        env.putIfAbsent(ENV, dir.toString());
        return spec.withEnvironment(env);
    }

    private static void checkOwn(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory (a link or a file): the cluster's /proc files need it;"
                    + " remove it");
        }
        String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(System.getProperty("user.name"))) {
            throw new IOException(dir + " belongs to " + owner + ", not to " + System.getProperty("user.name")
                    + ": another user's cluster of the same name; use another --cluster name");
        }
    }

    /** The duty cycle: the files follow the tables every {@link #SAMPLE_MILLIS}. */
    private void sample() {
        while (running) {
            try {
                refresh();
            } catch (IOException | UncheckedIOException | IllegalStateException e) {
                if (running && Files.isDirectory(dir)) {
                    LOG.log(System.Logger.Level.WARNING, "mosix: cannot update " + dir + ": " + e);
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS));
        }
    }

    /** Brings every file of this vnode up to date now. */
    public synchronized void refresh() throws IOException {
        if (!running || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return; // the root removed it: the cluster is going down
        }
        ProcFs fs = node.procFs();
        Path nodeDir = dir.resolve("hpc/nodes/" + self);
        for (String f : NODE_FILES) {
            String content;
            try {
                content = fs.read("/proc/hpc/nodes/" + self + "/" + f);
            } catch (IllegalArgumentException notYet) {
                content = f.equals("status") ? "up\n" : "\n"; // its load not published yet: the first sample will
            }
            put(nodeDir, f, content);
        }
        Set<Long> seen = new HashSet<>();
        for (ProcessInfo p : node.processes()) {
            if (p.homeVnode() != self) {
                continue;
            }
            seen.add(p.pid());
            Path pd = dir.resolve(Long.toString(p.pid()));
            if (!processes.containsKey(p.pid())) {
                Files.createDirectories(pd);
                Files.setPosixFilePermissions(pd, DIRECTORY);
                WatchKey key = pd.register(watch, StandardWatchEventKinds.ENTRY_MODIFY);
                processes.put(p.pid(), key);
                watched.put(key, p.pid());
            }
            put(pd, "where", ProcFs.where(p));
            put(pd, "migrate", ProcFs.where(p));
            put(pd, "cantmove", ProcFs.cantmove(p));
            put(pd, "stat", ProcFs.stat(p));
            put(pd, "status", ProcFs.status(p));
        }
        for (Long pid : List.copyOf(processes.keySet())) {
            if (!seen.contains(pid)) {
                forget(pid);
            }
        }
    }

    /** The process left its home's table: its directory goes. */
    private void forget(long pid) throws IOException {
        WatchKey key = processes.remove(pid);
        if (key != null) {
            key.cancel();
            watched.remove(key);
        }
        Path pd = dir.resolve(Long.toString(pid));
        written.keySet().removeIf(p -> p.startsWith(pd));
        deleteTree(pd);
    }

    /** Writes {@code dir/name} if its content changed: a temporary file, then an atomic rename over it. */
    private void put(Path in, String name, String content) throws IOException {
        Path file = in.resolve(name);
        if (content.equals(written.get(file))) {
            return;
        }
        Files.createDirectories(in);
        Path tmp = in.resolve("." + name + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(tmp, FILE);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        written.put(file, content);
    }

    /**
     * A person's write to a {@code migrate} file: an in-place write (ours are renames, which the
     * watch reports as a creation, not a modification) with content other than what we wrote.
     */
    private void watchMigrate() {
        while (running) {
            WatchKey key;
            try {
                key = watch.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            } catch (java.nio.file.ClosedWatchServiceException closed) {
                return;
            }
            if (key == null) {
                continue;
            }
            Long pid = watched.get(key);
            for (WatchEvent<?> e : key.pollEvents()) {
                if (pid != null && e.context() instanceof Path name && name.toString().equals("migrate")) {
                    requested(pid, dir.resolve(Long.toString(pid)).resolve("migrate"));
                }
            }
            key.reset();
        }
    }

    private void requested(long pid, Path file) {
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (IOException gone) {
            return; // the process's directory went (it was dropped) between the write and now
        }
        String ours;
        synchronized (this) {
            ours = written.getOrDefault(file, "").strip();
        }
        if (text.isEmpty() || text.equals(ours)) {
            return; // the truncation before a write, or the file as we wrote it
        }
        Placement where;
        try {
            where = Placement.parse(text);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "mosix: " + file + ": " + e.getMessage());
            restore(file);
            return;
        }
        // migrate() returns once the process runs there: not on the watch's thread.
        Thread.ofVirtual().name("mosix /proc migrate " + pid).start(() -> {
            try {
                node.migrate(pid, where);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "mosix: " + file + ": " + e.getMessage());
            }
            restore(file);
        });
    }

    /** The next refresh writes {@code file} again, whatever it holds now. */
    private void restore(Path file) {
        synchronized (this) {
            written.remove(file);
        }
        try {
            refresh();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "mosix: cannot update " + file + ": " + e);
        }
    }

    /** Stops writing; the root removes the whole directory, another vnode its own files. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(sampler);
        try {
            watch.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "mosix: closing the /proc watch: " + e);
        }
        try {
            sampler.join(TimeUnit.SECONDS.toMillis(2));
            watcher.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            try {
                if (root) {
                    deleteTree(dir);
                } else {
                    for (Long pid : List.copyOf(processes.keySet())) {
                        forget(pid);
                    }
                    deleteTree(dir.resolve("hpc/nodes/" + self));
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "mosix: cannot remove " + dir + ": " + e);
            }
        }
    }

    /** Removes {@code top} and everything under it; what another vnode adds meanwhile is taken again. */
    static void deleteTree(Path top) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try (Stream<Path> s = Files.walk(top)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
                return;
            } catch (DirectoryNotEmptyException | NoSuchFileException | UncheckedIOException raced) {
                // a vnode wrote (or removed) a file while we walked: walk again
            }
        }
        throw new IOException("cannot remove " + top + ": vnodes keep writing into it");
    }
}
