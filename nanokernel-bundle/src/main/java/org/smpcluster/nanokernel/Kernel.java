package org.smpcluster.nanokernel;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.nanokernel.bridge.BridgeTable;
import org.smpcluster.nanokernel.bridge.Bridges;
import org.smpcluster.nanokernel.device.DeviceTable;
import org.smpcluster.nanokernel.device.Devices;
import org.smpcluster.nanokernel.dsp.DspClient;
import org.smpcluster.nanokernel.dsp.DspServer;
import org.smpcluster.nanokernel.dsp.Message;
import org.smpcluster.nanokernel.dsp.RootWatch;
import org.smpcluster.nanokernel.irq.Pipeline;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.HeaderDescriptor;
import org.smpcluster.nanokernel.layout.VnodeTableDescriptor;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.nanokernel.mem.RegionAllocator;
import org.smpcluster.nanokernel.mem.Regions;
import org.smpcluster.nanokernel.portal.Doorbells;
import org.smpcluster.nanokernel.portal.InterruptThread;

/**
 * One vnode's nanokernel, assembled: physical memory, portals, the interrupt pipeline and its
 * interrupt thread, the DSP and bridges. Plain Java, so that tests and benchmarks can run
 * several in separate processes without OSGi; {@link NanokernelService} publishes one as OSGi
 * services.
 */
public final class Kernel implements Nanokernel, AutoCloseable {

    /**
     * How to boot.
     *
     * @param directory where the physmem file lives ({@code /dev/shm})
     * @param cluster the cluster's name
     * @param vnode this vnode's id; 0 creates the cluster
     * @param physmemSize the physical memory's size (root only)
     * @param spinNanos how long the interrupt thread spins before futex-waiting
     * @param timerHz the timer interrupt's rate; 0 for none
     * @param joinTimeout how long a joiner waits for the root
     */
    public record Config(Path directory, String cluster, int vnode, long physmemSize, long spinNanos,
            int timerHz, Duration joinTimeout) {

        public static Config root(Path directory, String cluster, long physmemSize) {
            return new Config(directory, cluster, ROOT, physmemSize, 50_000, 0, Duration.ofSeconds(5));
        }

        public static Config joiner(Path directory, String cluster, int vnode) {
            return new Config(directory, cluster, vnode, 0, 50_000, 0, Duration.ofSeconds(5));
        }

        public Config withSpinNanos(long nanos) {
            return new Config(directory, cluster, vnode, physmemSize, nanos, timerHz, joinTimeout);
        }

        public Config withTimerHz(int hz) {
            return new Config(directory, cluster, vnode, physmemSize, spinNanos, hz, joinTimeout);
        }
    }

    private static final System.Logger LOG = System.getLogger(Kernel.class.getName());
    private static final Duration DSP_TIMEOUT = Duration.ofSeconds(5);
    /**
     * The heartbeat's period. The interrupt thread writes it, so it stops when that thread is
     * stuck or dead; the root's watchdog takes a vnode whose beat is older than its hang timeout
     * (1 s) for hung: 20 periods, so a late wake-up or two never counts as a hang.
     */
    public static final long HEARTBEAT_NANOS = 50_000_000;

    private final Config config;
    private final Physmem physmem;
    private final Doorbells portals;
    private final Pipeline pipeline = new Pipeline();
    private final Bridges bridges;
    private final BridgeTable table;
    private final DspServer server;
    private final DspClient client;
    private final Devices devices;
    private final Regions regions;
    private final InterruptThread irq;
    private final RootWatch rootWatch;
    private final Map<Integer, ProcessHandle> members = new ConcurrentHashMap<>();
    private volatile boolean closing;
    /** Interrupt thread only (written); read by commands. */
    private long lastBeat;
    private volatile long longestBeatGap;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean rootLost;

    private Kernel(Config config) {
        if (config.vnode() < 0 || config.vnode() >= MAX_VNODES) {
            throw new IllegalArgumentException("vnode=" + config.vnode() + " is outside 0.." + (MAX_VNODES - 1));
        }
        this.config = config;
        boolean root = config.vnode() == ROOT;
        List<Runnable> started = new java.util.ArrayList<>();
        physmem = root
                ? Physmem.create(config.directory(), config.cluster(), config.physmemSize())
                : Physmem.attach(config.directory(), config.cluster(), config.joinTimeout());
        try {
            portals = new Doorbells(physmem.segment());
            if (root) {
                DeviceTable deviceTable = new DeviceTable(physmem.segment());
                table = new BridgeTable(physmem.segment(),
                        new RegionAllocator(ControlArea.SIZE, physmem.size(), ControlArea.PAGE_SIZE));
                bridges = Bridges.root(physmem.segment(), table, portals, DSP_TIMEOUT, this::kernelThread);
                regions = new Regions(ROOT, physmem.segment(), table);
                devices = new Devices(ROOT, physmem.segment(), deviceTable, null, portals, DSP_TIMEOUT,
                        this::kernelThread);
                server = new DspServer(physmem.segment(), portals, Map.of(
                        Message.JOIN, this::serveJoin,
                        Message.DEVICE_LIST, devices::serveList,
                        Message.DEVICE_RELEASED, devices::serveAck,
                        Message.DEVICE_ATTACHED, devices::serveAck,
                        Message.LEAVE, (v, m) -> {
                            leave(v, "left");
                            return new byte[0];
                        },
                        Message.BRIDGE_OPEN, (v, m) -> Bridges.serveOpen(table, v, m),
                        Message.BRIDGE_CLOSE, (v, m) -> Bridges.serveClose(table, v, m),
                        Message.BRIDGE_FROZEN, (v, m) -> bridges.serveFrozen(v, m),
                        Message.PING, (v, m) -> m.payload()));
                client = null;
                rootWatch = null;
                pipeline.attach(InterruptPipeline.NANOKERNEL, Portals.VECTOR_DSP, (v, hits) -> {
                    server.drain();
                    return false;
                });
            } else {
                table = null;
                server = null;
                rootWatch = new RootWatch(physmem.segment(), Physmem.ROOT_HEARTBEAT_STALE.toNanos());
                client = new DspClient(physmem.segment(), config.vnode(), portals, DSP_TIMEOUT, rootWatch);
                bridges = Bridges.joiner(config.vnode(), physmem.segment(), client, portals, DSP_TIMEOUT,
                        this::kernelThread);
                regions = new Regions(config.vnode(), physmem.segment(), null);
                devices = new Devices(config.vnode(), physmem.segment(), null, client, portals, DSP_TIMEOUT,
                        this::kernelThread);
                pipeline.attach(InterruptPipeline.NANOKERNEL, Portals.VECTOR_HOTPLUG, (v, hits) -> {
                    devices.onHotplug();
                    return false;
                });
                pipeline.attach(InterruptPipeline.NANOKERNEL, Portals.VECTOR_DSP, (v, hits) -> {
                    client.drain();
                    return false;
                });
            }
            pipeline.attach(InterruptPipeline.NANOKERNEL, Portals.VECTOR_RELOCATE, (v, hits) -> {
                bridges.onRelocate();
                return false;
            });
            // The heartbeat and the timer come from the interrupt thread, which does the
            // vnode's work: no ticker that would beat on while the work is stuck or dead.
            heartbeat();
            irq = new InterruptThread(physmem.segment(), config.vnode(), pipeline::dispatch, config.spinNanos(),
                    this::heartbeat, HEARTBEAT_NANOS,
                    config.timerHz() > 0 ? 1_000_000_000L / config.timerHz() : 0, this::kernelThread);
            started.add(() -> {
                closing = true; // a boot given up: its threads end on purpose
                irq.close();
                devices.close();
                bridges.close();
            });
            irq.start();
            if (root) {
                VnodeTableDescriptor.join(physmem.segment(), ROOT, ProcessHandle.current().pid(), 0,
                        System.currentTimeMillis());
            } else {
                byte[] join = Message.payload(16).putLong(ProcessHandle.current().pid()).putLong(0).array();
                client.call(Message.JOIN, join);
                devices.sync(); // devices the root gave this vnode before it booted
            }
        } catch (RuntimeException e) {
            // Stop the threads first: one in a futex wait holds the mapping and it cannot close.
            for (int i = started.size() - 1; i >= 0; i--) {
                started.get(i).run();
            }
            physmem.close();
            throw e;
        }
    }

    /** Boots this vnode's nanokernel: the root creates the cluster, a joiner joins it. */
    public static Kernel boot(Config config) {
        return new Kernel(config);
    }

    /** Interrupt thread (and boot): this vnode is alive; on a joiner, is its root? */
    private void heartbeat() {
        long now = System.nanoTime();
        if (lastBeat != 0 && now - lastBeat > longestBeatGap) {
            longestBeatGap = now - lastBeat; // GC pauses and late wake-ups: the watchdog's margin
        }
        lastBeat = now;
        VnodeTableDescriptor.heartbeat(physmem.segment(), config.vnode(), now);
        if (config.vnode() == ROOT) {
            HeaderDescriptor.rootHeartbeat(physmem.segment(), now);
        } else if (!rootLost) {
            String gone = rootWatch.check();
            if (gone != null) {
                // Nobody will serve this vnode's DSP again: its callers fail now, and whatever
                // would tell the root something (a bridge closed, the vnode leaving) is skipped.
                // The boot stub, which watches the root too, ends the vnode's process.
                rootLost = true;
                LOG.log(Level.ERROR, "vnode " + config.vnode() + ": the root is gone: " + gone);
                client.rootGone(gone);
            }
        }
    }

    /**
     * The longest time between two of this vnode's heartbeats so far (the period, plus what a
     * GC pause or a late wake-up of the interrupt thread added): what the root's hang timeout
     * must leave room for.
     */
    public long longestHeartbeatGapNanos() {
        return longestBeatGap;
    }

    /** A joiner whose root is gone (its process exited or its heartbeat stopped); false on the root. */
    @Override
    public boolean rootGone() {
        return rootWatch != null && (rootLost || rootWatch.check() != null);
    }

    /** Root: a vnode joined. Watch its process, so that its death frees what it held at once. */
    private byte[] serveJoin(int vnode, Message request) {
        ByteBuffer body = request.body();
        long pid = body.getLong();
        long cpus = body.getLong();
        VnodeTableDescriptor.join(physmem.segment(), vnode, pid, cpus, System.currentTimeMillis());
        ProcessHandle.of(pid).ifPresent(process -> {
            members.put(vnode, process);
            process.onExit().thenRun(() -> {
                if (members.remove(vnode, process)) {
                    leave(vnode, "died (pid " + pid + " exited)");
                }
            });
        });
        portals.raise(ROOT, Portals.VECTOR_VNODE);
        return new byte[0];
    }

    /**
     * Root: vnode {@code vnode} left or died. Its bridges, devices and memory are reclaimed
     * first; its table state is written last, so that whoever sees FAILED or STOPPED (the
     * bootloader, before it restarts the vnode) knows the reclaim is done.
     */
    private void leave(int vnode, String why) {
        if (closing) {
            return; // the cluster is going away with its physical memory
        }
        members.remove(vnode);
        server.discard(vnode);
        List<String> freed = table.reclaim(vnode);
        List<String> unassigned = devices.reclaim(vnode);
        long region = VnodeTableDescriptor.regionSize(physmem.segment(), vnode);
        regions.release(vnode);
        VnodeTableDescriptor.state(physmem.segment(), vnode,
                why.startsWith("died") ? VnodeTableDescriptor.State.FAILED : VnodeTableDescriptor.State.STOPPED);
        LOG.log(Level.INFO, "vnode " + vnode + " " + why + "; reclaimed its memory (" + region + " bytes), bridges "
                + freed + ", devices " + unassigned);
        portals.raise(ROOT, Portals.VECTOR_VNODE);
    }

    /** The exit status of a vnode that panicked (EX_SOFTWARE). */
    public static final int PANIC_STATUS = 70;

    @Override
    public Thread kernelThread(String name, Runnable body) {
        return Thread.ofPlatform().daemon().name(name).unstarted(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                if (!closing) {
                    panic("kernel thread '" + name + "' died", t);
                }
                throw t;
            }
        });
    }

    @Override
    public void panic(String reason, Throwable cause) {
        try {
            if (config.vnode() == ROOT) {
                // Halting skips the shutdown hook that removes the file: remove it here.
                java.nio.file.Files.deleteIfExists(physmem.path());
            }
        } catch (Throwable t) {
            // Best effort on the way down; a new root of the cluster replaces a stale file.
        }
        halt("vnode " + config.vnode() + ": panic: " + reason, cause);
    }

    /**
     * One line on stderr (the vnode's log, or the terminal of whoever started the root), then
     * out with {@link #PANIC_STATUS}: with the heap exhausted, or a kernel thread gone, nothing
     * else in this JVM can be trusted to run, shutdown hooks included.
     */
    static void halt(String line, Throwable cause) {
        try {
            System.err.println(cause == null ? line : line + " (" + cause + ")");
            System.err.flush();
        } catch (Throwable t) {
            // No memory even for the line: the exit status says it all the same.
        } finally {
            Runtime.getRuntime().halt(PANIC_STATUS);
        }
    }

    /**
     * Makes every thread of this JVM that dies of a {@link VirtualMachineError} (out of memory,
     * stack overflow) panic the vnode: such a thread may have held a lock, or been one of the
     * vnode's workers, and the vnode would live on as a zombie. Other uncaught exceptions go to
     * the handler there was before, or are printed as the JVM prints them. Returns how to undo it.
     */
    public AutoCloseable panicOnVirtualMachineError() {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.UncaughtExceptionHandler handler = (thread, e) -> {
            if (e instanceof VirtualMachineError) {
                panic("thread '" + thread.getName() + "' died", e);
            } else if (previous != null) {
                previous.uncaughtException(thread, e);
            } else {
                // What ThreadGroup.uncaughtException prints when there is no default handler
                // (it cannot be called: it would come back here).
                System.err.print("Exception in thread \"" + thread.getName() + "\" ");
                e.printStackTrace(System.err);
            }
        };
        Thread.setDefaultUncaughtExceptionHandler(handler);
        return () -> {
            if (Thread.getDefaultUncaughtExceptionHandler() == handler) {
                Thread.setDefaultUncaughtExceptionHandler(previous);
            }
        };
    }

    @Override
    public String clusterName() {
        return config.cluster();
    }

    @Override
    public int vnodeId() {
        return config.vnode();
    }

    @Override
    public String physmemPath() {
        return physmem.path().toString();
    }

    @Override
    public long physmemSize() {
        return physmem.size();
    }

    @Override
    public List<VnodeState> vnodes() {
        MemorySegment m = physmem.segment();
        List<VnodeState> states = new java.util.ArrayList<>();
        long now = System.nanoTime();
        for (int v = 0; v < MAX_VNODES; v++) {
            states.add(new VnodeState(v, VnodeTableDescriptor.state(m, v).name(), VnodeTableDescriptor.pid(m, v),
                    now - VnodeTableDescriptor.heartbeat(m, v), VnodeTableDescriptor.joined(m, v),
                    VnodeTableDescriptor.regionOffset(m, v), VnodeTableDescriptor.regionSize(m, v),
                    VnodeTableDescriptor.incarnation(m, v)));
        }
        return states;
    }

    public Regions regions() {
        return regions;
    }

    public Bridges bridges() {
        return bridges;
    }

    public Devices devices() {
        return devices;
    }

    public Portals portals() {
        return portals;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public Physmem physmem() {
        return physmem;
    }

    public InterruptThread interruptThread() {
        return irq;
    }

    /** A joiner asks the root for nothing and waits for the answer: the DSP works. */
    public void ping() {
        if (client == null) {
            throw new IllegalStateException("the root does not ping itself over the DSP");
        }
        client.call(Message.PING, new byte[0]);
    }

    /** The root's DSP counters; null on other vnodes. */
    public DspServer dspServer() {
        return server;
    }

    /**
     * A joiner leaves the cluster; the root ends it and removes the physmem file. A joiner
     * whose root is gone skips what needs the root: nobody would answer.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // idempotent: the mapping is gone after the first
        }
        closing = true;
        if (client != null && !rootGone()) {
            try {
                client.call(Message.LEAVE, new byte[0]);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "vnode " + config.vnode() + " could not tell the root it leaves: "
                        + e.getMessage());
            }
        }
        devices.close();
        bridges.close();
        irq.close();
        physmem.close();
    }
}
