package org.smpcluster.vfs.server;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.vfs.cache.CacheLayout;
import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.cache.Op;
import org.smpcluster.vfs.cache.RpcLayout;

/**
 * The root's filesystem server: the central repository (a host directory, the root's storage
 * device) and the manager of the shared page cache and its tokens. Requests arrive in the
 * {@link RpcLayout} slots of each vnode and are served one virtual thread each; everything that
 * touches tokens, frames or inodes runs under one lock. Taking a token away clears the holders'
 * bits first, then drains them (each holder waits for its own in-flight copies, invalidates its
 * mappings and acknowledges), so no vnode ever uses a page it lost. A client's drain never
 * calls the server, which is why the server may wait for it under its lock.
 */
public final class VfsServer implements AutoCloseable {

    /** Portal vector raised on the root when requests or drain acknowledgements are waiting. */
    public static final int VECTOR = org.smpcluster.api.nanokernel.Portals.FIRST_DRIVER_VECTOR + 3;

    /** Portal vector raised on a vnode when its answers or a drain are waiting. */
    public static final int CLIENT_VECTOR = org.smpcluster.api.nanokernel.Portals.FIRST_DRIVER_VECTOR + 4;

    /** The most pages one request may ask for (1 MiB). */
    public static final int MAX_PAGES = 256;

    /** Longest name of one path component, in bytes (as NAME_MAX). */
    public static final int NAME_MAX = 255;

    /** Longest path, in bytes. */
    public static final int PATH_MAX = 1024;

    static final long DRAIN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final int EVICT_BATCH = 64;

    /** How often dirty pages are written back without an fsync (Linux's dirty_expire is 30 s too). */
    static final long WRITEBACK_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static final System.Logger LOG = System.getLogger(VfsServer.class.getName());

    /** Raises a portal vector on a vnode. */
    public interface Raise {
        void raise(int vnode, int vector);
    }

    /** Makes the filesystem's long-running threads (unstarted): on a vnode, its kernel threads, whose death is the vnode's. */
    public interface Threads {
        Thread create(String name, Runnable body);

        /** Plain daemon threads (tests that run the filesystem without a nanokernel's panic). */
        Threads PLATFORM = (name, body) -> Thread.ofPlatform().daemon().name(name).unstarted(body);
    }

    private final Supplier<Path> repositorySource;
    private volatile Beneath repository;
    /** The last refusal of the repository that was logged (one line each, not one per request). */
    private volatile String refused;
    private final Set<String> exports = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Raise raise;
    private final Supplier<List<VnodeState>> vnodes;
    private final Bridge cacheBridge;
    private final Bridge rpcBridge;
    private final CacheLayout cache;
    private final RpcLayout rpc;
    private final long epoch;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Inode> byPath = new HashMap<>();
    private final Map<Long, Inode> byId = new HashMap<>();
    private final ArrayDeque<Integer> freeFrames = new ArrayDeque<>();
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private final long[] drainSeq = new long[RpcLayout.VNODES];
    private final int[] incarnations = new int[RpcLayout.VNODES];
    private long nextId;
    private int clock;
    private long evictions;
    private long revocations;
    private long writebacks;
    private long requests;
    private long failures;

    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("vfs-serve-", 0).factory());
    private final Set<Thread> drainWaiters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Thread dispatcher;
    private volatile boolean closed;

    final class Inode {
        final long id;
        final int slot;
        String path;
        boolean unlinked;
        boolean created;
        FileChannel channel;
        final int[] opens = new int[RpcLayout.VNODES];
        final TreeMap<Long, Integer> pages = new TreeMap<>();

        Inode(long id, int slot, String path) {
            this.id = id;
            this.slot = slot;
            this.path = path;
        }

        int openCount() {
            int n = 0;
            for (int o : opens) {
                n += o;
            }
            return n;
        }

        FileChannel channel() throws IOException {
            if (channel == null) {
                try (Beneath.Pin p = beneath().pin(path)) {
                    channel = FileChannel.open(p.path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
                } catch (Failure f) {
                    throw f.errno().exception(path, null, f.getMessage());
                }
            }
            return channel;
        }
    }

    /**
     * Formats the page cache ({@code frames} pages, {@code inodes} open-file slots) and the
     * request rings, and starts serving.
     */
    public VfsServer(BridgeManager bridges, Raise raise, Supplier<List<VnodeState>> vnodes, Path repository,
            int frames, int inodes) throws IOException {
        this(bridges, raise, vnodes, () -> repository, frames, inodes);
        try {
            beneath();
        } catch (Failure f) {
            close();
            throw f.errno().exception(repository.toString(), null, f.getMessage());
        }
    }

    /**
     * As above, with the repository found when the first request needs it (the root's storage
     * device may be assigned after this vnode's bundles start).
     */
    public VfsServer(BridgeManager bridges, Raise raise, Supplier<List<VnodeState>> vnodes, Supplier<Path> repository,
            int frames, int inodes) throws IOException {
        this(bridges, raise, vnodes, repository, frames, inodes, Threads.PLATFORM);
    }

    /** As above, with the dispatcher thread made by {@code threads} (a kernel thread on a vnode). */
    public VfsServer(BridgeManager bridges, Raise raise, Supplier<List<VnodeState>> vnodes, Supplier<Path> repository,
            int frames, int inodes, Threads threads) throws IOException {
        this.repositorySource = repository;
        this.raise = raise;
        this.vnodes = vnodes;
        this.epoch = System.currentTimeMillis();
        this.nextId = epoch << 16;
        Bridge c = null;
        Bridge r = null;
        try {
            c = bridges.open(CacheLayout.BRIDGE, CacheLayout.size(frames, inodes));
            r = bridges.open(RpcLayout.BRIDGE, RpcLayout.SIZE);
            this.rpc = new RpcLayout(r.segment());
            for (int v = 0; v < RpcLayout.VNODES; v++) {
                drainSeq[v] = rpc.drainSeq(v);
            }
            this.cache = CacheLayout.format(c.segment(), frames, inodes, epoch);
        } catch (RuntimeException e) {
            if (c != null) {
                c.close();
            }
            if (r != null) {
                r.close();
            }
            throw e;
        }
        this.cacheBridge = c;
        this.rpcBridge = r;
        for (int f = 0; f < frames; f++) {
            freeFrames.add(f);
        }
        for (int i = 0; i < inodes; i++) {
            freeSlots.add(i);
        }
        for (VnodeState v : vnodes.get()) {
            if (v.id() < RpcLayout.VNODES) {
                incarnations[v.id()] = VnodeState.JOINED.equals(v.state()) ? v.incarnation() : -1;
            }
        }
        // A new server (a new build of this bundle, or a restarted root's vfs) on a cache that
        // vnodes used: drain them, so each drops its hints and mappings of the old cache before
        // anything is granted anew. A vnode without a client does not answer; it is waited for briefly.
        long users = 0;
        for (int v = 1; v < RpcLayout.VNODES; v++) {
            if (incarnations[v] != -1) {
                users |= 1L << v;
            }
        }
        drain(users, TimeUnit.SECONDS.toNanos(1));
        this.dispatcher = threads.create("vfs-server", this::dispatch);
        dispatcher.start();
        LOG.log(Level.INFO, "vfs server: page cache " + frames + " frames ("
                + (frames * (long) CacheLayout.PAGE >> 20) + " MiB)");
    }

    /** The repository's directory (found, made and checked on first use), or null while it is refused. */
    public Path repository() {
        try {
            return beneath().dir();
        } catch (Failure f) {
            return null;
        }
    }

    /**
     * The repository, opened on first use: made (0700) when missing, refused when it is not a
     * directory this user owns that others cannot write. A refusal is logged once, in one line,
     * and every request answers it until the repository is fixed.
     */
    Beneath beneath() throws Failure {
        Beneath b = repository;
        if (b == null) {
            synchronized (this) {
                if ((b = repository) == null) {
                    Path r;
                    try {
                        r = repositorySource.get().toAbsolutePath().normalize();
                        b = Beneath.open(r);
                    } catch (Failure f) {
                        if (!f.getMessage().equals(refused)) {
                            refused = f.getMessage();
                            LOG.log(Level.WARNING, "vfs server: " + f.getMessage());
                        }
                        throw f;
                    } catch (RuntimeException e) {
                        throw Errno.EACCES.fail("no repository: " + e.getMessage());
                    }
                    if (closed) {
                        b.close();
                        throw Errno.EIO.fail("the filesystem server is closed");
                    }
                    repository = b;
                    LOG.log(Level.INFO, "vfs server: repository " + b.dir());
                }
            }
        }
        return b;
    }

    /** The root's handler of {@link #VECTOR}: requests or acknowledgements are waiting. */
    public void interrupt() {
        LockSupport.unpark(dispatcher);
        for (Thread t : drainWaiters) {
            LockSupport.unpark(t);
        }
    }

    private void dispatch() {
        long nextWatch = 0;
        long nextFlush = System.nanoTime() + WRITEBACK_NANOS;
        long lastWork = System.nanoTime();
        while (!closed) {
            boolean found = false;
            for (int v = 0; v < RpcLayout.VNODES; v++) {
                for (int s = 0; s < RpcLayout.SLOTS; s++) {
                    long w = rpc.stateWord(v, s);
                    if (RpcLayout.state(w) == RpcLayout.REQUEST
                            && rpc.casState(v, s, w, RpcLayout.word(RpcLayout.seq(w), RpcLayout.SERVING))) {
                        int vnode = v;
                        int slot = s;
                        long seq = RpcLayout.seq(w);
                        found = true;
                        if (quick(v, s) && lock.tryLock()) {
                            // served here, one thread hand-off fewer: it needs nothing another vnode must do
                            try {
                                serve(vnode, slot, seq);
                            } finally {
                                lock.unlock();
                            }
                            continue;
                        }
                        try {
                            workers.execute(() -> serve(vnode, slot, seq));
                        } catch (java.util.concurrent.RejectedExecutionException e) {
                            return;
                        }
                    }
                }
            }
            long now = System.nanoTime();
            if (now - nextWatch > 0) {
                nextWatch = now + TimeUnit.MILLISECONDS.toNanos(200);
                watchVnodes();
            }
            if (now - nextFlush > 0) {
                nextFlush = now + WRITEBACK_NANOS;
                try {
                    workers.execute(() -> writeBackAll(false));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return;
                }
            }
            if (found) {
                lastWork = now;
            } else if (now - lastWork < 100_000) {
                Thread.yield(); // requests come in bursts: look again before sleeping
            } else {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // a request's interrupt unparks this
            }
        }
    }

    /** Requests that do little I/O and (nearly) never wait for another vnode: OPEN without truncation, CLOSE, STAT, CACHE, STATFS. */
    private boolean quick(int vnode, int slot) {
        int op = rpc.op(vnode, slot);
        if (op == Op.OPEN) {
            try {
                ByteBuffer r = rpc.request(vnode, slot);
                r.position(2 + Short.toUnsignedInt(r.getShort()));
                return (r.getInt() & Op.O_TRUNC) == 0;
            } catch (RuntimeException e) {
                return false; // malformed: let a worker answer it
            }
        }
        // CLOSE drains only when it releases a removed file's pages (rare, and a drain needs nothing of this thread)
        return op == Op.STAT || op == Op.CACHE || op == Op.STATFS || op == Op.CLOSE;
    }

    /** Forgets what a vnode that died or restarted held: its tokens and its open files. */
    private void watchVnodes() {
        try {
            for (VnodeState v : vnodes.get()) {
                int id = v.id();
                if (id == 0 || id >= RpcLayout.VNODES) {
                    continue;
                }
                int now = VnodeState.JOINED.equals(v.state()) ? v.incarnation() : -1;
                if (now != incarnations[id]) {
                    if (incarnations[id] != -1 || now == -1) {
                        forget(id, "vnode " + id + " is " + v.state().toLowerCase() + " (incarnation " + v.incarnation() + ")");
                    }
                    incarnations[id] = now;
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "vfs server: cannot read the vnode table: " + e);
        }
    }

    private void forget(int vnode, String why) {
        lock.lock();
        try {
            long clear = ~(CacheLayout.readBit(vnode) | CacheLayout.writeBit(vnode));
            int tokens = 0;
            for (int f = 0; f < cache.frames(); f++) {
                long t = cache.token(f);
                if ((t & ~clear) != 0) {
                    cache.token(f, t & clear);
                    tokens++;
                }
            }
            int opens = 0;
            for (Inode i : List.copyOf(byId.values())) {
                opens += i.opens[vnode];
                i.opens[vnode] = 0;
                if (i.unlinked && i.openCount() == 0) {
                    release(i);
                }
            }
            if (tokens > 0 || opens > 0) {
                LOG.log(Level.INFO, "vfs server: " + why + ": dropped " + tokens + " tokens and " + opens + " open files");
            }
        } finally {
            lock.unlock();
        }
    }

    private void serve(int vnode, int slot, long seq) {
        long picked = System.nanoTime();
        int op = rpc.op(vnode, slot);
        ByteBuffer out = rpc.answerBuffer(vnode, slot);
        int status = 0;
        try {
            ByteBuffer in = rpc.request(vnode, slot);
            handle(vnode, op, in, out);
        } catch (Failure f) {
            status = f.errno().ordinal();
            out.clear();
            Errno.putString(out, cut(f.getMessage()));
        } catch (IOException | RuntimeException e) {
            Failure f = failure(e);
            status = f.errno().ordinal();
            out.clear();
            Errno.putString(out, cut(f.getMessage()));
            if (f.errno() == Errno.EIO) {
                LOG.log(Level.WARNING, "vfs server: " + Op.name(op) + " from vnode " + vnode + " failed", e);
            }
        }
        synchronized (this) {
            requests++;
            if (status != 0) {
                failures++;
            }
        }
        rpc.status(vnode, slot, status);
        rpc.answerLength(vnode, slot, out.position());
        rpc.stamp(vnode, slot, picked, System.nanoTime());
        if (rpc.casState(vnode, slot, RpcLayout.word(seq, RpcLayout.SERVING), RpcLayout.word(seq, RpcLayout.ANSWER))) {
            raise.raise(vnode, CLIENT_VECTOR);
        }
    }

    private static String cut(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 1000 ? s.substring(0, 1000) : s;
    }

    private void handle(int vnode, int op, ByteBuffer in, ByteBuffer out) throws Failure, IOException {
        switch (op) {
            case Op.HELLO -> {
                forget(vnode, "vnode " + vnode + " starts its filesystem client");
                out.putLong(epoch);
            }
            case Op.BYE -> forget(vnode, "vnode " + vnode + " stops its filesystem client");
            case Op.OPEN -> open(vnode, path(in), in.getInt(), in.getInt(), out);
            case Op.CLOSE -> close(vnode, in.getLong());
            case Op.PAGES -> pages(vnode, in.getLong(), in.getLong(), in.getInt(), in.getInt(), in.getLong(), in.getLong(), out);
            case Op.SETSIZE -> setSize(in.getLong(), in.getLong());
            case Op.FSYNC -> fsync(in.getLong(), 0, Long.MAX_VALUE);
            case Op.SYNCPAGES -> fsync(in.getLong(), in.getLong(), in.getLong());
            case Op.STAT -> stat(path(in), out);
            case Op.READDIR -> readdir(path(in), in.getInt(), out);
            case Op.MKDIR -> mkdir(path(in), in.getInt());
            case Op.REMOVE -> remove(path(in));
            case Op.RENAME -> rename(path(in), path(in), in.getInt());
            case Op.CACHE -> cacheStats(out);
            case Op.STATFS -> statfs(out);
            case Op.UTIMES -> utimes(path(in), in.getLong());
            default -> throw Errno.EINVAL.fail("unknown request " + op);
        }
    }

    private String path(ByteBuffer in) throws Failure {
        String path = RepoPath.read(in);
        String export = path.split("/", 2)[0];
        if (!exports.contains(export)) {
            export(export);
        }
        return path;
    }

    /**
     * Makes the export {@code name} (0700) if it is missing, and checks it as the repository is
     * checked: a directory (not a link), this user's, not writable by group or others.
     */
    private void export(String name) throws Failure {
        Beneath b = beneath();
        try (Beneath.Pin root = b.dir(".")) {
            Beneath.mkdir(root, name, 0700, name);
        } catch (Failure f) {
            if (f.errno() != Errno.EEXIST) {
                throw f;
            }
            // there already: checked below
        }
        try (Beneath.Pin p = b.pin(name)) {
            Beneath.checkOwned("the export '" + name + "' of " + b.dir(), p.path(), "remove it or choose another export");
        } catch (Failure f) {
            if (f.errno() == Errno.ELOOP) {
                throw Errno.ELOOP.fail("the export '" + name + "' of " + b.dir() + " is a symbolic link, and it is refused "
                        + "(an export is a directory of the repository itself)");
            }
            throw f;
        }
        exports.add(name);
    }

    static Failure failure(Exception e) {
        String m = e.getMessage();
        if (e instanceof Failure f) {
            return f;
        }
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT.fail(m);
        }
        if (e instanceof FileAlreadyExistsException) {
            return Errno.EEXIST.fail(m);
        }
        if (e instanceof DirectoryNotEmptyException) {
            return Errno.ENOTEMPTY.fail(m);
        }
        if (e instanceof NotDirectoryException) {
            return Errno.ENOTDIR.fail(m);
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES.fail(m);
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            for (Errno errno : Errno.values()) {
                if (errno != Errno.OK && fse.getReason().contains(errno.text())) {
                    return errno.fail(fse.getReason());
                }
            }
        }
        return Errno.EIO.fail(e.toString());
    }

    // ---- files

    private void open(int vnode, String path, int flags, int mode, ByteBuffer out) throws Failure, IOException {
        Beneath beneath = beneath();
        lock.lock();
        try {
            Inode inode = byPath.get(path);
            if (inode == null) {
                // one resolution pins the file (no link followed on the way); its type, size and
                // mtime come from that descriptor, and a file made here is opened by the same call
                Beneath.Pin pin = pinIfThere(beneath, path);
                boolean created = false;
                long size = 0;
                long mtime = System.currentTimeMillis();
                FileChannel channel = null;
                if (pin != null) {
                    try (Beneath.Pin p = pin) {
                        if ((flags & Op.O_CREATE) != 0 && (flags & Op.O_EXCL) != 0) {
                            throw Errno.EEXIST.fail(null);
                        }
                        Sys.Stat a = Beneath.stat(p, path);
                        int type = a.type();
                        if (type == Sys.S_IFDIR) {
                            throw Errno.EISDIR.fail(null);
                        }
                        if (type != Sys.S_IFREG) {
                            throw Errno.EACCES.fail("not a regular file");
                        }
                        size = a.size();
                        mtime = a.mtimeMillis();
                        // the data through the very file whose type was just checked, not a path resolved again later
                        try {
                            channel = FileChannel.open(p.path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
                        } catch (java.nio.file.AccessDeniedException readOnly) {
                            channel = FileChannel.open(p.path(), StandardOpenOption.READ); // a file its mode keeps from writes
                        }
                    } catch (IOException e) {
                        throw failure(e);
                    }
                } else if ((flags & Op.O_CREATE) == 0) {
                    throw Errno.ENOENT.fail(null);
                } else {
                    int fd = beneath.create(path, mode);
                    try {
                        channel = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE);
                    } catch (IOException e) {
                        throw failure(e);
                    } finally {
                        Sys.close(fd);
                    }
                    created = true;
                }
                try {
                    inode = newInode(path, size, mtime);
                } catch (Failure | IOException | RuntimeException e) {
                    channel.close();
                    throw e;
                }
                inode.created = created;
                inode.channel = channel;
            } else if ((flags & Op.O_CREATE) != 0 && (flags & Op.O_EXCL) != 0) {
                throw Errno.EEXIST.fail(null);
            }
            if ((flags & Op.O_TRUNC) != 0 && (flags & Op.O_WRITE) != 0 && cache.size(inode.slot) > 0) {
                truncate(inode, 0);
            }
            inode.opens[vnode]++;
            out.putLong(inode.id).putInt(inode.slot).putLong(cache.size(inode.slot));
        } finally {
            lock.unlock();
        }
    }

    /** {@code path} pinned, or null when it does not exist (any other failure is thrown: ENOTDIR under a file, ELOOP through a link). */
    private static Beneath.Pin pinIfThere(Beneath beneath, String path) throws Failure {
        try {
            return beneath.pin(path);
        } catch (Failure f) {
            if (f.errno() != Errno.ENOENT) {
                throw f;
            }
            return null;
        }
    }

    private Inode newInode(String path, long size, long mtime) throws Failure, IOException {
        if (freeSlots.isEmpty()) {
            reclaimInode();
        }
        int slot = freeSlots.poll();
        Inode inode = new Inode(++nextId, slot, path);
        cache.size(slot, size);
        cache.mtime(slot, mtime);
        cache.inodeId(slot, inode.id);
        byPath.put(path, inode);
        byId.put(inode.id, inode);
        return inode;
    }

    /** Frees the slot of an inode nobody has open, writing its dirty pages back first. */
    private void reclaimInode() throws Failure, IOException {
        for (Inode i : List.copyOf(byId.values())) {
            if (i.openCount() == 0) {
                if (!i.unlinked) {
                    writeback(i, 0, Long.MAX_VALUE, true);
                }
                release(i);
                return;
            }
        }
        throw Errno.ENFILE.fail(cache.inodes() + " files are open");
    }

    /** Drops an inode and its frames (its holders drained first). */
    private void release(Inode inode) {
        dropFrames(inode, 0);
        byId.remove(inode.id);
        if (byPath.get(inode.path) == inode) {
            byPath.remove(inode.path);
        }
        cache.inodeId(inode.slot, 0);
        freeSlots.add(inode.slot);
        closeChannel(inode);
    }

    private static void closeChannel(Inode inode) {
        if (inode.channel != null) {
            try {
                inode.channel.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "vfs server: closing " + inode.path + ": " + e);
            }
            inode.channel = null;
        }
    }

    private Inode inode(long id) throws Failure {
        Inode i = byId.get(id);
        if (i == null) {
            throw Errno.ESTALE.fail("file id " + id);
        }
        return i;
    }

    private void close(int vnode, long id) throws Failure {
        lock.lock();
        try {
            Inode i = inode(id);
            if (i.opens[vnode] > 0) {
                i.opens[vnode]--;
            }
            if (i.unlinked && i.openCount() == 0) {
                release(i);
            }
        } finally {
            lock.unlock();
        }
    }

    private void pages(int vnode, long id, long first, int count, int flags, long newSize, long appendLength,
            ByteBuffer out) throws Failure, IOException {
        boolean write = (flags & (Op.P_WRITE | Op.P_APPEND)) != 0;
        lock.lock();
        try {
            Inode inode = inode(id);
            long size = cache.size(inode.slot);
            long offset = -1;
            if ((flags & Op.P_APPEND) != 0) {
                offset = size;
                newSize = size + appendLength;
                first = offset >>> CacheLayout.PAGE_SHIFT;
                count = (int) Math.min(MAX_PAGES, ((newSize + CacheLayout.PAGE - 1) >>> CacheLayout.PAGE_SHIFT) - first);
            }
            if (first < 0 || count < 0) {
                throw Errno.EINVAL.fail("first=" + first + " count=" + count);
            }
            if (write && newSize > size) {
                size = newSize;
            }
            long end = (size + CacheLayout.PAGE - 1) >>> CacheLayout.PAGE_SHIFT;
            int n = (int) Math.max(0, Math.min(Math.min(count, MAX_PAGES), end - first));
            int[] frames = new int[n];
            Set<Integer> protect = new HashSet<>();
            for (int k = 0; k < n; k++) {
                Integer f = inode.pages.get(first + k);
                if (f == null) {
                    f = allocate(protect);
                    load(inode, first + k, f);
                }
                frames[k] = f;
                protect.add(f);
            }
            long mine = CacheLayout.readBit(vnode) | CacheLayout.writeBit(vnode);
            long drain = 0;
            for (int f : frames) {
                long t = cache.token(f);
                long others = write ? t & ~mine : t & ~mine & (0xFFFFL << CacheLayout.WRITER_SHIFT);
                if (others != 0) {
                    cache.token(f, t & ~others);
                    drain |= CacheLayout.readers(others) | CacheLayout.writers(others);
                    revocations++;
                }
            }
            drain(drain);
            for (int f : frames) {
                long t = cache.token(f);
                if (write) {
                    cache.flags(f, cache.flags(f) | CacheLayout.DIRTY);
                    cache.token(f, (t & ~CacheLayout.readBit(vnode)) | CacheLayout.writeBit(vnode));
                } else if ((t & CacheLayout.writeBit(vnode)) == 0) {
                    cache.token(f, t | CacheLayout.readBit(vnode));
                }
            }
            if (write && size > cache.size(inode.slot)) {
                cache.size(inode.slot, size);
            }
            if (write) {
                cache.touch(inode.slot, System.currentTimeMillis());
            }
            out.putLong(offset).putLong(cache.size(inode.slot)).putInt(n);
            for (int f : frames) {
                out.putInt(f);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A free frame, evicting unused pages (or, when every frame is held, taking tokens back) to make room. */
    private int allocate(Set<Integer> protect) throws Failure, IOException {
        if (freeFrames.isEmpty()) {
            evict(protect, false);
        }
        if (freeFrames.isEmpty()) {
            evict(protect, true);
        }
        Integer f = freeFrames.poll();
        if (f == null) {
            throw Errno.ENOSPC.fail("the page cache is full: all " + cache.frames() + " frames are in this request");
        }
        return f;
    }

    /** Sweeps the clock for up to {@link #EVICT_BATCH} frames; with {@code held}, takes frames whose tokens are held too. */
    private void evict(Set<Integer> protect, boolean held) throws Failure, IOException {
        List<Integer> victims = new ArrayList<>();
        long drain = 0;
        for (int scanned = 0; scanned < cache.frames() && victims.size() < EVICT_BATCH; scanned++) {
            int f = clock;
            clock = (clock + 1) % cache.frames();
            if (cache.frameInode(f) == 0 || protect.contains(f)) {
                continue;
            }
            long t = cache.token(f);
            if (t != 0 && !held) {
                continue;
            }
            if (t != 0) {
                cache.token(f, 0);
                drain |= CacheLayout.readers(t) | CacheLayout.writers(t);
                revocations++;
            }
            victims.add(f);
        }
        drain(drain);
        for (int f : victims) {
            Inode inode = byId.get(cache.frameInode(f));
            if (inode != null) {
                long page = cache.framePage(f);
                if ((cache.flags(f) & CacheLayout.DIRTY) != 0 && !inode.unlinked) {
                    writePage(inode, page, f);
                }
                inode.pages.remove(page);
            }
            cache.assign(f, 0, 0);
            freeFrames.add(f);
            evictions++;
        }
    }

    private void load(Inode inode, long page, int f) throws Failure, IOException {
        cache.assign(f, inode.id, page);
        MemorySegment bytes = cache.page(f);
        ByteBuffer into = bytes.asByteBuffer();
        long at = page << CacheLayout.PAGE_SHIFT;
        if (!inode.unlinked) {
            try {
                FileChannel ch = inode.channel();
                while (into.hasRemaining()) {
                    int n = ch.read(into, at + into.position());
                    if (n < 0) {
                        break;
                    }
                }
            } catch (IOException e) {
                cache.assign(f, 0, 0);
                freeFrames.add(f);
                throw failure(e);
            }
        }
        if (into.hasRemaining()) {
            bytes.asSlice(into.position()).fill((byte) 0);
        }
        inode.pages.put(page, f);
    }

    /** Waits until every vnode in {@code mask} has let in-flight accesses finish (see the class comment). */
    private void drain(long mask) {
        drain(mask, DRAIN_TIMEOUT_NANOS);
    }

    private void drain(long mask, long timeoutNanos) {
        if (mask == 0) {
            return;
        }
        long[] want = new long[RpcLayout.VNODES];
        for (int v = 0; v < RpcLayout.VNODES; v++) {
            if ((mask & (1L << v)) != 0) {
                want[v] = ++drainSeq[v];
                rpc.drainSeq(v, want[v]);
                raise.raise(v, CLIENT_VECTOR);
            }
        }
        Thread me = Thread.currentThread();
        drainWaiters.add(me);
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            for (int v = 0; v < RpcLayout.VNODES; v++) {
                if (want[v] == 0) {
                    continue;
                }
                long nextCheck = 0;
                while (rpc.drainAck(v) < want[v]) {
                    long now = System.nanoTime();
                    if (v != 0 && now - nextCheck > 0) {
                        // the live vnode table, not the watcher's view: a vnode may have joined a moment ago
                        if (!alive(v)) {
                            break; // gone: its memory accesses ended with it
                        }
                        nextCheck = now + TimeUnit.MILLISECONDS.toNanos(5);
                    }
                    if (now - deadline > 0) {
                        LOG.log(Level.WARNING, "vfs server: vnode " + v + " did not drain in "
                                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms; its tokens are gone anyway");
                        break;
                    }
                    LockSupport.parkNanos(200_000);
                }
            }
        } finally {
            drainWaiters.remove(me);
        }
    }

    private boolean alive(int vnode) {
        for (VnodeState s : vnodes.get()) {
            if (s.id() == vnode) {
                return VnodeState.JOINED.equals(s.state());
            }
        }
        return false;
    }

    /** Drops the frames of pages at or after {@code fromPage}, draining their holders; dirty data there is discarded. */
    private void dropFrames(Inode inode, long fromPage) {
        Map<Long, Integer> tail = inode.pages.tailMap(fromPage, true);
        long drain = 0;
        for (int f : tail.values()) {
            long t = cache.token(f);
            if (t != 0) {
                cache.token(f, 0);
                drain |= CacheLayout.readers(t) | CacheLayout.writers(t);
                revocations++;
            }
        }
        drain(drain);
        for (int f : tail.values()) {
            cache.assign(f, 0, 0);
            freeFrames.add(f);
        }
        tail.clear();
    }

    private void setSize(long id, long size) throws Failure, IOException {
        if (size < 0) {
            throw Errno.EINVAL.fail("size=" + size);
        }
        lock.lock();
        try {
            Inode inode = inode(id);
            if (size < cache.size(inode.slot)) {
                truncate(inode, size);
            } else {
                cache.size(inode.slot, size);
            }
            cache.touch(inode.slot, System.currentTimeMillis());
        } finally {
            lock.unlock();
        }
    }

    private void truncate(Inode inode, long size) throws Failure, IOException {
        long keep = (size + CacheLayout.PAGE - 1) >>> CacheLayout.PAGE_SHIFT;
        dropFrames(inode, keep);
        int within = (int) (size & (CacheLayout.PAGE - 1));
        if (within != 0) {
            Integer f = inode.pages.get(size >>> CacheLayout.PAGE_SHIFT);
            if (f != null) {
                long t = cache.token(f);
                if (t != 0) {
                    cache.token(f, 0);
                    revocations++;
                    drain(CacheLayout.readers(t) | CacheLayout.writers(t));
                }
                cache.page(f).asSlice(within).fill((byte) 0);
            }
        }
        cache.size(inode.slot, size);
        if (!inode.unlinked) {
            try {
                FileChannel ch = inode.channel();
                if (ch.size() > size) {
                    ch.truncate(size);
                }
            } catch (IOException e) {
                throw failure(e);
            }
        }
    }

    /** Writes back the dirty pages of {@code [first, first + count)} and forces them to the device. */
    private void fsync(long id, long first, long count) throws Failure, IOException {
        lock.lock();
        try {
            Inode inode = inode(id);
            if (inode.unlinked) {
                return;
            }
            writeback(inode, first, count, true);
            if (inode.created) {
                // the new name must be durable too: force its directory
                try (Beneath.Pin parent = beneath().parent(inode.path);
                        FileChannel dir = FileChannel.open(parent.path(), StandardOpenOption.READ)) {
                    dir.force(true);
                }
                inode.created = false;
            }
        } catch (IOException e) {
            throw failure(e);
        } finally {
            lock.unlock();
        }
    }

    private void writeback(Inode inode, long first, long count, boolean force) throws IOException {
        FileChannel ch = inode.channel();
        long size = cache.size(inode.slot);
        long last = count == Long.MAX_VALUE ? Long.MAX_VALUE : first + count;
        for (Map.Entry<Long, Integer> e : List.copyOf(inode.pages.subMap(first, true, last, false).entrySet())) {
            int f = e.getValue();
            if ((cache.flags(f) & CacheLayout.DIRTY) != 0) {
                writePage(inode, e.getKey(), f);
            }
        }
        if (ch.size() > size) {
            ch.truncate(size);
        } else if (ch.size() < size) {
            ch.write(ByteBuffer.allocate(1), size - 1);
            Integer lastFrame = inode.pages.get((size - 1) >>> CacheLayout.PAGE_SHIFT);
            if (lastFrame != null) {
                writePage(inode, (size - 1) >>> CacheLayout.PAGE_SHIFT, lastFrame);
            }
        }
        if (force) {
            ch.force(true);
        }
        long mtime = cache.mtime(inode.slot);
        if (mtime > 0) {
            try (Beneath.Pin parent = beneath().parent(inode.path)) {
                Beneath.setMtime(parent, Beneath.name(inode.path), mtime, inode.path);
            } catch (Failure f) {
                throw f.errno().exception(inode.path, null, f.getMessage());
            }
        }
    }

    /** Writes one page (up to the file's size) to the device; clean again unless a writer still holds it. */
    private void writePage(Inode inode, long page, int f) throws IOException {
        long at = page << CacheLayout.PAGE_SHIFT;
        long size = cache.size(inode.slot);
        if (cache.writers(cache.token(f)) == 0) {
            cache.flags(f, cache.flags(f) & ~CacheLayout.DIRTY);
        }
        if (at < size) {
            ByteBuffer from = cache.page(f).asSlice(0, Math.min(CacheLayout.PAGE, size - at)).asByteBuffer();
            FileChannel ch = inode.channel();
            while (from.hasRemaining()) {
                ch.write(from, at + from.position());
            }
            writebacks++;
        }
    }

    // ---- names

    private void stat(String path, ByteBuffer out) throws Failure, IOException {
        Sys.Stat a;
        try (Beneath.Pin parent = beneath().parent(path)) {
            // one fstatat(2) of the name in its pinned directory (a link is shown as what it is, not followed)
            a = Beneath.lstat(parent, Beneath.name(path), path);
        }
        int type = switch (a.type()) {
            case Sys.S_IFDIR -> Op.T_DIR;
            case Sys.S_IFREG -> Op.T_FILE;
            default -> Op.T_OTHER;
        };
        long size = a.size();
        long mtime = a.mtimeMillis();
        lock.lock();
        try {
            Inode inode = byPath.get(path);
            if (inode != null) {
                size = cache.size(inode.slot);
                mtime = Math.max(mtime, cache.mtime(inode.slot));
            }
        } finally {
            lock.unlock();
        }
        out.putInt(type).putLong(size).putLong(mtime).putLong(a.atimeMillis()).putLong(a.ctimeMillis())
                .putInt(a.mode() & 0777).putLong(a.ino());
    }

    private void readdir(String path, int cookie, ByteBuffer out) throws Failure, IOException {
        try (Beneath.Pin dir = beneath().pin(path)) {
            if (Beneath.stat(dir, path).type() != Sys.S_IFDIR) {
                throw Errno.ENOTDIR.fail(null);
            }
            List<String> entries;
            try (Stream<Path> s = Files.list(dir.path())) {
                entries = s.map(e -> e.getFileName().toString()).sorted().toList();
            }
            int countAt = out.position();
            out.putInt(-1).putInt(0);
            int n = 0;
            int i = cookie;
            for (; i < entries.size(); i++) {
                String e = entries.get(i);
                byte[] name = e.getBytes(StandardCharsets.UTF_8);
                if (out.remaining() < name.length + 3) {
                    break;
                }
                int[] errno = new int[1];
                Sys.Stat st = Sys.fstatat(dir.fd, e, Sys.AT_SYMLINK_NOFOLLOW, errno); // null: gone since the listing
                out.put((byte) (st != null && st.type() == Sys.S_IFDIR ? Op.T_DIR : Op.T_FILE));
                out.putShort((short) name.length).put(name);
                n++;
            }
            out.putInt(countAt, i < entries.size() ? i : -1).putInt(countAt + 4, n);
        }
    }

    private void mkdir(String path, int mode) throws Failure {
        try (Beneath.Pin parent = beneath().parent(path)) {
            Beneath.mkdir(parent, Beneath.name(path), mode, path);
        }
    }

    private void remove(String path) throws Failure {
        lock.lock();
        try (Beneath.Pin parent = beneath().parent(path)) {
            Beneath.remove(parent, Beneath.name(path), path);
            Inode inode = byPath.remove(path);
            if (inode != null) {
                inode.unlinked = true;
                closeChannel(inode);
                if (inode.openCount() == 0) {
                    release(inode);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void rename(String from, String to, int flags) throws Failure {
        if (from.split("/")[0].equals(to.split("/")[0]) == false) {
            throw Errno.EXDEV.fail("'" + from + "' and '" + to + "' are in different exports");
        }
        lock.lock();
        try (Beneath.Pin fromDir = beneath().parent(from); Beneath.Pin toDir = beneath().parent(to)) {
            // both names in their pinned directories: renameat2(2) follows neither
            String a = Beneath.name(from);
            String b = Beneath.name(to);
            Sys.Stat source = Beneath.lstat(fromDir, a, from);
            if (from.equals(to)) {
                return;
            }
            if (to.startsWith(from + "/")) {
                throw Errno.EINVAL.fail("cannot move a directory into itself");
            }
            if (Beneath.exists(toDir, b, to)) {
                if ((flags & Op.R_REPLACE) == 0) {
                    throw Errno.EEXIST.fail(null);
                }
                boolean targetDir = Beneath.lstat(toDir, b, to).type() == Sys.S_IFDIR;
                boolean sourceDir = source.type() == Sys.S_IFDIR;
                if (targetDir && !sourceDir) {
                    throw Errno.EISDIR.fail(null);
                }
                if (sourceDir && !targetDir) {
                    throw Errno.ENOTDIR.fail(null);
                }
            }
            Beneath.rename(fromDir, a, toDir, b, from);
            Inode replaced = byPath.remove(to);
            if (replaced != null) {
                replaced.unlinked = true;
                closeChannel(replaced);
                if (replaced.openCount() == 0) {
                    release(replaced);
                }
            }
            for (Inode i : List.copyOf(byPath.values())) {
                if (i.path.equals(from) || i.path.startsWith(from + "/")) {
                    byPath.remove(i.path);
                    i.path = to + i.path.substring(from.length());
                    byPath.put(i.path, i);
                    closeChannel(i);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void utimes(String path, long mtime) throws Failure {
        lock.lock();
        try (Beneath.Pin parent = beneath().parent(path)) {
            Beneath.setMtime(parent, Beneath.name(path), mtime, path);
            Inode inode = byPath.get(path);
            if (inode != null) {
                cache.mtime(inode.slot, mtime);
            }
        } finally {
            lock.unlock();
        }
    }

    private void cacheStats(ByteBuffer out) {
        lock.lock();
        try {
            int dirty = 0;
            int readTokens = 0;
            int writeTokens = 0;
            for (int f = 0; f < cache.frames(); f++) {
                if (cache.frameInode(f) == 0) {
                    continue;
                }
                long t = cache.token(f);
                dirty += (cache.flags(f) & CacheLayout.DIRTY) != 0 ? 1 : 0;
                readTokens += CacheLayout.readers(t) != 0 ? 1 : 0;
                writeTokens += CacheLayout.writers(t) != 0 ? 1 : 0;
            }
            out.putInt(CacheLayout.PAGE).putInt(cache.frames()).putInt(freeFrames.size()).putInt(dirty)
                    .putInt(readTokens).putInt(writeTokens).putLong(evictions).putLong(revocations).putLong(writebacks)
                    .putInt(byId.size()).putLong(requests).putLong(failures);
        } finally {
            lock.unlock();
        }
    }

    private void statfs(ByteBuffer out) throws IOException, Failure {
        Beneath b = beneath();
        FileStore store = Files.getFileStore(b.dir());
        out.putLong(store.getTotalSpace()).putLong(store.getUnallocatedSpace()).putLong(store.getUsableSpace());
        Errno.putString(out, b.dir().toString());
    }

    /** Writes every dirty page back and forces it (the root's orderly shutdown). */
    public void flushAll() {
        writeBackAll(true);
    }

    private void writeBackAll(boolean force) {
        lock.lock();
        try {
            for (Inode i : List.copyOf(byId.values())) {
                boolean dirty = i.pages.values().stream().anyMatch(f -> (cache.flags(f) & CacheLayout.DIRTY) != 0);
                if (!i.unlinked && (dirty || force)) {
                    try {
                        writeback(i, 0, Long.MAX_VALUE, force);
                    } catch (IOException e) {
                        LOG.log(Level.WARNING, "vfs server: cannot write back " + i.path + ": " + e);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cache.closed();
        LockSupport.unpark(dispatcher);
        try {
            dispatcher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushAll();
        lock.lock();
        try {
            for (Inode i : byId.values()) {
                closeChannel(i);
            }
        } finally {
            lock.unlock();
        }
        synchronized (this) {
            if (repository != null) {
                repository.close();
            }
        }
        cacheBridge.close();
        rpcBridge.close();
    }
}
