package org.smpcluster.mosix.remote;

import static org.smpcluster.mosix.layout.ChannelDescriptor.CHECKPOINTED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.CHECKPOINT_FAILED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.CHECKPOINT_REQUEST;
import static org.smpcluster.mosix.layout.ChannelDescriptor.EXIT;
import static org.smpcluster.mosix.layout.ChannelDescriptor.FAILED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE_DATA;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE_FAILED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE_REQUEST;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MIGRATE_DONE;
import static org.smpcluster.mosix.layout.ChannelDescriptor.ARRIVED;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MOVE_ABORT;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MOVE_READY;
import static org.smpcluster.mosix.layout.ChannelDescriptor.MOVE_PREPARE;
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
        /** Where it runs: set at its start, and by each move (ARRIVED). */
        volatile int target;
        final OutputStream out;
        final OutputStream err;
        final CompletableFuture<Void> started = new CompletableFuture<>();
        final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        volatile ProcessInfo info;
        /** Its vnode went down and the restarter took it: it starts again from its checkpoint. */
        volatile boolean restarting;

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
                endRelay(pid);
                ended(this);
            }
        }
    }

    /** A process running here for another home: where its output goes, and its stdin. */
    private record Runner(Channel channel, RemoteInput stdin) {
    }

    /**
     * Home: the stdin of a process that moved away at least once, read by one pump thread here
     * for as long as the process lives, and handed to wherever it runs: a target's channel, or
     * (home again) the process's own queue. A move holds it: what the pump reads meanwhile waits,
     * and what the old place had not read yet travels with the process.
     */
    private final class Relay {
        final long pid;
        private final Object gate = new Object();
        private boolean holding; // guarded by gate
        private boolean ended; // guarded by gate
        private int target; // guarded by gate
        private RemoteInput local; // guarded by gate: non-null while the process runs here, at home

        Relay(long pid, int target) {
            this.pid = pid;
            this.target = target;
        }

        void hold() {
            synchronized (gate) {
                holding = true;
            }
        }

        void resume() {
            synchronized (gate) {
                holding = false;
                gate.notifyAll();
            }
        }

        void runsOn(int vnode) {
            synchronized (gate) {
                target = vnode;
                local = null;
                holding = false;
                gate.notifyAll();
            }
        }

        void runsHere(RemoteInput in) {
            synchronized (gate) {
                local = in;
                holding = false;
                gate.notifyAll();
            }
        }

        /** What the process here has not read yet, taken for a move away (the relay holds until then). */
        RemoteInput.Pending takeLocal() {
            synchronized (gate) {
                return local == null ? null : local.drain();
            }
        }

        void end() {
            synchronized (gate) {
                ended = true;
                gate.notifyAll();
            }
        }

        /** On the pump's thread: one chunk (null: the end) to where the process is now; false once it is gone. */
        boolean deliver(byte[] b, int n) throws InterruptedException {
            synchronized (gate) {
                while (holding && !ended) {
                    gate.wait();
                }
                if (ended) {
                    return false;
                }
                if (local != null) {
                    local.feed(b == null ? null : java.util.Arrays.copyOf(b, n));
                    return true;
                }
                // Sent under the gate: a move's hold (and the MOVE_READY after it) cannot overtake a chunk.
                return b == null ? channel(target).send(STDIN_EOF, pid, new byte[0], 0, 0)
                        : channel(target).send(STDIN, pid, b, 0, n);
            }
        }

        void pump(InputStream in) {
            Thread t = new Thread(() -> {
                byte[] b = new byte[4096];
                try {
                    for (int n; (n = in.read(b)) >= 0; ) {
                        if (n > 0 && !deliver(b, n)) {
                            return;
                        }
                    }
                    deliver(null, 0);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "pid " + pid + ": its stdin failed: " + e);
                    try {
                        deliver(null, 0);
                    } catch (InterruptedException again) {
                        Thread.currentThread().interrupt();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "mosix stdin " + pid);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Home: the stdin relays of its processes that moved away at least once. */
    private final Map<Long, Relay> relays = new ConcurrentHashMap<>();

    /** Home: starts relaying {@code in} to where {@code pid} runs now, {@code target}. */
    private void relay(long pid, InputStream in, int target) {
        Relay r = new Relay(pid, target);
        relays.put(pid, r);
        r.pump(in);
    }

    private void endRelay(long pid) {
        Relay r = relays.remove(pid);
        if (r != null) {
            r.end();
        }
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
            relay(pid, spec.stdin(), target);
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
     * few hundred us: Stamps writes one every 200) never parks it, and an idle channel parks it
     * after half a millisecond, at no CPU. A longer window bought nothing on this shared 2-CPU
     * machine: a thread that yields a CPU others want loses it for their time slice (ms), where a
     * woken one is scheduled at once.
     */
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

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
                Restarter r = restarter;
                if (d.restarting || (d.started.isDone() && r != null && r.lost(d.pid, d.target))) {
                    d.restarting = true; // restart() or lost() ends this deputy, off this thread
                    continue;
                }
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
                case CHECKPOINT_REQUEST -> checkpointFor(c, pid, payload.toArray(ValueLayout.JAVA_BYTE));
                case CHECKPOINTED, CHECKPOINT_FAILED -> {
                    CompletableFuture<String> f = checkpointing.get(pid);
                    String said = new String(payload.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                    if (f != null && type == CHECKPOINTED) {
                        f.complete(said);
                    } else if (f != null) {
                        f.completeExceptionally(new IllegalArgumentException(said));
                    }
                }
                case MIGRATE_REQUEST -> moveFor(c, pid, payload.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(
                        java.nio.ByteOrder.BIG_ENDIAN), 0));
                case MIGRATE -> incoming.put(pid, new Incoming(payload.toArray(ValueLayout.JAVA_BYTE)));
                case MIGRATE_DATA -> {
                    Incoming in = incoming.get(pid);
                    if (in != null && in.add(payload)) {
                        incoming.remove(pid);
                        arrive(c, pid, in);
                    }
                }
                case MIGRATED -> complete(outgoing, pid, null);
                case MIGRATE_FAILED -> {
                    IllegalArgumentException why = new IllegalArgumentException(
                            new String(payload.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
                    fail(outgoing, pid, why);
                    fail(preparing, pid, why);
                    fail(requested, pid, why);
                }
                case MOVE_PREPARE -> prepare(c, pid, payload.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(
                        java.nio.ByteOrder.BIG_ENDIAN), 0));
                case MOVE_READY -> complete(preparing, pid, null);
                case MOVE_ABORT -> {
                    Relay r = relays.get(pid);
                    if (r != null) {
                        r.resume();
                    }
                }
                case ARRIVED -> arrived(c, pid);
                case MIGRATE_DONE -> complete(requested, pid, null);
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

    /** Runner: moves waiting for their home's MOVE_READY. */
    private final Map<Long, CompletableFuture<Void>> preparing = new ConcurrentHashMap<>();
    /** Moves this vnode asked of where the process runs (MIGRATE_REQUEST), until MIGRATE_DONE or MIGRATE_FAILED. */
    private final Map<Long, CompletableFuture<Void>> requested = new ConcurrentHashMap<>();
    /** Whether this vnode takes one more process from another vnode's balancer (its share); yes until set. */
    private volatile java.util.function.BooleanSupplier admits = () -> true;

    /** Sets the test a balancer's move must pass on arrival here (it is refused otherwise: no more than a share). */
    public void admission(java.util.function.BooleanSupplier takesOneMore) {
        this.admits = takesOneMore;
    }

    private static void complete(Map<Long, CompletableFuture<Void>> m, long pid, Void v) {
        CompletableFuture<Void> f = m.get(pid);
        if (f != null) {
            f.complete(v);
        }
    }

    private static void fail(Map<Long, CompletableFuture<Void>> m, long pid, RuntimeException why) {
        CompletableFuture<Void> f = m.get(pid);
        if (f != null) {
            f.completeExceptionally(why);
        }
    }

    /**
     * A move arriving: the lengths first ({@code MIGRATE}), then its meta (spec, totals, the stdin
     * it had not read) and its state as their pieces come ({@code MIGRATE_DATA}), so that neither
     * is bound by a record's size.
     */
    private static final class Incoming {
        final byte[] meta;
        final byte[] state;
        final boolean balancing;
        long at;
        ProcessSpec spec;
        boolean hasStdin;
        long cpuNanos;
        long allocatedBytes;
        long startedMillis;
        RemoteInput.Pending stdin;

        Incoming(byte[] lengths) {
            if (lengths.length != 8 && lengths.length != 12) {
                throw new IllegalArgumentException("a move record of " + lengths.length + " bytes, not 8 or 12");
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(lengths);
            int m = b.getInt();
            int st = b.getInt();
            balancing = lengths.length == 12 && (b.getInt() & ChannelDescriptor.MIGRATE_BALANCING) != 0;
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
                int pending = in.readInt();
                if (pending >= 0) {
                    byte[] b = new byte[pending];
                    in.readFully(b);
                    stdin = new RemoteInput.Pending(b, in.readBoolean());
                }
                return this;
            } catch (IOException e) {
                throw new IllegalArgumentException("a move record that does not decode: " + e, e);
            }
        }

        static byte[] meta(Frozen f, RemoteInput.Pending stdin) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream o = new DataOutputStream(bytes)) {
                byte[] spec = Deputies.encode(f.spec());
                o.writeInt(spec.length);
                o.write(spec);
                o.writeLong(f.resume().cpuNanos());
                o.writeLong(f.resume().allocatedBytes());
                o.writeLong(f.resume().startedMillis());
                o.writeInt(stdin == null ? -1 : stdin.bytes().length);
                if (stdin != null) {
                    o.write(stdin.bytes());
                    o.writeBoolean(stdin.ended());
                }
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
        return emigrate(pid, target, false);
    }

    /** @param balancing a balancer's move (the target may refuse it: not over its share) */
    public ProcessInfo emigrate(long pid, int target, boolean balancing) {
        if (!up.get().contains(target)) {
            throw new IllegalArgumentException("vnode=" + target + " is not up (up: " + up.get() + "); pid " + pid
                    + " runs on here");
        }
        Channel c = channel(target);
        Relay relay = relays.get(pid); // it came home after a move: its stdin comes through the relay
        if (relay != null) {
            relay.hold();
        }
        Frozen f;
        try {
            f = table.freeze(pid, FREEZE_NANOS);
        } catch (RuntimeException e) {
            if (relay != null) {
                relay.resume();
            }
            throw e;
        }
        RemoteInput.Pending unread = relay != null ? relay.takeLocal() : null;
        ProcessSpec spec = f.spec();
        ProcessInfo info = new ProcessInfo(pid, spec.parent(), spec.name(), self, target, ProcessState.RUNNING,
                f.resume().cpuNanos(), f.resume().allocatedBytes(), f.resume().startedMillis(), Optional.empty(), "");
        Deputy d = new Deputy(pid, target, info, spec.stdout() != null ? spec.stdout() : System.out,
                spec.stderr() != null ? spec.stderr() : System.err);
        CompletableFuture<Void> ack = new CompletableFuture<>();
        outgoing.put(pid, ack);
        deputies.put(pid, d); // before the move: the first line it prints there finds its deputy
        try {
            ship(c, f, unread, balancing);
            await(ack, pid, target);
        } catch (RuntimeException e) {
            deputies.remove(pid);
            if (relay != null) {
                relay.runsHere(refill(relayInput(f), unread));
            }
            table.thaw(pid);
            throw e;
        } finally {
            outgoing.remove(pid);
        }
        table.vanish(pid, d.exit);
        d.started.complete(null);
        publisher.changed(d.info);
        if (relay != null) {
            relay.runsOn(target);
        } else if (spec.stdin() != null) {
            relay(pid, spec.stdin(), target);
        }
        return d.info;
    }

    /** The queue a process at home reads its relayed stdin from (its spec's stdin then). */
    private static RemoteInput relayInput(Frozen f) {
        return f.spec().stdin() instanceof RemoteInput r ? r : null;
    }

    private static RemoteInput refill(RemoteInput in, RemoteInput.Pending unread) {
        if (in != null && unread != null) {
            in.unread(unread);
        }
        return in;
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
        request(pid, d.target, self);
    }

    /**
     * Asks {@code where}, where {@code pid} runs, to move it to {@code target}; returns once it
     * moved. Any vnode may ask: the home of a deputy, or a third vnode ({@code mosix:migrate} there).
     *
     * @throws IllegalArgumentException why it did not move; it runs on where it was then
     */
    public void request(long pid, int where, int target) {
        if (!up.get().contains(where)) {
            throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + where + ", which is not up");
        }
        if (!up.get().contains(target)) {
            throw new IllegalArgumentException("vnode=" + target + " is not up (up: " + up.get() + "); pid " + pid
                    + " runs on vnode " + where);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (requested.putIfAbsent(pid, done) != null) {
            throw new IllegalArgumentException("pid=" + pid + " is moving already (asked from vnode " + self + ")");
        }
        try {
            byte[] b = java.nio.ByteBuffer.allocate(4).putInt(target).array();
            if (!channel(where).send(MIGRATE_REQUEST, pid, b, 0, b.length)) {
                throw new IllegalArgumentException("vnode=" + where + " went down before it took the move");
            }
            await(done, pid, where);
        } finally {
            requested.remove(pid);
        }
    }

    /** Where it runs: a move someone asked for (on the service thread: moves on another), answered on {@code c}. */
    private void moveFor(Channel c, long pid, int target) {
        Thread t = new Thread(() -> {
            try {
                if (ProcessManager.homeOf(pid) == self) {
                    emigrate(pid, target);
                } else {
                    moveAway(pid, target, false);
                }
                byte[] b = java.nio.ByteBuffer.allocate(4).putInt(target).array();
                c.send(MIGRATE_DONE, pid, b, 0, b.length);
            } catch (RuntimeException e) {
                byte[] why = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
                c.send(MIGRATE_FAILED, pid, why, 0, Math.min(why.length, c.out().maxPayload()));
            }
        }, "mosix migrate " + pid);
        t.setDaemon(true);
        t.start();
    }

    /** Whether {@code pid} runs here for another home (its output goes there). */
    public boolean runsForOtherHome(long pid) {
        return runners.containsKey(pid) && table.runs(pid);
    }

    /**
     * Where it runs, not its home: moves {@code pid} to {@code target} (its home, or any other
     * vnode), its home told first ({@code MOVE_PREPARE}, after its last output, so its lines stay
     * in order) and its stdin held there until it runs on the target; returns once it runs there.
     *
     * @throws IllegalArgumentException why it cannot move; it runs on here then
     */
    public void moveAway(long pid, int target, boolean balancing) {
        Runner r = runners.get(pid);
        if (r == null || !table.runs(pid)) {
            throw new IllegalArgumentException("pid=" + pid + " does not run on vnode " + self);
        }
        int home = ProcessManager.homeOf(pid);
        if (target == self) {
            throw new IllegalArgumentException("pid=" + pid + " runs on vnode " + self + " already");
        }
        if (!up.get().contains(target)) {
            throw new IllegalArgumentException("vnode=" + target + " is not up (up: " + up.get() + "); pid " + pid
                    + " runs on here");
        }
        Channel toHome = r.channel();
        Frozen f = table.freeze(pid, FREEZE_NANOS);
        CompletableFuture<Void> ready = new CompletableFuture<>();
        preparing.put(pid, ready);
        try {
            byte[] b = java.nio.ByteBuffer.allocate(4).putInt(target).array();
            if (!toHome.send(MOVE_PREPARE, pid, b, 0, b.length)) {
                throw new IllegalArgumentException("pid=" + pid + " did not move: its home vnode " + home + " is down");
            }
            await(ready, pid, home);
        } catch (RuntimeException e) {
            table.thaw(pid);
            toHome.send(MOVE_ABORT, pid, new byte[0], 0, 0);
            throw e;
        } finally {
            preparing.remove(pid);
        }
        // Its home holds its stdin now, and every record of it on this channel is here: take what is unread.
        RemoteInput.Pending unread = r.stdin() != null ? r.stdin().drain() : null;
        Channel c = target == home ? toHome : channel(target);
        CompletableFuture<Void> ack = new CompletableFuture<>();
        outgoing.put(pid, ack);
        try {
            ship(c, f, unread, balancing);
            await(ack, pid, target);
        } catch (RuntimeException e) {
            refill(r.stdin(), unread);
            table.thaw(pid);
            toHome.send(MOVE_ABORT, pid, new byte[0], 0, 0);
            throw e;
        } finally {
            outgoing.remove(pid);
        }
        runners.remove(pid);
        // Its exit is its next vnode's business now: this copy's end is never reported.
        table.vanish(pid, new CompletableFuture<>());
    }

    /** Home: where its process runs is about to move it to {@code target}; hold its stdin and ready a channel. */
    private void prepare(Channel c, long pid, int target) {
        try {
            Relay r = relays.get(pid);
            if (r != null) {
                r.hold(); // under its gate: a chunk being sent is in the ring before MOVE_READY
            }
            if (target != self) {
                channel(target); // made now, so that the target finds it when the process arrives there
            }
            c.send(MOVE_READY, pid, new byte[0], 0, 0);
        } catch (RuntimeException e) {
            Relay r = relays.get(pid);
            if (r != null) {
                r.resume();
            }
            byte[] why = ("pid=" + pid + " did not move: its home could not ready vnode " + target + ": "
                    + e.getMessage()).getBytes(StandardCharsets.UTF_8);
            c.send(MIGRATE_FAILED, pid, why, 0, Math.min(why.length, c.out().maxPayload()));
        }
    }

    /** Home: its process runs where {@code c} goes now (it moved there between two other vnodes). */
    private void arrived(Channel c, long pid) {
        Deputy d = deputies.get(pid);
        if (d == null) {
            return;
        }
        int there = c.peer();
        d.target = there;
        ProcessInfo i = d.info;
        d.info = new ProcessInfo(i.pid(), i.parent(), i.name(), i.homeVnode(), there, i.state(), i.cpuNanos(),
                i.allocatedBytes(), i.startedMillis(), i.exit(), i.cantMove());
        publisher.changed(d.info);
        Relay r = relays.get(pid);
        if (r != null) {
            r.runsOn(there);
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

    /** Sends a frozen process: its spec, totals and unread stdin, then its state in pieces a ring carries. */
    private void ship(Channel c, Frozen f, RemoteInput.Pending unread, boolean balancing) {
        byte[] meta = Incoming.meta(f, unread);
        byte[] state = f.resume().state();
        int max = c.out().maxPayload();
        String down = "pid=" + f.pid() + " did not move: vnode " + c.peer() + " went down during the move";
        byte[] lengths = java.nio.ByteBuffer.allocate(12).putInt(meta.length).putInt(state.length)
                .putInt(balancing ? ChannelDescriptor.MIGRATE_BALANCING : 0).array();
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

    /** The channel between this vnode and {@code home}, for a process of that home arriving here: the home's. */
    private Channel homeChannel(int home) {
        Channel c = channels.get(ChannelDescriptor.name(home, self));
        if (c == null) {
            discover(); // its home made it on MOVE_PREPARE, before this move was shipped
            c = channels.get(ChannelDescriptor.name(home, self));
        }
        if (c == null) {
            throw new IllegalArgumentException("vnode " + self + " has no channel from home vnode " + home);
        }
        return c;
    }

    /** A moved process arrived whole: run it here, and tell the sender to end its frozen copy. */
    private void arrive(Channel c, long pid, Incoming arrived) {
        int home = ProcessManager.homeOf(pid);
        try {
            Incoming in = arrived.decoded();
            if (in.balancing && !admits.getAsBoolean()) {
                throw new IllegalArgumentException("pid=" + pid + " did not move: vnode " + self
                        + " runs its share of the cluster's load already");
            }
            if (home == self) {
                Deputy d = deputies.get(pid);
                if (d == null || d.exit.isDone()) {
                    throw new IllegalArgumentException("pid=" + pid + " has no running deputy at its home vnode " + self);
                }
                Relay relay = relays.get(pid);
                RemoteInput stdin = relay != null ? refill(new RemoteInput(), in.stdin) : null;
                ProcessSpec spec = in.spec.withStdout(d.out).withStderr(d.err).withStdin(stdin);
                table.spawnMoved(pid, self, spec, new Resume(in.state, in.cpuNanos, in.allocatedBytes,
                        in.startedMillis));
                deputies.remove(pid); // home again: the table has it, and its deputy's waiters wait for it there
                if (relay != null) {
                    relay.runsHere(stdin); // its stdin, relayed still, now to it here
                }
                table.onExit(pid).whenComplete((s, failure) -> {
                    if (deputies.get(pid) == null) {
                        endRelay(pid); // it ended here (not moved on: then a deputy of it is back)
                    }
                    d.exit.complete(s != null ? s : new ExitStatus(255, "ended without a status: " + failure));
                });
            } else {
                Channel toHome = c.home == home ? c : homeChannel(home);
                RemoteInput stdin = in.hasStdin ? refill(new RemoteInput(), in.stdin) : null;
                ProcessSpec spec = in.spec.withStdout(new RingOutput(toHome, STDOUT, pid))
                        .withStderr(new RingOutput(toHome, STDERR, pid)).withStdin(stdin);
                runners.put(pid, new Runner(toHome, stdin));
                if (toHome != c) {
                    // before its first line: its home sends its stdin and signals here from now on
                    toHome.send(ARRIVED, pid, new byte[0], 0, 0);
                }
                try {
                    table.spawnMoved(pid, home, spec, new Resume(in.state, in.cpuNanos, in.allocatedBytes,
                            in.startedMillis));
                } catch (RuntimeException e) {
                    runners.remove(pid);
                    throw e;
                }
                reportExit(toHome, pid);
            }
        } catch (RuntimeException e) {
            byte[] why = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
            c.send(MIGRATE_FAILED, pid, why, 0, Math.min(why.length, c.out().maxPayload()));
            return;
        }
        c.send(MIGRATED, pid, new byte[0], 0, 0);
    }

    // ---- restart from a checkpoint (checkpoint/Restarter)

    /** Told, on the service thread, of a process of this home whose vnode went down. */
    public interface Restarter {
        /**
         * True when it takes the process: it then calls {@link #restart} or {@link #lost} for it,
         * from another thread (this one serves the channels a restart talks over).
         */
        boolean lost(long pid, int where);
    }

    private volatile Restarter restarter;

    public void restarter(Restarter r) {
        this.restarter = r;
    }

    /**
     * Starts a checkpointed process again on {@code target} (this vnode or another) with the PID
     * of {@code f}, going on from its state, as a move from a file: over the (here, target)
     * channel as migration ships one. A lost deputy of that PID (its vnode went down) hands over
     * its stdio and its waiters, who get the restarted one's status; otherwise {@code out} and
     * {@code err} are its stdio and the caller has reserved the PID.
     *
     * @throws IllegalArgumentException what the target said was wrong, or a target that is not up
     */
    public ProcessInfo restart(Frozen f, int target, OutputStream out, OutputStream err) {
        long pid = f.pid();
        Deputy old = deputies.get(pid);
        if (old != null && !old.restarting) {
            throw new IllegalArgumentException("pid=" + pid + " has a deputy on vnode " + self + " already");
        }
        OutputStream o = old != null ? old.out : out != null ? out : System.out;
        OutputStream e = old != null ? old.err : err != null ? err : System.err;
        ProcessSpec spec = f.spec();
        if (target == self) {
            ProcessInfo i = table.spawnMoved(pid, self, spec.withStdout(o).withStderr(e).withStdin(null), f.resume());
            if (old != null) {
                deputies.remove(pid, old); // the table has it now; the deputy's waiters wait for it there
                table.onExit(pid).whenComplete((st, failure) -> old.exit.complete(st != null ? st
                        : new ExitStatus(255, "ended without a status: " + failure)));
            }
            return i;
        }
        if (!up.get().contains(target)) {
            throw new IllegalArgumentException("vnode=" + target + " is not up (up: " + up.get() + ")");
        }
        Channel c = channel(target);
        ProcessInfo info = new ProcessInfo(pid, spec.parent(), spec.name(), self, target, ProcessState.RUNNING,
                f.resume().cpuNanos(), f.resume().allocatedBytes(), f.resume().startedMillis(), Optional.empty(), "");
        Deputy d = new Deputy(pid, target, info, o, e);
        CompletableFuture<Void> ack = new CompletableFuture<>();
        outgoing.put(pid, ack);
        deputies.put(pid, d);
        try {
            ship(c, new Frozen(pid, self, spec.withStdin(null), f.resume()), null, false); // a restart: no stdin pending, not a balancing move
            await(ack, pid, target);
        } catch (RuntimeException x) {
            if (old != null) {
                deputies.put(pid, old);
            } else {
                deputies.remove(pid, d);
            }
            throw x;
        } finally {
            outgoing.remove(pid);
        }
        d.started.complete(null);
        publisher.changed(d.info);
        if (old != null) {
            d.exit.whenComplete((st, failure) -> old.exit.complete(st != null ? st
                    : new ExitStatus(255, "ended without a status: " + failure)));
        }
        return d.info;
    }

    /** Checkpoints of processes running here, as the home asks for them (checkpoint/Checkpointer). */
    public interface Checkpoints {
        Path checkpoint(long pid, Path file);
    }

    private volatile Checkpoints checkpoints;
    /** Home: checkpoints asked of where a process runs, until it answers. */
    private final Map<Long, CompletableFuture<String>> checkpointing = new ConcurrentHashMap<>();

    public void checkpoints(Checkpoints c) {
        this.checkpoints = c;
    }

    /**
     * Home: has the vnode where its process {@code pid} runs checkpoint it to {@code file} (a host
     * path; null: its -C file); returns the file written, once it is.
     *
     * @throws IllegalArgumentException why it cannot be checkpointed, as that vnode says it
     */
    public Path checkpointThere(long pid, Path file) {
        Deputy d = deputies.get(pid);
        if (d == null || d.exit.isDone()) {
            throw new IllegalArgumentException("pid=" + pid + " has no running deputy on vnode " + self);
        }
        if (file != null && file.getFileSystem() != java.nio.file.FileSystems.getDefault()) {
            throw new IllegalArgumentException("file=" + file + ": a process on another vnode is checkpointed to a host"
                    + " path (vfs: there: not yet; give it -C FILE)");
        }
        byte[] b = file == null ? new byte[0] : file.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        CompletableFuture<String> f = new CompletableFuture<>();
        if (checkpointing.putIfAbsent(pid, f) != null) {
            throw new IllegalArgumentException("pid=" + pid + " is being checkpointed already");
        }
        try {
            if (!channel(d.target).send(CHECKPOINT_REQUEST, pid, b, 0, b.length)) {
                throw new IllegalArgumentException("vnode=" + d.target + " went down before it took the checkpoint");
            }
            return Path.of(f.get(FREEZE_NANOS + MIGRATE_NANOS, TimeUnit.NANOSECONDS));
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IllegalArgumentException r ? r
                    : new IllegalArgumentException("pid=" + pid + ": no checkpoint: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalArgumentException("pid=" + pid + ": vnode " + d.target + " did not answer the checkpoint"
                    + " within " + TimeUnit.NANOSECONDS.toSeconds(FREEZE_NANOS + MIGRATE_NANOS) + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("pid=" + pid + ": interrupted waiting for its checkpoint", e);
        } finally {
            checkpointing.remove(pid, f);
        }
    }

    /** Where a process runs away from home: its home asked for a checkpoint (a freeze waits: not on the service thread). */
    private void checkpointFor(Channel c, long pid, byte[] file) {
        Thread t = new Thread(() -> {
            byte[] answer;
            int type;
            try {
                Checkpoints cp = checkpoints;
                if (cp == null || !runners.containsKey(pid) || !table.runs(pid)) {
                    throw new IllegalArgumentException("pid=" + pid + " does not run on vnode " + self);
                }
                Path written = cp.checkpoint(pid, file.length == 0 ? null
                        : Path.of(new String(file, StandardCharsets.UTF_8)));
                answer = written.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
                type = CHECKPOINTED;
            } catch (RuntimeException e) {
                answer = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
                type = CHECKPOINT_FAILED;
            }
            c.send(type, pid, answer, 0, Math.min(answer.length, c.out().maxPayload()));
        }, "mosix checkpoint " + pid);
        t.setDaemon(true);
        t.start();
    }

    /** A lost process the restarter took could not start again: it ends lost, saying why. */
    public void lost(long pid, String why) {
        Deputy d = deputies.get(pid);
        if (d != null && !d.exit.isDone()) {
            d.end(new ExitStatus(255, why));
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
        channels.values().forEach(c -> {
            c.in().polling(false); // nobody polls now: producers ring again (a new service finds the records)
            c.bridge.close();
        });
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
        /** What a process had not read of its stdin when it was frozen to move: it goes with it. */
        record Pending(byte[] bytes, boolean ended) {
        }

        private static final byte[] EOF = new byte[0];
        private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(1024);
        private volatile byte[] current = new byte[0];
        private volatile int at;
        private boolean ended;
        private boolean endAfterCurrent; // an unread() end: after current, whatever the queue says

        void feed(byte[] chunk) {
            // the service thread must not block on a program that does not read: drop what overflows
            if (!chunks.offer(chunk == null ? EOF : chunk)) {
                LOG.log(System.Logger.Level.WARNING, "a remote process's stdin overflowed; " + (chunk == null ? 0
                        : chunk.length) + " bytes dropped");
            }
        }

        /** Takes everything not read yet (the process is frozen: nobody reads now). */
        synchronized Pending drain() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(current, at, current.length - at);
            boolean end = ended || endAfterCurrent;
            for (byte[] c; !end && (c = chunks.poll()) != null; ) {
                if (c == EOF) {
                    end = true;
                } else {
                    b.write(c, 0, c.length);
                }
            }
            chunks.clear();
            current = new byte[0];
            at = 0;
            ended = false;
            endAfterCurrent = false;
            return new Pending(b.toByteArray(), end);
        }

        /** Puts {@code p} back in front (a move that failed, or the start of a copy that arrived). */
        synchronized void unread(Pending p) {
            byte[] rest = java.util.Arrays.copyOfRange(current, at, current.length);
            byte[] both = java.util.Arrays.copyOf(p.bytes(), p.bytes().length + rest.length);
            System.arraycopy(rest, 0, both, p.bytes().length, rest.length);
            current = both;
            at = 0;
            endAfterCurrent |= p.ended();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        /** An estimate, not under the lock (a reader may hold it, waiting): what the next read returns at once. */
        @Override
        public int available() {
            byte[] c = current;
            int n = c.length - at;
            if (n > 0) {
                return n;
            }
            byte[] next = chunks.peek();
            return next == null || next == EOF ? 0 : next.length;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (!ended && at >= current.length) {
                if (endAfterCurrent) {
                    ended = true;
                    break;
                }
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
            // checkpoint/: -C FILE -A SECONDS go with it, so the vnode where it runs checkpoints it
            nullable(o, spec.checkpointFile() == null ? null : spec.checkpointFile().toAbsolutePath().toString());
            o.writeLong(spec.checkpointInterval() == null ? -1 : spec.checkpointInterval().toMillis());
            o.writeBoolean(spec.locked()); // mosrun -L goes wherever it goes
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
            String checkpoints = nullable(in);
            long every = in.readLong();
            boolean locked = in.readBoolean();
            return new Decoded(new ProcessSpec(cp, main, args, cwd == null ? null : Path.of(cwd), env, null, null, null,
                    name, parent, locked, checkpoints == null ? null : Path.of(checkpoints),
                    every < 0 ? null : java.time.Duration.ofMillis(every)), hasStdin);
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
