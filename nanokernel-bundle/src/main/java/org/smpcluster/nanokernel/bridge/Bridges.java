package org.smpcluster.nanokernel.bridge;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeAccessException;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.OutOfPhysicalMemoryException;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.nanokernel.RelocationListener;
import org.smpcluster.nanokernel.dsp.DspClient;
import org.smpcluster.nanokernel.dsp.DspException;
import org.smpcluster.nanokernel.dsp.Message;
import org.smpcluster.nanokernel.dsp.RootGoneException;
import org.smpcluster.nanokernel.layout.BridgeDirectoryDescriptor;
import org.smpcluster.nanokernel.layout.BridgeDirectoryDescriptor.Entry;

/**
 * A vnode's bridge manager. On the root it calls the {@link BridgeTable} directly; on other
 * vnodes it asks the root over the DSP. Each vnode groups its own handles per bridge and tells
 * the root only when the last handle of a group closes.
 *
 * <p>Relocation of transient bridges: the root marks the bridge frozen and rings
 * {@link Portals#VECTOR_RELOCATE} on each user. A user's relocation thread takes the group's
 * write lock (waiting for open {@link Bridge#access() accesses} to close, holding back new
 * ones) and acknowledges. The root moves the bytes, records the new place, unfreezes the bridge
 * and rings again; each user points its group at the new place, runs its listeners and lets
 * accesses in again.
 */
public final class Bridges implements BridgeManager {

    private static final System.Logger LOG = System.getLogger(Bridges.class.getName());
    private static final Pattern OOM =
            Pattern.compile("asked for (\\d+) bytes, largest free extent is (\\d+) bytes, (\\d+) bytes free");

    private final int vnode;
    private final MemorySegment physmem;
    private final BridgeTable table;
    private final DspClient dsp;
    private final Portals portals;
    private final Duration timeout;
    /** This vnode's open bridges, by directory index. Changed under {@link #openClose}. */
    private final Map<Integer, Group> groups = new ConcurrentHashMap<>();
    private final java.util.concurrent.locks.ReentrantLock openClose = new java.util.concurrent.locks.ReentrantLock();
    /** Root: freeze and thaw acknowledgements awaited, by "index/vnode/phase". */
    private final Map<String, CompletableFuture<Void>> acks = new ConcurrentHashMap<>();
    private static final int FROZE = 1;
    private static final int THAWED = 0;
    private final ExecutorService relocations;

    /** The root's manager. */
    public static Bridges root(MemorySegment physmem, BridgeTable table, Portals portals, Duration timeout,
            BiFunction<String, Runnable, Thread> threads) {
        return new Bridges(Nanokernel.ROOT, physmem, table, null, portals, timeout, threads);
    }

    /** A joiner's manager, talking to the root over {@code dsp}. */
    public static Bridges joiner(int vnode, MemorySegment physmem, DspClient dsp, Portals portals, Duration timeout,
            BiFunction<String, Runnable, Thread> threads) {
        return new Bridges(vnode, physmem, null, dsp, portals, timeout, threads);
    }

    /** @param threads makes the relocation thread (a kernel thread: the vnode panics if it dies) */
    private Bridges(int vnode, MemorySegment physmem, BridgeTable table, DspClient dsp, Portals portals,
            Duration timeout, BiFunction<String, Runnable, Thread> threads) {
        this.vnode = vnode;
        this.physmem = physmem;
        this.table = table;
        this.dsp = dsp;
        this.portals = portals;
        this.timeout = timeout;
        this.relocations = Executors.newSingleThreadExecutor(r -> threads.apply("vnode-" + vnode + "-relocate", r));
    }

    @Override
    public Bridge open(String name, long size) {
        return openBridge(Bridge.GLOBAL, name, size, null);
    }

    @Override
    public Bridge open(int owner, String name, long size) {
        if (owner < 0 || owner >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + owner + " is outside 0.." + (Nanokernel.MAX_VNODES - 1)
                    + "; use open(name, size) for a global bridge");
        }
        return openBridge(owner, name, size, null);
    }

    @Override
    public Bridge openTransient(String name, long size, RelocationListener listener) {
        if (listener == null) {
            throw new IllegalArgumentException("a transient bridge needs a relocation listener");
        }
        return openBridge(Bridge.GLOBAL, name, size, listener);
    }

    /**
     * Read straight from the bridge directory, on the root and on a joiner alike: every vnode
     * maps the directory and the whole of physical memory, and a peek registers no user (it must
     * not keep a dead vnode's bridge from being reclaimed), so there is nothing to ask the root.
     */
    @Override
    public Optional<Bridge> peek(int owner, String name) {
        if (owner < 0 || owner >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + owner + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        try {
            BridgeTable.checkName(name);
        } catch (DspException e) {
            throw translate(e);
        }
        for (Entry e : table != null ? table.entries() : BridgeTable.active(physmem)) {
            if (e.owner() == owner && e.name().equals(name)) {
                return Optional.of(new Peek(e));
            }
        }
        return Optional.empty();
    }

    /** A read-only look at a local bridge of some vnode, valid while the directory still has that bridge there. */
    private final class Peek implements Bridge {
        private final Entry entry;
        private final MemorySegment segment;
        private final AtomicBoolean open = new AtomicBoolean(true);

        Peek(Entry entry) {
            this.entry = entry;
            this.segment = physmem.asSlice(entry.offset(), entry.size()).asReadOnly();
        }

        @Override
        public String name() {
            return entry.name();
        }

        @Override
        public int owner() {
            return entry.owner();
        }

        @Override
        public long size() {
            return entry.size();
        }

        @Override
        public MemorySegment segment() {
            if (!open.get()) {
                throw new IllegalStateException("peek at bridge '" + entry.name() + "' of vnode " + entry.owner()
                        + " is closed");
            }
            Entry now = BridgeDirectoryDescriptor.read(physmem, entry.index());
            if (!now.active() || now.owner() != entry.owner() || now.offset() != entry.offset()
                    || now.generation() != entry.generation() || !now.name().equals(entry.name())) {
                throw new IllegalStateException("bridge '" + entry.name() + "' of vnode " + entry.owner()
                        + " is gone (its vnode closed it or died); peek again");
            }
            return segment;
        }

        @Override
        public boolean isTransient() {
            return entry.isTransient();
        }

        @Override
        public Access access() {
            return new HeldAccess(segment(), () -> { });
        }

        @Override
        public void close() {
            open.set(false);
        }

        @Override
        public String toString() {
            return "peek at bridge '" + entry.name() + "' (vnode " + entry.owner() + ", " + entry.size() + " bytes)";
        }
    }

    private Bridge openBridge(int owner, String name, long size, RelocationListener listener) {
        boolean isTransient = listener != null;
        // Opening and closing are one at a time on a vnode: a close telling the root "last
        // handle gone" must not overtake an open that has just been answered for the same bridge.
        openClose.lock();
        try {
            BridgeTable.Opened opened;
            try {
                opened = table != null ? table.open(vnode, owner, name, size, isTransient)
                        : openRemote(owner, name, size, isTransient);
            } catch (DspException e) {
                throw translate(e);
            }
            Group group = groups.computeIfAbsent(opened.index(), i -> new Group(i, opened, physmem));
            Handle handle = new Handle(group, owner, name, listener);
            group.handles.add(handle);
            return handle;
        } finally {
            openClose.unlock();
        }
    }

    private BridgeTable.Opened openRemote(int owner, String name, long size, boolean isTransient) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer request = Message.payload(16 + utf8.length).putInt(owner).putLong(size)
                .putInt(isTransient ? 1 : 0).put(utf8);
        ByteBuffer answer = dsp.call(Message.BRIDGE_OPEN, request.array()).body();
        return new BridgeTable.Opened(answer.getInt(), answer.getLong(), answer.getLong(), answer.getInt(),
                answer.getInt() != 0);
    }

    /** The root's handler for {@link Message#BRIDGE_OPEN}. */
    public static byte[] serveOpen(BridgeTable table, int requester, Message request) {
        ByteBuffer body = request.body();
        int owner = body.getInt();
        long size = body.getLong();
        boolean isTransient = body.getInt() != 0;
        byte[] utf8 = new byte[body.remaining()];
        body.get(utf8);
        BridgeTable.Opened o = table.open(requester, owner, new String(utf8, StandardCharsets.UTF_8), size, isTransient);
        return Message.payload(28).putInt(o.index()).putLong(o.offset()).putLong(o.size()).putInt(o.generation())
                .putInt(o.isTransient() ? 1 : 0).array();
    }

    /** The root's handler for {@link Message#BRIDGE_CLOSE}. */
    public static byte[] serveClose(BridgeTable table, int requester, Message request) {
        table.close(requester, request.body().getInt());
        return new byte[0];
    }

    /** The root's handler for {@link Message#BRIDGE_FROZEN}: a user froze or thawed a bridge. */
    public byte[] serveFrozen(int requester, Message request) {
        ByteBuffer body = request.body();
        int index = body.getInt();
        acknowledged(index, requester, body.getInt());
        return new byte[0];
    }

    private void release(Handle handle) {
        Group group = handle.group;
        openClose.lock();
        try {
            group.handles.remove(handle);
            if (!group.handles.isEmpty()) {
                return;
            }
            groups.remove(group.index);
            if (table != null) {
                table.close(vnode, group.index);
            } else if (!dsp.rootGone()) {
                try {
                    dsp.call(Message.BRIDGE_CLOSE, Message.payload(4).putInt(group.index).array());
                } catch (RootGoneException gone) {
                    // Nobody to tell: the root that would free the bridge is gone, and the
                    // cluster's memory with it. The handle is closed all the same.
                }
            }
        } finally {
            openClose.unlock();
        }
    }

    /** {@link Portals#VECTOR_RELOCATE} arrived: freeze or thaw groups, off the interrupt thread. */
    public void onRelocate() {
        relocations.execute(() -> {
            try {
                syncRelocations();
            } catch (RootGoneException e) {
                // The vnode is ending with its root: no relocation will be finished.
                LOG.log(Level.INFO, "vnode " + vnode + ": bridge relocation skipped: " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "vnode " + vnode + ": bridge relocation failed", e);
            }
        });
    }

    /** Relocation thread only: brings every transient group in line with the directory. */
    private void syncRelocations() {
        for (Group group : List.copyOf(groups.values())) {
            if (!group.isTransient) {
                continue;
            }
            Entry e = BridgeDirectoryDescriptor.read(physmem, group.index);
            if (e.frozen() && !group.frozen) {
                group.lock.writeLock().lock(); // waits for open accesses; holds back new ones
                group.frozen = true;
                acknowledge(group.index, FROZE);
            } else if (!e.frozen() && group.frozen) {
                long from = group.offset;
                group.moveTo(e.offset(), e.size(), physmem);
                try {
                    if (from != e.offset()) {
                        for (Handle h : group.handles) {
                            if (h.listener != null) {
                                h.listener.relocated(h, from, e.offset());
                            }
                        }
                    }
                } finally {
                    group.frozen = false;
                    group.lock.writeLock().unlock();
                }
                acknowledge(group.index, THAWED);
            }
        }
    }

    private void acknowledge(int index, int phase) {
        if (table != null) {
            acknowledged(index, vnode, phase);
        } else {
            dsp.call(Message.BRIDGE_FROZEN, Message.payload(8).putInt(index).putInt(phase).array());
        }
    }

    private void acknowledged(int index, int by, int phase) {
        CompletableFuture<Void> waiting = acks.get(index + "/" + by + "/" + phase);
        if (waiting != null) {
            waiting.complete(null);
        }
    }

    @Override
    public long compact() {
        if (table == null) {
            throw new IllegalStateException("only the root vnode compacts physical memory; this is vnode " + vnode);
        }
        long moved = 0;
        long after = -1;
        while (true) {
            Entry frozen = table.freezeNextMovable(after);
            if (frozen == null) {
                return moved;
            }
            Set<Integer> users = users(frozen.users());
            for (int user : users) {
                acks.put(frozen.index() + "/" + user + "/" + FROZE, new CompletableFuture<>());
                acks.put(frozen.index() + "/" + user + "/" + THAWED, new CompletableFuture<>());
            }
            try {
                users.forEach(user -> portals.raise(user, Portals.VECTOR_RELOCATE));
                BridgeTable.Relocation r;
                try {
                    await(frozen, users, FROZE, "freeze");
                    r = table.relocate(frozen);
                } catch (RuntimeException e) {
                    table.thaw(frozen);
                    throw e;
                } finally {
                    users.forEach(user -> portals.raise(user, Portals.VECTOR_RELOCATE)); // thaw
                }
                await(frozen, users, THAWED, "thaw");
                if (r != null) {
                    moved += r.size();
                    after = r.to();
                    LOG.log(Level.INFO, "bridge '" + r.name() + "' moved from 0x" + Long.toHexString(r.from())
                            + " to 0x" + Long.toHexString(r.to()));
                } else {
                    after = frozen.offset();
                }
            } finally {
                for (int user : users) {
                    acks.remove(frozen.index() + "/" + user + "/" + FROZE);
                    acks.remove(frozen.index() + "/" + user + "/" + THAWED);
                }
            }
        }
    }

    /** Waits for every user still holding the bridge to acknowledge {@code phase}. */
    private void await(Entry frozen, Set<Integer> users, int phase, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int user : users) {
            CompletableFuture<Void> ack = acks.get(frozen.index() + "/" + user + "/" + phase);
            try {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                Entry now = BridgeDirectoryDescriptor.read(physmem, frozen.index());
                if (now.active() && (now.users() & (1L << user)) != 0) {
                    throw new IllegalStateException("vnode " + user + " did not " + what + " bridge '" + frozen.name()
                            + "' within " + timeout.toMillis() + " ms"
                            + (phase == FROZE ? "; it stays where it was" : ""), e);
                }
                // the user closed it meanwhile: nothing to wait for
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for vnode " + user + " to " + what + " bridge '"
                        + frozen.name() + "'", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    @Override
    public List<BridgeInfo> bridges() {
        List<BridgeInfo> infos = new ArrayList<>();
        for (Entry e : table != null ? table.entries() : BridgeTable.active(physmem)) {
            infos.add(new BridgeInfo(e.name(), e.owner(), e.offset(), e.size(), users(e.users()), e.isTransient()));
        }
        return infos;
    }

    public void close() {
        relocations.shutdownNow();
    }

    private static Set<Integer> users(long mask) {
        Set<Integer> users = new HashSet<>();
        for (int v = 0; v < Nanokernel.MAX_VNODES; v++) {
            if ((mask & (1L << v)) != 0) {
                users.add(v);
            }
        }
        return users;
    }

    /** The API's exception for a refusal from the root. */
    static RuntimeException translate(DspException e) {
        return switch (e.status()) {
            case Message.EACCES -> new BridgeAccessException(e.getMessage());
            case Message.ENOMEM -> {
                Matcher m = OOM.matcher(e.getMessage());
                yield m.find()
                        ? new OutOfPhysicalMemoryException(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                                Long.parseLong(m.group(3)))
                        : new IllegalStateException(e.getMessage(), e);
            }
            case Message.EINVAL -> new IllegalArgumentException(e.getMessage(), e);
            default -> new IllegalStateException(e.getMessage(), e);
        };
    }

    /** An open access: the segment, and what closing it releases (once, on the opening thread). */
    private static final class HeldAccess implements Bridge.Access {
        private final MemorySegment segment;
        private final Runnable release;
        private final AtomicBoolean held = new AtomicBoolean(true);

        HeldAccess(MemorySegment segment, Runnable release) {
            this.segment = segment;
            this.release = release;
        }

        @Override
        public MemorySegment segment() {
            return segment;
        }

        @Override
        public void close() {
            if (held.compareAndSet(true, false)) {
                release.run();
            }
        }
    }

    /** This vnode's handles on one bridge, and where the bridge is now. */
    private static final class Group {
        final int index;
        final boolean isTransient;
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        final List<Handle> handles = new CopyOnWriteArrayList<>();
        volatile long offset;
        volatile MemorySegment segment;
        /** Relocation thread only. */
        boolean frozen;

        Group(int index, BridgeTable.Opened opened, MemorySegment physmem) {
            this.index = index;
            this.isTransient = opened.isTransient();
            moveTo(opened.offset(), opened.size(), physmem);
        }

        void moveTo(long newOffset, long size, MemorySegment physmem) {
            offset = newOffset;
            segment = physmem.asSlice(newOffset, size);
        }
    }

    /** One user's reference to a bridge. */
    private final class Handle implements Bridge {
        private final Group group;
        private final int owner;
        private final String name;
        private final RelocationListener listener;
        private final AtomicBoolean open = new AtomicBoolean(true);

        Handle(Group group, int owner, String name, RelocationListener listener) {
            this.group = group;
            this.owner = owner;
            this.name = name;
            this.listener = listener;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int owner() {
            return owner;
        }

        @Override
        public long size() {
            return group.segment.byteSize();
        }

        @Override
        public boolean isTransient() {
            return group.isTransient;
        }

        @Override
        public MemorySegment segment() {
            checkOpen();
            return group.segment;
        }

        @Override
        public Access access() {
            checkOpen();
            if (!group.isTransient) {
                return new HeldAccess(group.segment, () -> { });
            }
            // A read lock: relocation's write lock waits for it, and holds new ones back.
            ReentrantReadWriteLock.ReadLock read = group.lock.readLock();
            read.lock();
            return new HeldAccess(group.segment, read::unlock);
        }

        private void checkOpen() {
            if (!open.get()) {
                throw new IllegalStateException("bridge '" + name + "' is closed");
            }
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                release(this);
            }
        }

        @Override
        public String toString() {
            return "bridge '" + name + "' (" + (owner == GLOBAL ? "global" : "vnode " + owner) + ", " + size()
                    + " bytes" + (group.isTransient ? ", transient" : "") + ")";
        }
    }
}
