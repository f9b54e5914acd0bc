package org.smpcluster.nanokernel.mem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.HeaderDescriptor;

/**
 * The cluster's physical memory: one file under {@code /dev/shm}, mapped whole by every vnode.
 * The root {@link #create creates} it and lays out the control area; joiners {@link #attach}
 * once the root has published the header.
 */
public final class Physmem implements AutoCloseable {

    /** Where physical memory files live unless told otherwise. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/dev/shm");
    /** A root whose heartbeat is older than this is taken for dead. */
    public static final Duration ROOT_HEARTBEAT_STALE = Duration.ofSeconds(3);

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,47}");

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final boolean owner;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Physmem(Path path, Arena arena, MemorySegment segment, boolean owner) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.owner = owner;
        // A root stopped by a signal (SIGTERM, a ^C the terminal sends as SIGINT) may not get to
        // close its kernel: the file must not outlive it all the same.
        this.exitHook = owner ? new Thread(() -> deleteQuietly(path), "physmem-cleanup") : null;
        if (exitHook != null) {
            Runtime.getRuntime().addShutdownHook(exitHook);
        }
    }

    private final Thread exitHook;

    /** The file of cluster {@code cluster} in {@code directory}: {@code smpcluster-<cluster>}. */
    public static Path pathOf(Path directory, String cluster) {
        if (cluster == null || !CLUSTER_NAME.matcher(cluster).matches()) {
            throw new IllegalArgumentException("cluster name '" + cluster + "' must be 1 to 48 letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit");
        }
        return directory.resolve("smpcluster-" + cluster);
    }

    /**
     * Root: creates the physical memory of {@code cluster}, {@code size} bytes (whole pages, at
     * least the control area and one page), lays out the control area and publishes it. A file
     * left by a dead root is replaced; one with a live root is refused.
     */
    public static Physmem create(Path directory, String cluster, long size) {
        Path path = pathOf(directory, cluster);
        long minimum = ControlArea.SIZE + ControlArea.PAGE_SIZE;
        if (size < minimum || size % ControlArea.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("physmem size=" + size + " must be a multiple of "
                    + ControlArea.PAGE_SIZE + " and at least " + minimum);
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            refuseForeign(path, cluster);
            String live = liveRoot(path);
            if (live != null) {
                throw new ClusterUnavailableException("cluster '" + cluster + "' is running: " + live
                        + "; stop it or choose another cluster name");
            }
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the stale physmem file " + path, e);
            }
        }
        Arena arena = Arena.ofShared();
        // The owner's alone (0600): the file holds every vnode's memory, page cache and consoles
        // included. O_EXCL and no link following: whatever appears at the path meanwhile is refused.
        try (FileChannel channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
            // The umask can only take bits away; set it all the same, as the guarantee.
            Files.setPosixFilePermissions(path, OWNER_ONLY);
            channel.truncate(size);
            // tmpfs files grow sparse; extend to the size so the mapping covers real pages.
            channel.write(java.nio.ByteBuffer.wrap(new byte[1]), size - 1);
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            HeaderDescriptor.write(segment, cluster, ControlArea.PAGE_SIZE, size, ControlArea.SIZE,
                    ProcessHandle.current().pid(), System.currentTimeMillis(), System.nanoTime());
            HeaderDescriptor.publish(segment);
            return new Physmem(path, arena, segment, true);
        } catch (FileAlreadyExistsException e) {
            arena.close();
            // Another process created it between our look and our create: not ours to delete.
            throw new ClusterUnavailableException("cluster '" + cluster + "': " + path
                    + " appeared while this root was creating it; choose another cluster name");
        } catch (IOException e) {
            arena.close();
            deleteQuietly(path);
            throw new UncheckedIOException("cannot create the physmem file " + path + " of " + size + " bytes", e);
        } catch (RuntimeException e) {
            arena.close();
            deleteQuietly(path);
            throw e;
        }
    }

    /**
     * Joiner: waits up to {@code deadline} for the root to publish the physical memory of
     * {@code cluster}, then maps it and checks version, size and the root's heartbeat.
     */
    public static Physmem attach(Path directory, String cluster, Duration deadline) {
        Path path = pathOf(directory, cluster);
        long end = System.nanoTime() + deadline.toNanos();
        long spins = 0;
        while (true) {
            Physmem attached = tryAttach(path, cluster);
            if (attached != null) {
                return attached;
            }
            if (System.nanoTime() - end > 0) {
                throw new IllegalStateException("no root published cluster '" + cluster + "' at " + path
                        + " within " + deadline.toMillis() + " ms; is its root vnode running?");
            }
            // Spin first (the root is usually microseconds from publishing), then back off.
            if (++spins < 1000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(200_000);
            }
        }
    }

    /** Null while the file is missing or unpublished; otherwise the checked mapping. */
    private static Physmem tryAttach(Path path, String cluster) {
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
        if (size < HeaderDescriptor.LENGTH) {
            return null;
        }
        refuseForeign(path, cluster); // joining another user's file would hand it this vnode's memory
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            int version = HeaderDescriptor.layoutVersion(segment);
            if (version == 0) {
                arena.close();
                return null;
            }
            String problem = check(segment, size, cluster, version);
            if (problem != null) {
                throw new IllegalStateException("cannot join cluster '" + cluster + "' at " + path + ": " + problem);
            }
            return new Physmem(path, arena, segment, false);
        } catch (NoSuchFileException e) {
            arena.close();
            return null;
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map " + path, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    static String check(MemorySegment segment, long fileSize, String cluster, int version) {
        if (HeaderDescriptor.magic(segment) != HeaderDescriptor.MAGIC) {
            return "not an smpcluster physmem file (bad magic)";
        }
        if (version != HeaderDescriptor.LAYOUT_VERSION) {
            return "layout version " + version + ", this nanokernel speaks " + HeaderDescriptor.LAYOUT_VERSION;
        }
        if (HeaderDescriptor.physmemSize(segment) != fileSize) {
            return "header says " + HeaderDescriptor.physmemSize(segment) + " bytes, the file has " + fileSize;
        }
        if (!cluster.equals(HeaderDescriptor.clusterName(segment))) {
            return "the file belongs to cluster '" + HeaderDescriptor.clusterName(segment) + "'";
        }
        long age = System.nanoTime() - HeaderDescriptor.rootHeartbeat(segment);
        if (age > ROOT_HEARTBEAT_STALE.toNanos()) {
            return "the root's heartbeat is " + age / 1_000_000 + " ms old (root pid "
                    + HeaderDescriptor.rootPid(segment) + " is dead or hung)";
        }
        return null;
    }

    /**
     * Refuses a file at {@code path} that this process's user does not own (a cluster name
     * squatted by another local user, or a link), in one line that names its owner.
     */
    static void refuseForeign(Path path, String cluster) {
        try {
            if (Files.isSymbolicLink(path)) {
                throw new ClusterUnavailableException("cluster '" + cluster + "': " + path
                        + " is a symbolic link, not a physmem file; remove it or choose another cluster name");
            }
            int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int me = myUid();
            if (owner != me) {
                String name = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
                throw new ClusterUnavailableException("cluster '" + cluster + "' is taken by another user: " + path
                        + " belongs to user '" + name + "' (uid " + owner + "), not to you (uid " + me
                        + "); choose another cluster name (--cluster NAME) or ask " + name + " to remove it");
            }
        } catch (NoSuchFileException gone) {
            // removed meanwhile: nothing to refuse
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tell who owns " + path, e);
        }
    }

    /** This process's (effective) user id: Linux makes /proc/self its owner's. */
    static int myUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** A description of the live root of an existing file, or null if it has none. */
    private static String liveRoot(Path path) {
        try (Arena arena = Arena.ofConfined();
                FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < HeaderDescriptor.LENGTH) {
                return null;
            }
            MemorySegment header = channel.map(FileChannel.MapMode.READ_ONLY, 0, HeaderDescriptor.LENGTH, arena);
            if (HeaderDescriptor.magic(header) != HeaderDescriptor.MAGIC || HeaderDescriptor.layoutVersion(header) == 0) {
                return null;
            }
            long pid = HeaderDescriptor.rootPid(header);
            long age = System.nanoTime() - HeaderDescriptor.rootHeartbeat(header);
            boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            return alive && age < ROOT_HEARTBEAT_STALE.toNanos() ? "root pid " + pid + " is alive" : null;
        } catch (IOException e) {
            return null;
        }
    }

    public Path path() {
        return path;
    }

    /** The whole physical memory. Only the nanokernel uses it; users get bridge slices. */
    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    /** Unmaps; the root also removes the file. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // A thread may be in the middle of a short access that holds the arena (a futex wake
        // passing the doorbell word): let it finish rather than fail the shutdown.
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            try {
                arena.close();
                break;
            } catch (IllegalStateException busy) {
                if (System.nanoTime() > deadline) {
                    throw busy;
                }
                LockSupport.parkNanos(100_000);
            }
        }
        if (owner) {
            deleteQuietly(path);
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs, or ran, anyway: it finds no file
            }
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            System.getLogger(Physmem.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot remove the physmem file " + path, e);
        }
    }
}
