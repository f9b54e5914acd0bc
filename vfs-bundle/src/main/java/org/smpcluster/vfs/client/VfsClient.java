package org.smpcluster.vfs.client;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.vfs.cache.CacheLayout;
import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.cache.Op;
import org.smpcluster.vfs.cache.RpcLayout;
import org.smpcluster.vfs.server.VfsServer;

/**
 * A vnode's filesystem client: requests to the root's server through this vnode's slots of the
 * request rings, and file data read and written in the shared page cache itself, under the
 * tokens the server granted. Every copy to or from the cache runs under this vnode's access lock
 * (shared); the server's drain takes it exclusively, so once the drain is acknowledged no copy
 * that started under a token the server took back is still running. No thread holds the access
 * lock while it waits for the server.
 */
public final class VfsClient implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VfsClient.class.getName());

    /** Pages asked for beyond what a sequential read needs now. */
    static final int READAHEAD = 64;

    private final int vnode;
    private final VfsServer.Raise raise;
    private final Bridge cacheBridge;
    private final Bridge rpcBridge;
    private final CacheLayout cache;
    private final MemorySegment cacheMemory;
    private final RpcLayout rpc;
    private final Duration timeout;
    /** Whether the root (the server's vnode) still lives: a wait for an answer that can never come ends when it does not. */
    private final java.util.function.BooleanSupplier rootAlive;

    private final Semaphore freeCount = new Semaphore(RpcLayout.SLOTS);
    private final ConcurrentLinkedQueue<Integer> freeSlots = new ConcurrentLinkedQueue<>();
    private final long[] seqs = new long[RpcLayout.SLOTS];
    private final Thread[] waiters = new Thread[RpcLayout.SLOTS];
    /** The sequence of a request posted without a waiter in each slot, or 0. */
    private final java.util.concurrent.atomic.AtomicLongArray posted = new java.util.concurrent.atomic.AtomicLongArray(RpcLayout.SLOTS);

    final ReentrantReadWriteLock access = new ReentrantReadWriteLock();
    private final Map<Long, CachedInode> inodes = new ConcurrentHashMap<>();
    /** What every inode's hints take, roughly ({@link CachedInode#bytes()} summed). */
    private final AtomicLong hintBytes = new AtomicLong();
    final Set<MappingImpl> mappings = ConcurrentHashMap.newKeySet();
    private final Thread drainer;
    private volatile long drained;
    /** The server incarnation (the cache's epoch) this client's handles and hints belong to. */
    private volatile long epoch;
    private volatile boolean closed;

    final Latency latency = new Latency();
    final AtomicLong hits = new AtomicLong();
    final AtomicLong misses = new AtomicLong();
    final AtomicLong drains = new AtomicLong();
    final AtomicLong invalidated = new AtomicLong();

    /**
     * What this vnode knows of one file: the frame each page was last granted in (a hint: the
     * shared token word says whether it is still this vnode's to use). Kept after the file is
     * closed, since the tokens outlive the handle. Pages below {@link #DENSE_PAGES} have their
     * hints in an array indexed by page; the few beyond (a file larger than 256 MiB, a write far
     * into a sparse file) in a map: an array sized by the page index of a write at 64 GiB was
     * 64 MB, an OutOfMemoryError at once on a 96 MiB vnode.
     */
    static final class CachedInode {
        /** Pages hinted in the array (256 MiB of file; the default page cache is 32 MiB). */
        static final int DENSE_PAGES = 1 << 16;
        /** What one hint in the map costs, roughly (entry, boxed key and value). */
        static final int FAR_HINT_BYTES = 64;

        final long id;
        final int slot;
        private final AtomicLong hintBytes;
        private volatile int[] hints = new int[16];
        private final Map<Long, Integer> far = new ConcurrentHashMap<>();
        int handles;
        volatile long nextSequential = -1;

        CachedInode(long id, int slot, AtomicLong hintBytes) {
            this.id = id;
            this.slot = slot;
            this.hintBytes = hintBytes;
            hintBytes.addAndGet(4L * hints.length);
        }

        /** The frame page {@code page} was granted in, or -1. */
        int frame(long page) {
            if (page < DENSE_PAGES) {
                int[] h = hints; // a hint is set only while this vnode holds the page's token (see grant and drain)
                return page < h.length ? h[(int) page] - 1 : -1;
            }
            Integer f = far.get(page);
            return f == null ? -1 : f;
        }

        /** Drops the hints whose token this vnode no longer holds (in a drain, under the exclusive access lock). */
        synchronized int forgetLost(CacheLayout cache, int vnode) {
            int[] h = hints;
            int lost = 0;
            for (int p = 0; p < h.length; p++) {
                if (h[p] != 0 && !cache.mayRead(h[p] - 1, vnode, id, p)) {
                    h[p] = 0;
                    lost++;
                }
            }
            for (Map.Entry<Long, Integer> e : far.entrySet()) {
                if (!cache.mayRead(e.getValue(), vnode, id, e.getKey()) && far.remove(e.getKey(), e.getValue())) {
                    hintBytes.addAndGet(-FAR_HINT_BYTES);
                    lost++;
                }
            }
            return lost;
        }

        synchronized void frame(long page, int frame) {
            if (page >= DENSE_PAGES) {
                if (frame < 0) {
                    if (far.remove(page) != null) {
                        hintBytes.addAndGet(-FAR_HINT_BYTES);
                    }
                } else if (far.put(page, frame) == null) {
                    hintBytes.addAndGet(FAR_HINT_BYTES);
                }
                return;
            }
            int[] h = hints;
            if (page >= h.length) {
                h = java.util.Arrays.copyOf(h, (int) Math.min(DENSE_PAGES, Math.max(page + 1, 2L * h.length)));
                hintBytes.addAndGet(4L * (h.length - hints.length));
            }
            h[(int) page] = frame + 1;
            hints = h;
        }

        /** What this inode's hints take of the heap, roughly. */
        long bytes() {
            return 4L * hints.length + (long) FAR_HINT_BYTES * far.size();
        }
    }

    /** How many closed files' hints a vnode keeps. */
    static final int KEPT_INODES = 4096;

    /**
     * How much heap the hints may take before closed files' are dropped (4096 closed files of
     * 24 MiB kept 128 MB of them; the bench's 24 MiB file takes 32 KiB).
     */
    static final long KEPT_HINT_BYTES = 4L << 20;

    /** How often a wait for the server asks whether the root still lives (answers come in microseconds; a dead root is seen this soon). */
    static final long ROOT_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * Attaches to the page cache and request rings the root's server formatted (waiting up to
     * {@code timeout} for them) and says hello.
     */
    public VfsClient(int vnode, BridgeManager bridges, VfsServer.Raise raise, Duration timeout) throws Failure {
        this(vnode, bridges, raise, timeout, VfsServer.Threads.PLATFORM, () -> true);
    }

    /**
     * As above, with this vnode's drain thread made by {@code threads} (a kernel thread on a
     * vnode: it dies with the vnode), and every wait for the server ended as soon as
     * {@code rootAlive} says the root is gone.
     */
    public VfsClient(int vnode, BridgeManager bridges, VfsServer.Raise raise, Duration timeout, VfsServer.Threads threads,
            java.util.function.BooleanSupplier rootAlive) throws Failure {
        this.vnode = vnode;
        this.raise = raise;
        this.timeout = timeout;
        this.rootAlive = rootAlive;
        long deadline = System.nanoTime() + timeout.toNanos();
        Bridge c = null;
        Bridge r = null;
        CacheLayout layout = null;
        try {
            while (true) {
                if (c == null && bridges.bridges().stream().anyMatch(b -> b.name().equals(CacheLayout.BRIDGE) && b.owner() == Bridge.GLOBAL)) {
                    c = bridges.open(CacheLayout.BRIDGE, 1);
                }
                if (c != null && (layout = CacheLayout.attach(c.segment())) != null) {
                    break;
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw Errno.EIO.fail("vnode " + vnode + ": interrupted while waiting for the root's filesystem server");
                }
                if (!rootAlive.getAsBoolean()) {
                    throw Errno.EIO.fail("vnode " + vnode + ": the root is gone; no filesystem server will come up");
                }
                if (System.nanoTime() - deadline > 0) {
                    throw Errno.EIO.fail("vnode " + vnode + ": the root's filesystem server did not come up in "
                            + timeout.toMillis() + " ms (no formatted " + CacheLayout.BRIDGE + " bridge)");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            r = bridges.open(RpcLayout.BRIDGE, RpcLayout.SIZE);
        } catch (RuntimeException | Failure e) {
            if (c != null) {
                c.close();
            }
            throw e;
        }
        this.cacheBridge = c;
        this.rpcBridge = r;
        this.cache = layout;
        this.cacheMemory = c.segment();
        this.rpc = new RpcLayout(r.segment());
        long base = ThreadLocalRandom.current().nextLong(1L << 40) << 8;
        for (int s = 0; s < RpcLayout.SLOTS; s++) {
            seqs[s] = base + s * (1L << 32);
            rpc.resetState(vnode, s, RpcLayout.word(seqs[s], RpcLayout.FREE));
            freeSlots.add(s);
        }
        this.drained = rpc.drainSeq(vnode);
        rpc.drainAck(vnode, drained);
        this.drainer = threads.create("vfs-drain-" + vnode, this::drainLoop);
        drainer.start();
        this.epoch = cache.epoch();
        call(Op.HELLO, b -> { });
    }

    public int vnode() {
        return vnode;
    }

    public CacheLayout cache() {
        return cache;
    }

    /** This vnode's handler of {@link VfsServer#CLIENT_VECTOR}: answers or a drain are waiting. */
    public void interrupt() {
        reapPosted();
        for (int s = 0; s < RpcLayout.SLOTS; s++) {
            Thread t = waiters[s];
            if (t != null && RpcLayout.state(rpc.stateWord(vnode, s)) == RpcLayout.ANSWER) {
                LockSupport.unpark(t);
            }
        }
        if (rpc.drainSeq(vnode) != drained) {
            LockSupport.unpark(drainer);
        }
    }

    private void drainLoop() {
        while (!closed) {
            long want = rpc.drainSeq(vnode);
            if (want != drained) {
                access.writeLock().lock();
                try {
                    for (CachedInode i : inodes.values()) {
                        i.forgetLost(cache, vnode);
                    }
                } finally {
                    access.writeLock().unlock();
                }
                for (MappingImpl m : mappings) {
                    m.checkTokens();
                }
                drained = want;
                drains.incrementAndGet();
                rpc.drainAck(vnode, want);
                raise.raise(Nanokernel.ROOT, VfsServer.VECTOR);
                continue;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    // ---- requests

    /**
     * Sends one request and waits for its answer, which is returned as a heap buffer (the slot
     * is free again when this returns).
     */
    ByteBuffer call(int op, Consumer<ByteBuffer> request) throws Failure {
        return call(op, request, timeout);
    }

    /** Gives back the slots of posted requests the server has answered. */
    private void reapPosted() {
        for (int s = 0; s < RpcLayout.SLOTS; s++) {
            long seq = posted.get(s);
            if (seq != 0 && rpc.stateWord(vnode, s) == RpcLayout.word(seq, RpcLayout.ANSWER) && posted.compareAndSet(s, seq, 0)) {
                if (rpc.status(vnode, s) != 0) {
                    LOG.log(Level.DEBUG, "vfs client of vnode " + vnode + ": a posted " + Op.name(rpc.op(vnode, s)) + " failed: "
                            + Errno.of(rpc.status(vnode, s)));
                }
                rpc.resetState(vnode, s, RpcLayout.word(seq, RpcLayout.FREE));
                freeSlots.add(s);
                freeCount.release();
            }
        }
    }

    /** Takes a free slot (waiting for one) and writes the request into it, not yet published. */
    private int take(int op, Consumer<ByteBuffer> request) throws Failure {
        if (closed) {
            throw Errno.EBADF.fail("the filesystem client of vnode " + vnode + " is closed");
        }
        reapPosted();
        try {
            long nextRootCheck = System.nanoTime() + ROOT_CHECK_NANOS;
            while (!freeCount.tryAcquire(1, TimeUnit.MILLISECONDS)) {
                reapPosted();
                if (cache.epoch() == 0) {
                    throw Errno.EIO.fail("the root's filesystem server has stopped");
                }
                if (System.nanoTime() - nextRootCheck > 0) {
                    nextRootCheck = System.nanoTime() + ROOT_CHECK_NANOS;
                    if (!rootAlive.getAsBoolean()) {
                        throw rootGone();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Errno.EIO.fail("interrupted");
        }
        int slot = freeSlots.poll();
        ByteBuffer req = rpc.requestBuffer(vnode, slot);
        try {
            request.accept(req);
        } catch (java.nio.BufferOverflowException e) {
            freeSlots.add(slot);
            freeCount.release();
            throw Errno.ENAMETOOLONG.fail("the request does not fit in " + RpcLayout.REQUEST_MAX + " bytes");
        }
        rpc.requestLength(vnode, slot, req.position());
        rpc.op(vnode, slot, op);
        return slot;
    }

    /**
     * Sends a request whose answer nobody waits for (closing a file): its slot comes back when
     * the answer arrives. The server serves requests concurrently, so a posted request may be
     * served after a later one; only requests that commute with everything are posted.
     */
    void post(int op, Consumer<ByteBuffer> request) throws Failure {
        int slot = take(op, request);
        long seq = ++seqs[slot];
        posted.set(slot, seq);
        rpc.resetState(vnode, slot, RpcLayout.word(seq, RpcLayout.REQUEST));
        raise.raise(Nanokernel.ROOT, VfsServer.VECTOR);
    }

    ByteBuffer call(int op, Consumer<ByteBuffer> request, Duration timeout) throws Failure {
        int slot = take(op, request);
        try {
            long seq = ++seqs[slot];
            waiters[slot] = Thread.currentThread();
            long start = System.nanoTime();
            rpc.resetState(vnode, slot, RpcLayout.word(seq, RpcLayout.REQUEST));
            raise.raise(Nanokernel.ROOT, VfsServer.VECTOR);
            long answered = RpcLayout.word(seq, RpcLayout.ANSWER);
            long spinUntil = start + 20_000;
            long yieldUntil = start + 20_000;
            long deadline = start + timeout.toNanos();
            long nextRootCheck = start + ROOT_CHECK_NANOS;
            while (rpc.stateWord(vnode, slot) != answered) {
                long now = System.nanoTime();
                if (now - nextRootCheck > 0) {
                    nextRootCheck = now + ROOT_CHECK_NANOS;
                    if (!rootAlive.getAsBoolean()) {
                        rpc.resetState(vnode, slot, RpcLayout.word(++seqs[slot], RpcLayout.FREE));
                        throw rootGone();
                    }
                }
                if (cache.epoch() == 0 || Thread.currentThread().isInterrupted()) {
                    rpc.resetState(vnode, slot, RpcLayout.word(++seqs[slot], RpcLayout.FREE));
                    throw Errno.EIO.fail(cache.epoch() == 0 ? "the root's filesystem server has stopped"
                            : "interrupted while waiting for the root's filesystem server");
                }
                if (now - deadline > 0) {
                    rpc.resetState(vnode, slot, RpcLayout.word(++seqs[slot], RpcLayout.FREE));
                    throw Errno.EIO.fail("the root's filesystem server did not answer " + Op.name(op) + " in "
                            + timeout.toMillis() + " ms");
                }
                if (now - spinUntil < 0) {
                    Thread.onSpinWait();
                } else if (now - yieldUntil < 0) {
                    Thread.yield(); // most answers come within this; a vnode's one CPU stays free for its other threads
                } else {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the answer's interrupt unparks this
                }
            }
            latency.add(rpc.picked(vnode, slot) - start, rpc.answered(vnode, slot) - rpc.picked(vnode, slot),
                    System.nanoTime() - rpc.answered(vnode, slot));
            int status = rpc.status(vnode, slot);
            ByteBuffer in = rpc.answer(vnode, slot);
            ByteBuffer copy = ByteBuffer.allocate(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            copy.put(in).flip();
            rpc.resetState(vnode, slot, RpcLayout.word(seq, RpcLayout.FREE));
            if (status != 0) {
                throw Errno.of(status).fail(Errno.getString(copy));
            }
            return copy;
        } finally {
            waiters[slot] = null;
            freeSlots.add(slot);
            freeCount.release();
        }
    }

    private Failure rootGone() {
        return Errno.EIO.fail("the root is gone: its filesystem server cannot answer (vnode " + vnode + ")");
    }

    // ---- files

    /** An open file of this vnode. */
    public final class Handle implements AutoCloseable {
        final CachedInode inode;
        final String path;
        final boolean writable;
        final long epoch;
        private volatile boolean open = true;

        Handle(CachedInode inode, String path, boolean writable, long epoch) {
            this.epoch = epoch;
            this.inode = inode;
            this.path = path;
            this.writable = writable;
        }

        public String path() {
            return path;
        }

        public long id() {
            return inode.id;
        }

        void check() throws Failure {
            if (!open) {
                throw Errno.EBADF.fail(path + " is closed");
            }
            if (cache.epoch() != epoch) {
                throw Errno.ESTALE.fail(path + " was opened before the root's filesystem server restarted: open it again");
            }
            if (cache.inodeId(inode.slot) != inode.id) {
                throw Errno.ESTALE.fail(path + " is gone from the server");
            }
        }

        public long size() throws Failure {
            check();
            return cache.size(inode.slot);
        }

        @Override
        public void close() throws Failure {
            if (!open) {
                return;
            }
            open = false;
            synchronized (inodes) {
                inode.handles--;
                if (inodes.size() > KEPT_INODES || hintBytes.get() > KEPT_HINT_BYTES) {
                    inodes.values().removeIf(i -> {
                        if (i.handles != 0) {
                            return false;
                        }
                        hintBytes.addAndGet(-i.bytes());
                        return true;
                    });
                }
            }
            post(Op.CLOSE, b -> b.putLong(inode.id));
        }
    }

    /** Opens (or creates) {@code path}, a repository path {@code export/dir/name}; {@code flags} are {@link Op}'s O_ flags. */
    /**
     * After the root's server restarted (a new build of the bundle), forgets everything of the
     * old one: hints, mappings; handles opened before fail with ESTALE.
     */
    private void adoptEpoch() throws Failure {
        long now = cache.epoch();
        if (now == epoch || now == 0) {
            return;
        }
        synchronized (this) {
            if (cache.epoch() == epoch) {
                return;
            }
            access.writeLock().lock();
            try {
                inodes.clear();
                hintBytes.set(0);
                epoch = cache.epoch();
            } finally {
                access.writeLock().unlock();
            }
            for (MappingImpl m : List.copyOf(mappings)) {
                m.checkTokens();
            }
            LOG.log(Level.INFO, "vfs client of vnode " + vnode + ": the root's filesystem server restarted; files open before are stale");
            call(Op.HELLO, b -> { });
        }
    }

    public Handle open(String path, int flags, int mode) throws Failure {
        adoptEpoch();
        ByteBuffer a = call(Op.OPEN, b -> {
            Errno.putString(b, path);
            b.putInt(flags).putInt(mode);
        });
        long id = a.getLong();
        int slot = a.getInt();
        CachedInode inode;
        synchronized (inodes) {
            inode = inodes.computeIfAbsent(id, k -> new CachedInode(id, slot, hintBytes));
            inode.handles++;
        }
        return new Handle(inode, path, (flags & Op.O_WRITE) != 0, epoch);
    }

    /**
     * Reads up to {@code length} bytes at {@code position} into {@code into} at {@code offset};
     * returns how many, or -1 at end of file.
     */
    public int read(Handle h, long position, MemorySegment into, long offset, int length) throws Failure {
        h.check();
        CachedInode f = h.inode;
        if (length == 0) {
            return 0;
        }
        for (int attempt = 0; ; attempt++) {
            long size = cache.size(f.slot);
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(Math.min(length, size - position), (long) VfsServer.MAX_PAGES * CacheLayout.PAGE
                    - (position & (CacheLayout.PAGE - 1)));
            long first = position >>> CacheLayout.PAGE_SHIFT;
            long last = (position + n - 1) >>> CacheLayout.PAGE_SHIFT;
            long missing = -1;
            int copied;
            access.readLock().lock();
            try {
                copied = copy(f, position, into, offset, n, false);
                if (cache.epoch() != h.epoch) {
                    throw Errno.ESTALE.fail(h.path + ": the root's filesystem server restarted during the read");
                }
            } finally {
                access.readLock().unlock();
            }
            if (copied > 0) {
                hits.incrementAndGet();
                f.nextSequential = position + copied;
                return copied;
            }
            missing = first;
            misses.incrementAndGet();
            long ahead = f.nextSequential == position || first == 0 ? READAHEAD : 0;
            int count = (int) Math.min(VfsServer.MAX_PAGES, last - missing + 1 + ahead);
            long from = missing;
            grant(f, call(Op.PAGES, b -> b.putLong(f.id).putLong(from).putInt(count).putInt(0).putLong(-1).putLong(0)), from);
            if (attempt > 1000) {
                throw Errno.EIO.fail("could not keep a read token on " + h.path + " for 1000 attempts");
            }
        }
    }

    /** Writes {@code length} bytes from {@code from} at {@code offset} to the file at {@code position} (or at its end with {@code append}); returns the position written at. */
    public long write(Handle h, long position, MemorySegment from, long offset, int length, boolean append) throws Failure {
        h.check();
        if (!h.writable) {
            throw Errno.EBADF.fail(h.path + " is not open for writing");
        }
        CachedInode f = h.inode;
        if (length == 0) {
            return append ? cache.size(f.slot) : position;
        }
        if (length > VfsServer.MAX_PAGES * CacheLayout.PAGE - CacheLayout.PAGE) {
            throw new IllegalArgumentException("write of " + length + " bytes: split it (max "
                    + (VfsServer.MAX_PAGES - 1) * CacheLayout.PAGE + ")");
        }
        if (append) {
            ByteBuffer a = call(Op.PAGES, b -> b.putLong(f.id).putLong(0).putInt(0).putInt(Op.P_APPEND).putLong(-1).putLong(length));
            position = a.getLong(0);
            grant(f, a, position >>> CacheLayout.PAGE_SHIFT);
        }
        long end = position + length;
        long first = position >>> CacheLayout.PAGE_SHIFT;
        long last = (end - 1) >>> CacheLayout.PAGE_SHIFT;
        for (int attempt = 0; ; attempt++) {
            long missing = -1;
            boolean grows = end > cache.size(f.slot);
            access.readLock().lock();
            try {
                for (long p = first; p <= last && !grows; p++) {
                    int fr = f.frame(p);
                    if (fr < 0 || !cache.mayWrite(fr, vnode, f.id, p)) {
                        missing = p;
                        break;
                    }
                }
                if (missing < 0 && !grows) {
                    copy(f, position, from, offset, length, true);
                    hits.incrementAndGet();
                    cache.touch(f.slot, System.currentTimeMillis());
                    return position;
                }
            } finally {
                access.readLock().unlock();
            }
            misses.incrementAndGet();
            long ask = missing < 0 ? first : missing;
            int count = (int) (last - ask + 1);
            long newSize = end;
            grant(f, call(Op.PAGES, b -> b.putLong(f.id).putLong(ask).putInt(count).putInt(Op.P_WRITE).putLong(newSize).putLong(0)), ask);
            if (attempt > 1000) {
                throw Errno.EIO.fail("could not keep a write token on " + h.path + " for 1000 attempts");
            }
        }
    }

    /**
     * Records the frames the server granted as hints, each only if its token is still this
     * vnode's: checked under the access lock, so a revocation that came in between (its drain
     * already acknowledged) is seen here, and a later one will find the hint in its drain.
     */
    private void grant(CachedInode f, ByteBuffer a, long first) {
        a.position(16);
        int n = a.getInt();
        access.readLock().lock();
        try {
            for (int k = 0; k < n; k++) {
                int frame = a.getInt();
                f.frame(first + k, cache.mayRead(frame, vnode, f.id, first + k) ? frame : -1);
            }
        } finally {
            access.readLock().unlock();
        }
    }

    /**
     * Copies between the cache and {@code other}, page by page while this vnode holds the
     * pages' tokens (reading) or after the caller checked them (writing); returns how many
     * bytes, up to the first page it may not read. Pages in consecutive frames are copied in
     * one piece. The caller holds the access lock.
     */
    private int copy(CachedInode f, long position, MemorySegment other, long offset, int length, boolean toCache) {
        int done = 0;
        while (done < length) {
            long at = position + done;
            long page = at >>> CacheLayout.PAGE_SHIFT;
            int fr = f.frame(page);
            if (fr < 0) {
                return done;
            }
            int within = (int) (at & (CacheLayout.PAGE - 1));
            int chunk = Math.min(length - done, CacheLayout.PAGE - within);
            // extend over the following pages while they sit in the following frames
            while (done + chunk < length) {
                int next = f.frame(page + 1);
                if (next != fr + 1) {
                    break;
                }
                page++;
                fr = next;
                chunk += Math.min(length - done - chunk, CacheLayout.PAGE);
            }
            long cacheAt = cache.pageOffset(f.frame(at >>> CacheLayout.PAGE_SHIFT)) + within;
            if (toCache) {
                MemorySegment.copy(other, offset + done, cacheMemory, cacheAt, chunk);
            } else {
                MemorySegment.copy(cacheMemory, cacheAt, other, offset + done, chunk);
            }
            done += chunk;
        }
        return done;
    }

    public void truncate(Handle h, long size) throws Failure {
        h.check();
        if (!h.writable) {
            throw Errno.EBADF.fail(h.path + " is not open for writing");
        }
        call(Op.SETSIZE, b -> b.putLong(h.inode.id).putLong(size));
    }

    /** Returns once every byte written to the file is on the root's storage device. */
    public void fsync(Handle h) throws Failure {
        h.check();
        call(Op.FSYNC, b -> b.putLong(h.inode.id));
    }

    void syncPages(long id, long first, long count) throws Failure {
        call(Op.SYNCPAGES, b -> b.putLong(id).putLong(first).putLong(count));
    }

    /**
     * Maps {@code length} bytes from {@code offset} (page aligned) of an open file. The mapping
     * holds the pages' tokens; see {@link MappingImpl}.
     */
    public org.smpcluster.api.vfs.FileMapping map(Handle h, long offset, long length, boolean writable, java.nio.file.Path file) throws Failure {
        h.check();
        if (offset < 0 || (offset & (CacheLayout.PAGE - 1)) != 0 || length <= 0) {
            throw Errno.EINVAL.fail("offset=" + offset + " length=" + length + ": the offset must be a multiple of "
                    + CacheLayout.PAGE + " and the length positive");
        }
        if (writable && !h.writable) {
            throw Errno.EACCES.fail(h.path + " is not open for writing");
        }
        long size = cache.size(h.inode.slot);
        if (offset + length > ((size + CacheLayout.PAGE - 1) & ~(long) (CacheLayout.PAGE - 1))) {
            throw Errno.EINVAL.fail("[" + offset + ", " + (offset + length) + ") is beyond the file's size " + size);
        }
        CachedInode f = h.inode;
        long first = offset >>> CacheLayout.PAGE_SHIFT;
        int pages = (int) ((length + CacheLayout.PAGE - 1) >>> CacheLayout.PAGE_SHIFT);
        int[] frames = new int[pages];
        for (int attempt = 0; attempt < 100; attempt++) {
            for (int done = 0; done < pages; ) {
                int count = Math.min(VfsServer.MAX_PAGES, pages - done);
                long from = first + done;
                ByteBuffer a = call(Op.PAGES, b -> b.putLong(f.id).putLong(from).putInt(count)
                        .putInt(writable ? Op.P_WRITE : 0).putLong(-1).putLong(0));
                a.position(16);
                int n = a.getInt();
                if (n == 0) {
                    throw Errno.EINVAL.fail("nothing to map at page " + from);
                }
                for (int k = 0; k < n; k++) {
                    frames[done + k] = a.getInt();
                }
                done += n;
            }
            MappingImpl m = new MappingImpl(this, file, f.id, f.slot, offset, length, writable, first, frames);
            access.readLock().lock();
            try {
                if (m.tokensHeld()) {
                    mappings.add(m);
                    return m;
                }
            } finally {
                access.readLock().unlock();
            }
            m.invalidate();
        }
        throw Errno.EBUSY.fail("other vnodes kept taking the pages of " + h.path + " away");
    }

    MemorySegment pageOf(int frame) {
        return cacheMemory.asSlice(cache.pageOffset(frame), CacheLayout.PAGE);
    }

    // ---- names

    /** The attributes of a path: type, size, times and mode. */
    public record Stat(int type, long size, long mtime, long atime, long ctime, int mode, long inode) {
    }

    public Stat stat(String path) throws Failure {
        ByteBuffer a = call(Op.STAT, b -> Errno.putString(b, path));
        return new Stat(a.getInt(), a.getLong(), a.getLong(), a.getLong(), a.getLong(), a.getInt(), a.getLong());
    }

    /** A directory entry. */
    public record Entry(String name, int type) {
    }

    public List<Entry> list(String path) throws Failure {
        List<Entry> out = new ArrayList<>();
        int cookie = 0;
        while (cookie >= 0) {
            int from = cookie;
            ByteBuffer a = call(Op.READDIR, b -> {
                Errno.putString(b, path);
                b.putInt(from);
            });
            cookie = a.getInt();
            int n = a.getInt();
            for (int i = 0; i < n; i++) {
                int type = a.get();
                out.add(new Entry(Errno.getString(a), type));
            }
        }
        return out;
    }

    public void mkdir(String path, int mode) throws Failure {
        call(Op.MKDIR, b -> {
            Errno.putString(b, path);
            b.putInt(mode);
        });
    }

    public void remove(String path) throws Failure {
        call(Op.REMOVE, b -> Errno.putString(b, path));
    }

    public void rename(String from, String to, boolean replace) throws Failure {
        call(Op.RENAME, b -> {
            Errno.putString(b, from);
            Errno.putString(b, to);
            b.putInt(replace ? Op.R_REPLACE : 0);
        });
    }

    public void setMtime(String path, long millis) throws Failure {
        call(Op.UTIMES, b -> {
            Errno.putString(b, path);
            b.putLong(millis);
        });
    }

    /**
     * Where this vnode's last requests spent their time: until the server took each (the
     * portal and the server's wake-up), serving it, and until this vnode saw the answer.
     */
    static final class Latency {
        private final long[][] samples = new long[3][256];
        private int next;
        private int count;

        synchronized void add(long queued, long served, long returned) {
            samples[0][next] = queued;
            samples[1][next] = served;
            samples[2][next] = returned;
            next = (next + 1) % samples[0].length;
            count = Math.min(count + 1, samples[0].length);
        }

        /** The last request's, in microseconds. */
        synchronized double[] last() {
            int i = (next + samples[0].length - 1) % samples[0].length;
            return new double[] {samples[0][i] / 1e3, samples[1][i] / 1e3, samples[2][i] / 1e3};
        }

        /** Medians in microseconds: waiting to be taken, being served, coming back. */
        synchronized double[] medians() {
            double[] m = new double[3];
            for (int i = 0; i < 3 && count > 0; i++) {
                long[] a = java.util.Arrays.copyOf(samples[i], count);
                java.util.Arrays.sort(a);
                m[i] = a[count / 2] / 1e3;
            }
            return m;
        }
    }

    /** What this vnode's hints take of its heap, roughly, in bytes. */
    public long hintBytes() {
        return hintBytes.get();
    }

    /** Medians (µs) of this vnode's last requests: until the root took them, serving, until the answer was seen. */
    public double[] requestLatency() {
        return latency.medians();
    }

    /** The last request's times (µs), as {@link #requestLatency()}. */
    public double[] lastRequestLatency() {
        return latency.last();
    }

    /** The page cache's counters (the server's) and this vnode's. */
    public record CacheStats(int pageSize, int frames, int free, int dirty, int readTokens, int writeTokens,
            long evictions, long revocations, long writebacks, int inodes, long requests, long failures,
            long hits, long misses, long drains, long invalidatedMappings) {
    }

    public CacheStats cacheStats() throws Failure {
        ByteBuffer a = call(Op.CACHE, b -> { });
        return new CacheStats(a.getInt(), a.getInt(), a.getInt(), a.getInt(), a.getInt(), a.getInt(), a.getLong(),
                a.getLong(), a.getLong(), a.getInt(), a.getLong(), a.getLong(), hits.get(), misses.get(), drains.get(),
                invalidated.get());
    }

    /** The storage device under the repository. */
    public record StatFs(long total, long unallocated, long usable, String repository) {
    }

    public StatFs statfs() throws Failure {
        ByteBuffer a = call(Op.STATFS, b -> { });
        return new StatFs(a.getLong(), a.getLong(), a.getLong(), Errno.getString(a));
    }

    /**
     * The low-level check every access goes through: the bytes of page {@code page} of file
     * {@code id} in frame {@code frame}, if this vnode holds the token for it.
     *
     * @throws Failure EACCES when it does not
     */
    public MemorySegment page(long id, long page, int frame, boolean write) throws Failure {
        if (frame < 0 || frame >= cache.frames()) {
            throw Errno.EINVAL.fail("frame=" + frame);
        }
        boolean ok = write ? cache.mayWrite(frame, vnode, id, page) : cache.mayRead(frame, vnode, id, page);
        if (!ok) {
            throw Errno.EACCES.fail("vnode " + vnode + " holds no " + (write ? "write" : "read") + " token on page "
                    + page + " of file " + id + " (frame " + frame + ")");
        }
        MemorySegment s = pageOf(frame);
        return write ? s : s.asReadOnly();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (MappingImpl m : List.copyOf(mappings)) {
            m.close();
        }
        boolean rootUp = rootAlive.getAsBoolean();
        if (rootUp) {
            try {
                call(Op.BYE, b -> { }, Duration.ofMillis(300));
            } catch (Failure e) {
                LOG.log(Level.DEBUG, "vfs client of vnode " + vnode + ": the server did not hear goodbye: " + e.getMessage());
            }
        } // else nobody is there to say goodbye to: the next root formats a new cache
        closed = true;
        LockSupport.unpark(drainer);
        try {
            drainer.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the server forgets this vnode's tokens at its next HELLO or when the vnode leaves; ack any drain now
        rpc.drainAck(vnode, rpc.drainSeq(vnode));
        if (!rootUp) {
            // Closing a bridge tells the root (a DSP call) when it is the last handle; a dead root
            // never answers, and the mappings end with this vnode's nanokernel anyway.
            LOG.log(Level.DEBUG, "vfs client of vnode " + vnode + " closed without its root (bridges left to the nanokernel)");
            return;
        }
        raise.raise(Nanokernel.ROOT, VfsServer.VECTOR);
        try {
            cacheBridge.close();
            rpcBridge.close();
        } catch (RuntimeException e) {
            // the root went away during the close: nothing of this vnode's is left to undo
            LOG.log(Level.INFO, "vfs client of vnode " + vnode + ": the root did not see the bridges closed: " + e.getMessage());
        }
        LOG.log(Level.DEBUG, "vfs client of vnode " + vnode + " closed");
    }

    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
}
