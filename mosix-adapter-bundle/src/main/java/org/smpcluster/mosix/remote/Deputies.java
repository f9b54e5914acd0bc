package org.smpcluster.mosix.remote;

import static org.smpcluster.mosix.layout.ChannelDescriptor.EXIT;
import static org.smpcluster.mosix.layout.ChannelDescriptor.FAILED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE_DATA;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE_FAILED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE_REQUEST;
import static org.smpcluster.mosix.layout.ChannelDescriptor.SIGNAL;
import static org.smpcluster.mosix.layout.ChannelDescriptor.SPAWN;
import static org.smpcluster.mosix.layout.ChannelDescriptor.STARTED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.STDERR;
import static org.smpcluster.mosix.layout.ChannelDescriptor.STDIN;
import static org.smpcluster.mosix.layout.ChannelDescriptor.STDIN_EOF;
import static org.smpcluster.mosix.layout.ChannelDescriptor.STDOUT;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.layout.ChannelDescriptor;
import org.smpcluster.mosix.proc.Frozen;
import org.smpcluster.mosix.proc.ProcessTable;
import org.smpcluster.mosix.proc.Resume;

/**
 * The MOSIX home/remote split on one vnode. As a home it keeps a deputy for each of its
 * processes that runs elsewhere: the process's stdio, its exit status for {@code wait}, its
 * entry (home here, current there) in this vnode's {@code proc} table. As a remote it runs
 * processes for other homes in its {@link ProcessTable} with their stdio forwarded home. They
 * talk through one {@link ChannelDescriptor channel} per (home, target) pair, rung with
 * {@link #VECTOR}; one kernel thread per vnode serves every channel.
 */
public final class Deputies implements AutoCloseable {

    /** The portal vector of deputy channels: the first driver vector nobody else took (vnet +0, console +1 +2, vfs +3 +4). */
    public static final int VECTOR = Portals.FIRST_DRIVER_VECTOR + 5;
    /** Each ring's capacity: a few screens of output in flight. */
    public static final int RING_CAPACITY = 64 * 1024;
    /** How long a spawn waits for the target's answer. */
    static final long SPAWN_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** How often dead peers and remote waits are looked at. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long a process has to reach a safe point when it is to move. */
    static final long FREEZE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long a shipped move waits for the receiver to run it. */
    static final long MIGRATE_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static final System.Logger LOG = System.getLogger(Deputies.class.getName());

    /** A process of this home that runs elsewhere. */
    private final class Deputy {
        final long pid;
        final int target;
        final OutputStream out;
        final OutputStream err;
        final CompletableFuture<Void> started = new CompletableFuture<>();
        final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        volatile ProcessInfo info;

        Deputy(long pid, int target, ProcessInfo info, OutputStream out, OutputStream err) {
            this.pid = pid;
            this.target = target;
            this.info = info;
            this.out = out;
            this.err = err;
        }

        void end(ExitStatus s) {
            flush(out);
            flush(err);
            ProcessInfo i = info;
            info = new ProcessInfo(i.pid(), i.parent(), i.name(), i.homeVnode(), i.currentVnode(), ProcessState.EXITED,
                    i.cpuNanos(), i.allocatedBytes(), i.startedMillis(), Optional.of(s), i.cantMove());
            publisher.changed(info);
            if (exit.complete(s)) {
                table.releasePid(pid);
                ended(this);
            }
        }
    }

    /** A process running here for another home: where its output goes, and its stdin. */
    private record Runner(Channel channel, RemoteInput stdin) {
    }

    private final int self;
    private final ProcessTable table;
    private final ProcessTable.Listener publisher;
    private final BridgeManager bridges;
    private final Portals portals;
    private final Supplier<List<Integer>> up;
    private final Pattern mine;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    private final Map<Long, Deputy> deputies = new ConcurrentHashMap<>();
    private final Map<Long, Runner> runners = new ConcurrentHashMap<>();
    /** Moves this vnode shipped, waiting for the receiver's MIGRATED or MIGRATE_FAILED. */
    private final Map<Long, CompletableFuture<Void>> outgoing = new ConcurrentHashMap<>();
    /** Home: processes asked to come home, until they run here (or the move failed). */
    private final Map<Long, CompletableFuture<Void>> homecoming = new ConcurrentHashMap<>();
    /** Moves arriving, their state in pieces; the service thread's only. */
    private final Map<Long, Incoming> incoming = new HashMap<>();
    private final Thread service;
    private volatile boolean closed;
    private long nextTick;

    /**
     * @param publisher this vnode's {@code proc} table, where deputies show
     * @param up        the vnodes that are up now
     * @param threads   makes the service thread (a kernel thread of the vnode)
     */
    public Deputies(int self, ProcessTable table, ProcessTable.Listener publisher, BridgeManager bridges,
            Portals portals, Supplier<List<Integer>> up, BiFunction<String, Runnable, Thread> threads) {
        this.self = self;
        this.table = table;
        this.publisher = publisher;
        this.bridges = bridges;
        this.portals = portals;
        this.up = up;
        this.mine = Pattern.compile("mosix\\.(\\d+)\\." + self);
        this.service = threads.apply("mosix deputies", this::serve);
        service.start();
    }

    /** {@link #VECTOR} arrived: a channel has records, or a new one is there. */
    public void wake() {
        LockSupport.unpark(service);
    }

    /** Whether this vnode is the home of a deputy {@code pid}. */
    public boolean isDeputy(long pid) {
        return deputies.containsKey(pid);
    }

    /** The deputies' entries, as this home sees them. */
    public List<ProcessInfo> deputies() {
        return deputies.values().stream().map(d -> d.info).toList();
    }

    /**
     * Starts {@code spec} on {@code target} with its deputy here; returns once the target runs it.
     *
     * @throws IllegalArgumentException what the target said was wrong, or a target that is not up
     */
    public ProcessInfo spawn(int target, ProcessSpec spec) {
        if (!up.get().contains(target)) {
            throw new IllegalArgumentException("vnode=" + target + " is not up (up: " + up.get() + ")");
        }
        byte[] encoded = encode(spec);
        long pid = table.reserveDeputyPid();
        Channel c;
        try {
            c = channel(target);
        } catch (RuntimeException e) {
            table.releasePid(pid);
            throw e;
        }
        String name = spec.name() != null ? spec.name()
                : spec.mainClass() != null ? spec.mainClass().substring(spec.mainClass().lastIndexOf('.') + 1)
                : spec.classPath().getFirst().getFileName().toString();
        ProcessInfo info = new ProcessInfo(pid, spec.parent(), name, self, target, ProcessState.RUNNING, 0, 0,
                System.currentTimeMillis(), Optional.empty(), "not migratable");
        Deputy d = new Deputy(pid, target, info, spec.stdout() != null ? spec.stdout() : System.out,
                spec.stderr() != null ? spec.stderr() : System.err);
        deputies.put(pid, d);
        try {
            if (encoded.length > c.out().maxPayload()) {
                throw new IllegalArgumentException("the spawn of " + name + " is " + encoded.length
                        + " bytes encoded, over what a deputy channel carries (" + c.out().maxPayload() + ")");
            }
            if (!c.send(SPAWN, pid, encoded, 0, encoded.length)) {
                throw new IllegalArgumentException("vnode=" + target + " went down before it took the spawn");
            }
            d.started.get(SPAWN_NANOS, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            forget(d);
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            forget(d);
            throw new IllegalStateException("vnode " + target + " did not answer the spawn of " + name + " within "
                    + TimeUnit.NANOSECONDS.toSeconds(SPAWN_NANOS) + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            forget(d);
            throw new IllegalStateException("interrupted waiting for vnode " + target + " to start " + name, e);
        } catch (RuntimeException e) {
            forget(d);
            throw e;
        }
        publisher.changed(d.info);
        if (spec.stdin() != null) {
            pumpStdin(d, c, spec.stdin());
        }
        return d.info;
    }

    /** Ended deputies kept for wait and ps, as the table keeps its ended processes. */
    static final int ENDED_KEPT = 256;
    private final java.util.ArrayDeque<Long> ended = new java.util.ArrayDeque<>(); // guarded by itself

    private void ended(Deputy d) {
        List<Long> dropped = new ArrayList<>();
        synchronized (ended) {
            ended.add(d.pid);
            while (ended.size() > ENDED_KEPT) {
                dropped.add(ended.poll());
            }
        }
        for (long pid : dropped) {
            deputies.remove(pid);
            publisher.dropped(pid);
        }
    }

    private void forget(Deputy d) {
        deputies.remove(d.pid);
        table.releasePid(d.pid);
    }

    /** Home: the process's stdin, read here and sent to where it runs. */
    private void pumpStdin(Deputy d, Channel c, InputStream in) {
        Thread pump = new Thread(() -> {
            byte[] b = new byte[Math.min(4096, c.out().maxPayload())];
            try {
                for (int n; !d.exit.isDone() && (n = in.read(b)) >= 0; ) {
                    if (n > 0 && !c.send(STDIN, d.pid, b, 0, n)) {
                        return;
                    }
                }
                c.send(STDIN_EOF, d.pid, b, 0, 0);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "pid " + d.pid + ": its stdin failed: " + e);
                c.send(STDIN_EOF, d.pid, b, 0, 0);
            }
        }, "mosix stdin " + d.pid);
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Sends {@code signal} to {@code pid}, which runs on {@code where} (not here).
     *
     * @throws IllegalArgumentException when that vnode is not up
     */
    public void signal(long pid, int where, Signal signal) {
        if (!up.get().contains(where)) {
            throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + where + ", which is not up");
        }
        byte[] b = new byte[] {(byte) signal.number()};
        channel(where).send(SIGNAL, pid, b, 0, 1);
    }

    /** Home: the deputy's exit, which is the process's; null when {@code pid} has no deputy here. */
    public CompletableFuture<ExitStatus> onExit(long pid) {
        Deputy d = deputies.get(pid);
        return d == null ? null : d.exit;
    }

    /** The channel from this vnode to {@code peer}, made (as its home side) on first use. */
    private Channel channel(int peer) {
        String name = ChannelDescriptor.name(self, peer);
        Channel c = channels.get(name);
        if (c != null) {
            return c;
        }
        synchronized (channels) {
            c = channels.get(name);
            if (c == null) {
                Bridge b = bridges.open(name, ChannelDescriptor.length(RING_CAPACITY));
                MemorySegment s = b.segment();
                if (!ChannelDescriptor.ready(s, self, peer, RING_CAPACITY)) {
                    ChannelDescriptor.initialise(s, self, peer, RING_CAPACITY);
                }
                c = new Channel(self, peer, b);
                channels.put(name, c);
            }
        }
        return c;
    }

    /** Target: attaches to the channels homes made for this vnode; returns how many are new. */
    private int discover() {
        int found = 0;
        for (BridgeInfo b : bridges.bridges()) {
            Matcher m = mine.matcher(b.name());
            if (b.owner() != Bridge.GLOBAL || !m.matches() || channels.containsKey(b.name())) {
                continue;
            }
            int home = Integer.parseInt(m.group(1));
            if (home == self) {
                continue;
            }
            Bridge opened = bridges.open(b.name(), ChannelDescriptor.length(RING_CAPACITY));
            if (!ChannelDescriptor.ready(opened.segment(), home, self, RING_CAPACITY)) {
                opened.close(); // its home lays it out still: the ring that follows brings us back
                continue;
            }
            channels.put(b.name(), new Channel(home, self, opened));
            found++;
        }
        return found;
    }

    /**
     * The busy-poll window (NAPI's, vnet's receive path): after a record the service thread spins
     * this long, then yields until {@link #POLL_NANOS}, polling every ring, with its rings' polling
     * words up so that producers do not ring the portal; a steady stream of records (a line every
     * few hundred us) never parks it, and an idle channel parks it after a millisecond, at no CPU.
     */
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private void serve() {
        long lastWork = System.nanoTime();
        boolean polling = false;
        int idle = 0;
        while (!closed) {
            int work = 0;
            for (Map.Entry<String, Channel> e : channels.entrySet()) {
                Channel c = e.getValue();
                try {
                    if (!polling) {
                        c.in().polling(true); // a channel found since the last park
                    }
                    work += c.in().poll((type, pid, payload) -> handle(c, type, pid, payload));
                } catch (RuntimeException broken) {
                    // A corrupt ring (or a bug in a handler) ends that channel, not the vnode.
                    LOG.log(System.Logger.Level.ERROR, "deputy channel " + e.getKey() + " dropped", broken);
                    channels.remove(e.getKey());
                    c.bridge.close();
                }
            }
            polling = true;
            long now = System.nanoTime();
            if (work == 0 && (idle++ & 1023) == 0) {
                work += discover(); // a directory scan: not on every spin
            }
            if (now - nextTick >= 0) {
                nextTick = now + TICK_NANOS;
                tick();
            }
            if (work > 0) {
                lastWork = now;
                idle = 1;
            } else if (!closed) {
                long quiet = now - lastWork;
                if (quiet < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (quiet < POLL_NANOS) {
                    Thread.yield();
                } else {
                    // Leave the busy poll: clear the polling words, then look once more (a record
                    // published before a producer saw the clear); park only if that finds none.
                    for (Channel c : channels.values()) {
                        c.in().polling(false);
                    }
                    polling = false;
                    int late = 0;
                    for (Map.Entry<String, Channel> e : channels.entrySet()) {
                        Channel c = e.getValue();
                        try {
                            late += c.in().poll((type, pid, payload) -> handle(c, type, pid, payload));
                        } catch (RuntimeException broken) {
                            LOG.log(System.Logger.Level.ERROR, "deputy channel " + e.getKey() + " dropped", broken);
                            channels.remove(e.getKey());
                            c.bridge.close();
                        }
                    }
                    if (late > 0) {
                        lastWork = System.nanoTime();
                        continue;
                    }
                    discover();
                    LockSupport.parkNanos(this, TICK_NANOS); // unparked by the vector
                    // Woken (by the vector, or the tick): poll a short while, then park again unless records come.
                    lastWork = System.nanoTime() - (POLL_NANOS - SPIN_NANOS);
                }
            }
        }
    }

    /** Deputies whose process's vnode went down end: their process is lost. */
    private void tick() {
        List<Integer> live = up.get();
        for (Deputy d : deputies.values()) {
            if (!d.exit.isDone() && d.started.isDone()) {
                publisher.changed(d.info); // over a sample of its frozen copy that raced its move
            }
        }
        for (Deputy d : deputies.values()) {
            if (!d.exit.isDone() && !live.contains(d.target)) {
                d.end(new ExitStatus(255, "lost: vnode " + d.target + " where it ran went down"));
                d.started.completeExceptionally(new IllegalArgumentException("vnode=" + d.target + " went down"));
            }
        }
        for (Map.Entry<String, Channel> e : channels.entrySet()) {
            if (!live.contains(e.getValue().peer())) {
                channels.remove(e.getKey());
                e.getValue().bridge.close();
            }
        }
    }

    private void handle(Channel c, int type, long pid, MemorySegment payload) {
        try {
            switch (type) {
                case SPAWN -> spawnHere(c, pid, payload.toArray(ValueLayout.JAVA_BYTE));
                case STDIN -> {
                    Runner r = runners.get(pid);
                    if (r != null && r.stdin() != null) {
                        r.stdin().feed(payload.toArray(ValueLayout.JAVA_BYTE));
                    }
                }
                case STDIN_EOF -> {
                    Runner r = runners.get(pid);
                    if (r != null && r.stdin() != null) {
                        r.stdin().feed(null);
                    }
                }
                case SIGNAL -> {
                    int n = payload.get(ValueLayout.JAVA_BYTE, 0);
                    for (Signal s : Signal.values()) {
                        if (s.number() == n && table.runs(pid)) {
                            table.signal(pid, s);
                        }
                    }
                }
                case MIGRATE_REQUEST -> emigrateFor(c, pid);
                case MIGRATE -> incoming.put(pid, new Incoming(payload.toArray(ValueLayout.JAVA_BYTE)));
                case MIGRATE_DATA -> {
                    Incoming in = incoming.get(pid);
                    if (in != null && in.add(payload)) {
                        incoming.remove(pid);
                        arrive(c, pid, in);
                    }
                }
                case MIGRATED -> {
                    CompletableFuture<Void> f = outgoing.get(pid);
                    if (f != null) {
                        f.complete(null);
                    }
                }
                case MIGRATE_FAILED -> {
                    IllegalArgumentException why = new IllegalArgumentException(
                            new String(payload.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
                    CompletableFuture<Void> f = outgoing.get(pid);
                    if (f != null) {
                        f.completeExceptionally(why);
                    }
                    f = homecoming.get(pid);
                    if (f != null) {
                        f.completeExceptionally(why);
                    }
                }
                case STARTED -> {
                    Deputy d = deputies.get(pid);
                    if (d != null) {
                        d.started.complete(null);
                    }
                }
                case FAILED -> {
                    Deputy d = deputies.get(pid);
                    if (d != null) {
                        d.started.completeExceptionally(new IllegalArgumentException(
                                new String(payload.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
                    }
                }
                case STDOUT, STDERR -> {
                    Deputy d = deputies.get(pid);
                    if (d != null) {
                        OutputStream o = type == STDOUT ? d.out : d.err;
                        o.write(payload.toArray(ValueLayout.JAVA_BYTE));
                        o.flush();
                    }
                }
                case EXIT -> {
                    Deputy d = deputies.get(pid);
                    if (d != null) {
                        byte[] b = payload.toArray(ValueLayout.JAVA_BYTE);
                        d.end(new ExitStatus(b[0] & 0xff, new String(b, 1, b.length - 1, StandardCharsets.UTF_8)));
                    }
                }
                default -> LOG.log(System.Logger.Level.WARNING, "deputy channel " + c.bridge.name()
                        + ": unknown record type=" + type + " for pid " + pid + "; skipped");
            }
        } catch (IOException e) {
            // the deputy's terminal or pipe went away: the process runs on, its output is dropped
            LOG.log(System.Logger.Level.WARNING, "pid " + pid + ": its output at home failed: " + e);
        }
    }

    /** Target: runs a home's process here. */
    private void spawnHere(Channel c, long pid, byte[] encoded) {
        RemoteInput stdin = null;
        try {
            Decoded d = decode(encoded);
            stdin = d.hasStdin() ? new RemoteInput() : null;
            ProcessSpec spec = d.spec().withStdout(new RingOutput(c, STDOUT, pid))
                    .withStderr(new RingOutput(c, STDERR, pid)).withStdin(stdin);
            runners.put(pid, new Runner(c, stdin));
            table.spawnFor(pid, c.home, spec);
        } catch (RuntimeException e) {
            runners.remove(pid);
            byte[] why = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
            c.send(FAILED, pid, why, 0, Math.min(why.length, c.out().maxPayload()));
            return;
        }
        c.send(STARTED, pid, new byte[0], 0, 0);
        reportExit(c, pid);
    }

    /** Target: the process's end goes home as its EXIT (a process that moves on never ends here). */
    private void reportExit(Channel c, long pid) {
        table.onExit(pid).whenComplete((s, failure) -> {
            runners.remove(pid);
            ExitStatus status = s != null ? s : new ExitStatus(255, "ended without a status: " + failure);
            byte[] why = status.why().getBytes(StandardCharsets.UTF_8);
            byte[] b = new byte[1 + Math.min(why.length, 200)];
            b[0] = (byte) status.code();
            System.arraycopy(why, 0, b, 1, b.length - 1);
            c.send(EXIT, pid, b, 0, b.length);
        });
    }

    // ---- migration

    /**
     * A move arriving: the lengths first ({@code MIGRATE}), then its meta (spec, totals) and its
     * state as their pieces come ({@code MIGRATE_DATA}), so that neither is bound by a record's size.
     */
    private static final class Incoming {
        final byte[] meta;
        final byte[] state;
        long at;
        ProcessSpec spec;
        boolean hasStdin;
        long cpuNanos;
        long allocatedBytes;
        long startedMillis;

        Incoming(byte[] lengths) {
            if (lengths.length != 8) {
                throw new IllegalArgumentException("a move record of " + lengths.length + " bytes, not 8");
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(lengths);
            int m = b.getInt();
            int st = b.getInt();
            if (m <= 0 || st < 0) {
                throw new IllegalArgumentException("a move record with meta length=" + m + " state length=" + st);
            }
            meta = new byte[m];
            state = new byte[st];
        }

        boolean complete() {
            return at == (long) meta.length + state.length;
        }

        /** Takes the next piece; true once the whole move is here. */
        boolean add(MemorySegment piece) {
            long n = piece.byteSize();
            if (at + n > (long) meta.length + state.length) {
                throw new IllegalArgumentException("a move's pieces run " + (at + n - meta.length - state.length)
                        + " bytes over its length");
            }
            long done = 0;
            if (at < meta.length) {
                int k = (int) Math.min(n, meta.length - at);
                MemorySegment.copy(piece, ValueLayout.JAVA_BYTE, 0, meta, (int) at, k);
                done = k;
                at += k;
            }
            if (done < n) {
                int k = (int) (n - done);
                MemorySegment.copy(piece, ValueLayout.JAVA_BYTE, done, state, (int) (at - meta.length), k);
                at += k;
            }
            return complete();
        }

        Incoming decoded() {
            try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(meta))) {
                byte[] s = new byte[in.readInt()];
                in.readFully(s);
                Decoded d = Deputies.decode(s);
                spec = d.spec();
                hasStdin = d.hasStdin();
                cpuNanos = in.readLong();
                allocatedBytes = in.readLong();
                startedMillis = in.readLong();
                return this;
            } catch (IOException e) {
                throw new IllegalArgumentException("a move record that does not decode: " + e, e);
            }
        }

        static byte[] meta(Frozen f) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream o = new DataOutputStream(bytes)) {
                byte[] spec = Deputies.encode(f.spec());
                o.writeInt(spec.length);
                o.write(spec);
                o.writeLong(f.resume().cpuNanos());
                o.writeLong(f.resume().allocatedBytes());
                o.writeLong(f.resume().startedMillis());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }
    }

    /**
     * Home: moves its process {@code pid}, running here, to {@code target}, leaving its deputy here
     * with the process's stdio; returns once it runs there.
     *
     * @throws IllegalArgumentException why it cannot move, or a target that is not up; it runs on here then
     */
    public ProcessInfo emigrate(long pid, int target) {
        if (!up.get().contains(target)) {
            throw new IllegalArgumentException("vnode=" + target + " is not up (up: " + up.get() + "); pid " + pid
                    + " runs on here");
        }
        Channel c = channel(target);
        Frozen f = table.freeze(pid, FREEZE_NANOS);
        ProcessSpec spec = f.spec();
        ProcessInfo info = new ProcessInfo(pid, spec.parent(), spec.name(), self, target, ProcessState.RUNNING,
                f.resume().cpuNanos(), f.resume().allocatedBytes(), f.resume().startedMillis(), Optional.empty(), "");
        Deputy d = new Deputy(pid, target, info, spec.stdout() != null ? spec.stdout() : System.out,
                spec.stderr() != null ? spec.stderr() : System.err);
        CompletableFuture<Void> ack = new CompletableFuture<>();
        outgoing.put(pid, ack);
        deputies.put(pid, d); // before the move: the first line it prints there finds its deputy
        try {
            ship(c, f);
            await(ack, pid, target);
        } catch (RuntimeException e) {
            deputies.remove(pid);
            table.thaw(pid);
            throw e;
        } finally {
            outgoing.remove(pid);
        }
        table.vanish(pid, d.exit);
        d.started.complete(null);
        publisher.changed(d.info);
        if (spec.stdin() != null) {
            pumpStdin(d, c, spec.stdin());
        }
        return d.info;
    }

    /**
     * Home: brings its process {@code pid} home from where it runs; returns once it runs here.
     *
     * @throws IllegalArgumentException why it cannot move; it runs on where it was then
     */
    public void bringHome(long pid) {
        Deputy d = deputies.get(pid);
        if (d == null || d.exit.isDone()) {
            throw new IllegalArgumentException("pid=" + pid + " has no running deputy on vnode " + self);
        }
        if (!up.get().contains(d.target)) {
            throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + d.target + ", which is not up");
        }
        CompletableFuture<Void> arrived = new CompletableFuture<>();
        homecoming.put(pid, arrived);
        try {
            byte[] b = java.nio.ByteBuffer.allocate(4).putInt(self).array();
            if (!channel(d.target).send(MIGRATE_REQUEST, pid, b, 0, b.length)) {
                throw new IllegalArgumentException("vnode=" + d.target + " went down before it took the move");
            }
            await(arrived, pid, d.target);
        } finally {
            homecoming.remove(pid);
        }
    }

    private static void await(CompletableFuture<Void> f, long pid, int peer) {
        try {
            f.get(FREEZE_NANOS + MIGRATE_NANOS, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IllegalArgumentException r ? r
                    : new IllegalArgumentException("pid=" + pid + " did not move: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalArgumentException("pid=" + pid + " did not move: vnode " + peer + " did not answer within "
                    + TimeUnit.NANOSECONDS.toSeconds(FREEZE_NANOS + MIGRATE_NANOS) + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("pid=" + pid + " did not move: interrupted", e);
        }
    }

    /** Sends a frozen process: its spec and totals, then its state in pieces a ring carries. */
    private void ship(Channel c, Frozen f) {
        byte[] meta = Incoming.meta(f);
        byte[] state = f.resume().state();
        int max = c.out().maxPayload();
        String down = "pid=" + f.pid() + " did not move: vnode " + c.peer() + " went down during the move";
        byte[] lengths = java.nio.ByteBuffer.allocate(8).putInt(meta.length).putInt(state.length).array();
        if (!c.send(MIGRATE, f.pid(), lengths, 0, lengths.length)) {
            throw new IllegalArgumentException(down);
        }
        for (byte[] part : new byte[][] {meta, state}) {
            for (int off = 0; off < part.length; off += max) {
                if (!c.send(MIGRATE_DATA, f.pid(), part, off, Math.min(max, part.length - off))) {
                    throw new IllegalArgumentException(down);
                }
            }
        }
    }

    /** Where a process runs away from home: its home asked for it back (on the service thread: ship on another). */
    private void emigrateFor(Channel c, long pid) {
        Thread t = new Thread(() -> {
            try {
                if (!runners.containsKey(pid) || !table.runs(pid)) {
                    throw new IllegalArgumentException("pid=" + pid + " does not run on vnode " + self);
                }
                Frozen f = table.freeze(pid, FREEZE_NANOS);
                CompletableFuture<Void> ack = new CompletableFuture<>();
                outgoing.put(pid, ack);
                try {
                    ship(c, f);
                    await(ack, pid, c.peer());
                } catch (RuntimeException e) {
                    table.thaw(pid);
                    throw e;
                } finally {
                    outgoing.remove(pid);
                }
                Runner r = runners.remove(pid);
                // Its exit is its home's business now: this copy's end is never reported.
                table.vanish(pid, new CompletableFuture<>());
                if (r != null && r.stdin() != null) {
                    r.stdin().feed(null);
                }
            } catch (RuntimeException e) {
                byte[] why = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
                c.send(MIGRATE_FAILED, pid, why, 0, Math.min(why.length, c.out().maxPayload()));
            }
        }, "mosix migrate " + pid);
        t.setDaemon(true);
        t.start();
    }

    /** A moved process arrived whole: run it here, and tell the sender to end its frozen copy. */
    private void arrive(Channel c, long pid, Incoming arrived) {
        int home = ProcessManager.homeOf(pid);
        try {
            Incoming in = arrived.decoded();
            if (home == self) {
                Deputy d = deputies.get(pid);
                if (d == null || d.exit.isDone()) {
                    throw new IllegalArgumentException("pid=" + pid + " has no running deputy at its home vnode " + self);
                }
                ProcessSpec spec = in.spec.withStdout(d.out).withStderr(d.err).withStdin(null);
                table.spawnMoved(pid, self, spec, new Resume(in.state, in.cpuNanos, in.allocatedBytes,
                        in.startedMillis));
                deputies.remove(pid); // home again: the table has it, and its deputy's waiters wait for it there
                table.onExit(pid).whenComplete((s, failure) -> d.exit.complete(s != null ? s
                        : new ExitStatus(255, "ended without a status: " + failure)));
            } else {
                if (c.home != home) {
                    throw new IllegalArgumentException("pid=" + pid + " has home vnode " + home + ": a process moves"
                            + " between its home and one other vnode (migrate it home first)");
                }
                RemoteInput stdin = in.hasStdin ? new RemoteInput() : null;
                ProcessSpec spec = in.spec.withStdout(new RingOutput(c, STDOUT, pid))
                        .withStderr(new RingOutput(c, STDERR, pid)).withStdin(stdin);
                runners.put(pid, new Runner(c, stdin));
                try {
                    table.spawnMoved(pid, home, spec, new Resume(in.state, in.cpuNanos, in.allocatedBytes,
                            in.startedMillis));
                } catch (RuntimeException e) {
                    runners.remove(pid);
                    throw e;
                }
                reportExit(c, pid);
            }
        } catch (RuntimeException e) {
            byte[] why = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
            c.send(MIGRATE_FAILED, pid, why, 0, Math.min(why.length, c.out().maxPayload()));
            CompletableFuture<Void> f = homecoming.get(pid);
            if (f != null) {
                f.completeExceptionally(e);
            }
            return;
        }
        c.send(MIGRATED, pid, new byte[0], 0, 0);
        CompletableFuture<Void> f = homecoming.get(pid);
        if (f != null) {
            f.complete(null);
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(service);
        try {
            service.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Deputy d : deputies.values()) {
            if (!d.exit.isDone()) {
                signal(d, Signal.SIGKILL);
                d.end(new ExitStatus(255, "lost: its home's process manager closed"));
            }
        }
        channels.values().forEach(c -> c.bridge.close());
        channels.clear();
    }

    private void signal(Deputy d, Signal s) {
        try {
            signal(d.pid, d.target, s);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "pid " + d.pid + ": could not send " + s + ": " + e.getMessage());
        }
    }

    private static void flush(OutputStream o) {
        try {
            o.flush();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "a deputy's output failed on flush: " + e);
        }
    }

    /** One (home, target) channel, as this vnode uses it. */
    final class Channel {
        final int home;
        final int target;
        final Bridge bridge;
        private final Ring down;
        private final Ring up;

        Channel(int home, int target, Bridge bridge) {
            this.home = home;
            this.target = target;
            this.bridge = bridge;
            MemorySegment s = bridge.segment();
            this.down = new Ring(ChannelDescriptor.down(s, RING_CAPACITY), RING_CAPACITY);
            this.up = new Ring(ChannelDescriptor.up(s, RING_CAPACITY), RING_CAPACITY);
        }

        int peer() {
            return self == home ? target : home;
        }

        Ring in() {
            return self == home ? up : down;
        }

        Ring out() {
            return self == home ? down : up;
        }

        /** Appends a record and rings the peer; false when the peer went down meanwhile. */
        boolean send(int type, long pid, byte[] b, int off, int len) {
            Ring out = out();
            boolean sent = out.offer(type, pid, b, off, len, () -> !closed && Deputies.this.up.get().contains(peer()));
            if (sent && !out.consumerPolling()) {
                portals.raise(peer(), VECTOR); // it parks (or is about to): wake it
            }
            return sent;
        }
    }

    /** Target: a process's stdout or stderr, sent home in records. */
    private static final class RingOutput extends OutputStream {
        private final Channel channel;
        private final int type;
        private final long pid;

        RingOutput(Channel channel, int type, long pid) {
            this.channel = channel;
            this.type = type;
            this.pid = pid;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int max = channel.out().maxPayload();
            while (len > 0) {
                int n = Math.min(len, max);
                if (!channel.send(type, pid, b, off, n)) {
                    throw new IOException("home vnode " + channel.home + " of pid " + pid + " is down");
                }
                off += n;
                len -= n;
            }
        }
    }

    /** Target: a process's stdin, fed from home's records; null marks its end. */
    private static final class RemoteInput extends InputStream {
        private static final byte[] EOF = new byte[0];
        private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(1024);
        private byte[] current = new byte[0];
        private int at;
        private boolean ended;

        void feed(byte[] chunk) {
            // the service thread must not block on a program that does not read: drop what overflows
            if (!chunks.offer(chunk == null ? EOF : chunk)) {
                LOG.log(System.Logger.Level.WARNING, "a remote process's stdin overflowed; " + (chunk == null ? 0
                        : chunk.length) + " bytes dropped");
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (!ended && at >= current.length) {
                try {
                    current = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted reading stdin from home");
                }
                at = 0;
                ended = current == EOF;
            }
            if (ended && at >= current.length) {
                return -1;
            }
            int n = Math.min(len, current.length - at);
            System.arraycopy(current, at, b, off, n);
            at += n;
            return n;
        }
    }

    private record Decoded(ProcessSpec spec, boolean hasStdin) {
    }

    /** A spec as the target needs it: host paths as strings (a {@code vfs:} path later, by its URI). */
    static byte[] encode(ProcessSpec spec) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream o = new DataOutputStream(bytes)) {
            o.writeInt(spec.classPath().size());
            for (Path p : spec.classPath()) {
                o.writeUTF(p.toAbsolutePath().toString());
            }
            nullable(o, spec.mainClass());
            o.writeInt(spec.args().size());
            for (String a : spec.args()) {
                o.writeUTF(a);
            }
            nullable(o, spec.workingDirectory() == null ? null : spec.workingDirectory().toAbsolutePath().toString());
            o.writeInt(spec.environment() == null ? -1 : spec.environment().size());
            if (spec.environment() != null) {
                for (Map.Entry<String, String> e : spec.environment().entrySet()) {
                    o.writeUTF(e.getKey());
                    o.writeUTF(e.getValue());
                }
            }
            nullable(o, spec.name());
            o.writeLong(spec.parent());
            o.writeBoolean(spec.stdin() != null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Decoded decode(byte[] b) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b))) {
            List<Path> cp = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                cp.add(Path.of(in.readUTF()));
            }
            String main = nullable(in);
            List<String> args = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                args.add(in.readUTF());
            }
            String cwd = nullable(in);
            int envs = in.readInt();
            Map<String, String> env = envs < 0 ? null : new HashMap<>();
            for (int n = envs; n > 0; n--) {
                env.put(in.readUTF(), in.readUTF());
            }
            String name = nullable(in);
            long parent = in.readLong();
            boolean hasStdin = in.readBoolean();
            return new Decoded(new ProcessSpec(cp, main, args, cwd == null ? null : Path.of(cwd), env, null, null, null,
                    name, parent, false, null, null), hasStdin);
        } catch (IOException e) {
            throw new IllegalArgumentException("a spawn record that does not decode: " + e, e);
        }
    }

    private static void nullable(DataOutputStream o, String s) throws IOException {
        o.writeBoolean(s != null);
        if (s != null) {
            o.writeUTF(s);
        }
    }

    private static String nullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
