package org.smpcluster.vnet.nic;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.api.vnet.Nic;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.api.vnet.Vnet;
import org.smpcluster.vnet.ip.IpStack;
import org.smpcluster.vnet.link.Liveness;
import org.smpcluster.vnet.link.Station;
import org.smpcluster.vnet.transport.TransportImpl;
import org.smpcluster.vnet.link.Wire;
import org.smpcluster.vnet.link.WireLayout;
import org.smpcluster.vnet.link.WireParams;

/**
 * One vnode's network driver, without OSGi: its NICs (one per network, each a station on
 * the network's wire bridge) and the receive thread that serves them NAPI-style. A sender
 * raises {@link #VECTOR} on this vnode when it puts a frame on a wire this vnode asked to be
 * interrupted for; the handler wakes the receive thread, which polls every NIC until they are
 * all drained, keeps polling a little while (busy poll, for latency), then re-arms the
 * interrupts and sleeps.
 */
public final class VnetCore implements Vnet, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VnetCore.class.getName());

    /** The portal vector vnet interrupts on. */
    public static final int VECTOR = Portals.FIRST_DRIVER_VECTOR;

    /**
     * The vnode-local bridge through which a build of the driver hands its transport state to
     * the next (hot swap): "VNETHAND", the length, the bytes.
     */
    public static final String HANDOVER = "vnet.handover";
    static final long HANDOVER_SIZE = 8L << 20;
    static final long HANDOVER_MAGIC = 0x56_4E_45_54_48_41_4E_44L; // "VNETHAND"

    /** The prefix of a network's wire bridge name. */
    public static final String BRIDGE_PREFIX = "vnet.";

    private final int vnode;
    private final BridgeManager bridges;
    private final Wire.Notifier notifier;
    private final WireParams params;
    private final long busyPollNanos;
    private final Liveness liveness;
    private final Map<String, Attached> attached = new ConcurrentHashMap<>();
    private final List<NicImpl> nics = new CopyOnWriteArrayList<>();
    private final Thread receiver;
    private final IpStack ip;
    private final TransportImpl transport;
    private final Bridge handover;
    /** One poller of the NICs at a time: the receive thread, or an application thread busy polling. */
    private final java.util.concurrent.locks.ReentrantLock pollLock = new java.util.concurrent.locks.ReentrantLock();
    private volatile boolean running = true;
    /** Application threads busy polling for a message now: the receive thread stands aside. */
    private final java.util.concurrent.atomic.AtomicInteger applicationPollers = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * How long the receive thread sleeps while an application thread polls (unarmed: no
     * interrupt wakes it, the poller takes what comes); it looks again after.
     */
    static final long STAND_ASIDE_NANOS = 200_000;

    private record Attached(NicImpl nic, Bridge bridge) {
    }

    /** Makes this driver's long-running threads, unstarted (a vnode's: {@code Nanokernel::kernelThread}). */
    @FunctionalInterface
    public interface Threads {
        Thread unstarted(String name, Runnable body);

        /** Plain daemon threads, for a driver outside a vnode (tests). */
        Threads DAEMON = (name, body) -> Thread.ofPlatform().daemon().name(name).unstarted(body);
    }

    public VnetCore(int vnode, BridgeManager bridges, Wire.Notifier notifier, WireParams params, long busyPollNanos) {
        this(vnode, bridges, notifier, params, busyPollNanos, Liveness.PROCESS, Threads.DAEMON);
    }

    /**
     * {@code liveness}: whether a station holding the carrier past the jabber timeout is gone
     * (and is cut); {@code threads}: where the receive and transport-timer threads come from
     * (in a vnode, kernel threads: the vnode panics if one dies, rather than live on deaf).
     */
    public VnetCore(int vnode, BridgeManager bridges, Wire.Notifier notifier, WireParams params, long busyPollNanos,
            Liveness liveness, Threads threads) {
        this.liveness = liveness;
        this.vnode = vnode;
        this.bridges = bridges;
        this.notifier = notifier;
        this.params = params;
        this.busyPollNanos = busyPollNanos;
        this.receiver = threads.unstarted("vnode-" + vnode + "-vnet-rx", () -> {
            try {
                receive();
            } catch (RuntimeException e) {
                if (running) {
                    throw e; // a kernel thread's death: the vnode panics rather than live on deaf
                }
                // the driver closed its wires under it: nothing more to receive
            }
        });
        // A view, not a copy: the stack routes every packet through it (the list copies on write).
        List<NicImpl> view = java.util.Collections.unmodifiableList(nics);
        this.ip = new IpStack(() -> view, pollLock::isHeldByCurrentThread);
        this.transport = new TransportImpl(ip, vnode, threads, new TransportImpl.Poller() {
            @Override
            public boolean poll() {
                return pollFromApplication();
            }

            @Override
            public void polling(boolean on) {
                applicationPollers.addAndGet(on ? 1 : -1);
            }
        });
        this.handover = bridges.open(vnode, HANDOVER, HANDOVER_SIZE);
        takeOver();
        receiver.start();
    }

    /** Portal interrupt: frames arrived on a wire. Called on the interrupt thread; only wakes the receiver. */
    public void interrupt() {
        for (NicImpl nic : nics) {
            if (nic.station().pending()) {
                nic.station().countInterrupt();
            }
        }
        LockSupport.unpark(receiver);
    }

    @Override
    public List<Nic> nics() {
        return List.copyOf(nics);
    }

    public List<NicImpl> nicImpls() {
        return List.copyOf(nics);
    }

    @Override
    public Optional<Nic> nic(String network) {
        return Optional.ofNullable(attached.get(network)).map(Attached::nic);
    }

    /** The wire of {@code network}, if this vnode is attached to it. */
    public Optional<Wire> wire(String network) {
        return Optional.ofNullable(attached.get(network)).map(a -> a.nic().station().wire());
    }

    @Override
    public synchronized NicImpl attach(String network, String subnet) {
        if (!network.matches("[a-z][a-z0-9_-]{0,14}")) {
            throw new IllegalArgumentException("'" + network + "' is not a network name: a lower-case letter, then"
                    + " up to 14 of a-z 0-9 _ -");
        }
        Attached existing = attached.get(network);
        if (existing != null) {
            return existing.nic();
        }
        Subnet asked = Subnet.parse(subnet);
        Bridge bridge = bridges.open(BRIDGE_PREFIX + network, WireLayout.size(params.slots()));
        try {
            Wire wire = Wire.attach(network, bridge.segment(), params, asked.address(), asked.prefix());
            Subnet actual = new Subnet(wire.subnet(), wire.prefix());
            Station station = wire.station(vnode, mac(network, vnode), VECTOR, notifier, liveness);
            NicImpl nic = new NicImpl(network, station, vnode, actual);
            ip.attached(nic);
            attached.put(network, new Attached(nic, bridge));
            nics.add(nic);
            if (!actual.equals(asked)) {
                LOG.log(System.Logger.Level.WARNING, "network " + network + " runs subnet " + actual + ", not " + asked);
            }
            LockSupport.unpark(receiver);
            return nic;
        } catch (RuntimeException e) {
            bridge.close();
            throw e;
        }
    }

    /** The MAC of {@code vnode} on {@code network}: the network's number is a hash of its name. */
    public static MacAddress mac(String network, int vnode) {
        CRC32 crc = new CRC32();
        crc.update(network.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return MacAddress.of((int) (crc.getValue() & 0xFF), vnode);
    }

    private void receive() {
        while (running) {
            int n;
            pollLock.lock();
            try {
                n = pollNics();
            } finally {
                pollLock.unlock();
            }
            if (n > 0) {
                continue;
            }
            if (applicationPollers.get() > 0) {
                // An application thread waiting for a message polls the NICs itself (one CPU may
                // be all this vnode has): polling beside it would only take turns with it, a
                // context switch per turn; and with no interrupt armed, no sender pays for one.
                LockSupport.parkNanos(this, STAND_ASIDE_NANOS);
                continue;
            }
            if (busyPoll()) {
                continue;
            }
            transport.flushAcks(true); // nothing more is coming for now: what waits to be acknowledged is
            boolean pending = false;
            for (NicImpl nic : nics) {
                pending |= nic.station().arm();
            }
            if (pending) {
                for (NicImpl nic : nics) {
                    nic.station().disarm();
                }
                continue;
            }
            LockSupport.park(this);
        }
    }

    private int pollNics() {
        int n = 0;
        for (NicImpl nic : nics) {
            n += nic.poll(64);
        }
        return n;
    }

    /**
     * Busy polling from an application thread that waits for a message (as SO_BUSY_POLL lets a
     * socket call do): it takes what arrived itself, if the receive thread is not at it, so that
     * a reply reaches it without a hand-over between threads. Returns whether it found frames.
     */
    public boolean pollFromApplication() {
        if (!running || !pollLock.tryLock()) {
            return false;
        }
        try {
            if (!running) {
                return false;
            }
            return pollNics() > 0;
        } finally {
            pollLock.unlock();
        }
    }

    /** Polls for a while before sleeping: a frame that comes soon is taken without an interrupt. */
    private boolean busyPoll() {
        long until = System.nanoTime() + busyPollNanos;
        while (running && System.nanoTime() < until && applicationPollers.get() == 0) {
            for (NicImpl nic : nics) {
                if (nic.station().pending()) {
                    return true;
                }
            }
            transport.flushAcks(false);
            Thread.yield(); // a vnode may have one CPU: the threads that send must get it

        }
        return false;
    }

    /**
     * Stops the receive thread and closes the wires. {@code detach}: the stations leave their
     * wires for good (the vnode shuts down); otherwise they stay, for the next driver to take
     * over (a bundle update).
     */
    public void close(boolean detach) {
        close(detach, false);
    }

    /**
     * {@link #close(boolean)}; {@code rootGone}: the root is gone, so the bridges are left open
     * (closing one asks the root, which would only time out): they end with this process.
     */
    public void close(boolean detach, boolean rootGone) {
        running = false;
        LockSupport.unpark(receiver);
        try {
            receiver.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pollLock.lock(); // no application thread is taking frames any more
        try {
            if (detach) {
                transport.close();
                if (!rootGone) {
                    handover.close();
                }
            } else {
                handOver();
            }
        } finally {
            pollLock.unlock();
        }
        if (receiver.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "the vnet receive thread did not stop within 2 s");
        }
        for (Attached a : attached.values()) {
            a.nic().station().shutdown();
            if (detach) {
                a.nic().station().detach();
            }
            if (!rootGone) {
                a.bridge().close();
            }
        }
        attached.clear();
        nics.clear();
    }

    @Override
    public void close() {
        close(true);
    }

    /**
     * Hot swap, old side: the receive thread has stopped; the transport's state goes into the
     * handover bridge, whose handle this build leaves open on purpose (closing the last handle
     * would free the bridge before the next build opens it; the vnode's death frees it).
     */
    private void handOver() {
        try {
            byte[] state = transport.handOver();
            java.lang.foreign.MemorySegment m = handover.segment();
            if (state.length + 12L > m.byteSize()) {
                LOG.log(System.Logger.Level.ERROR, "the transport's state (" + state.length + " bytes) does not fit the "
                        + m.byteSize() + "-byte handover bridge: its connections are lost with this build");
                return;
            }
            java.lang.foreign.MemorySegment.copy(state, 0, m, java.lang.foreign.ValueLayout.JAVA_BYTE, 12, state.length);
            m.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8, state.length);
            java.lang.invoke.VarHandle.releaseFence();
            m.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, HANDOVER_MAGIC);
            LOG.log(System.Logger.Level.INFO, "vnet handed its transport state over (" + state.length + " bytes)");
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the transport's state could not be handed over", e);
        }
    }

    /** Hot swap, new side: takes over what an older build handed over, if anything. */
    private void takeOver() {
        java.lang.foreign.MemorySegment m = handover.segment();
        if (m.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0) != HANDOVER_MAGIC) {
            return;
        }
        java.lang.invoke.VarHandle.acquireFence();
        m.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 0L);
        try {
            int length = m.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8);
            if (length < 0 || length > m.byteSize() - 12) {
                throw new IllegalStateException("the handover holds " + length + " bytes in a " + m.byteSize()
                        + "-byte bridge");
            }
            byte[] state = new byte[length];
            java.lang.foreign.MemorySegment.copy(m, java.lang.foreign.ValueLayout.JAVA_BYTE, 12, state, 0, length);
            int n = transport.takeOver(state);
            LOG.log(System.Logger.Level.INFO, "vnet took over " + n + " transport connections from the previous build");
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the previous build's transport state could not be taken over", e);
        }
    }

    @Override
    public UdpSocket openUdp(int port) {
        return ip.openUdp(port);
    }

    @Override
    public Duration ping(Inet4Address address, Duration timeout) throws IOException {
        return ip.ping(address, timeout);
    }

    @Override
    public TransportImpl transport() {
        return transport;
    }

    public IpStack ip() {
        return ip;
    }

    public int vnode() {
        return vnode;
    }

    /** A wire of its own for benchmarks (bridge {@code vnetbench.NAME}), not a network of this vnode. */
    public BenchWire benchWire(String name, WireParams params) {
        Bridge bridge = bridges.open("vnetbench." + name, WireLayout.size(params.slots()));
        try {
            return new BenchWire(Wire.attach(name, bridge.segment(), params, 0, 8), bridge);
        } catch (RuntimeException e) {
            bridge.close();
            throw e;
        }
    }

    /** A benchmark's wire and its bridge, closed together. */
    public record BenchWire(Wire wire, Bridge bridge) implements AutoCloseable {
        @Override
        public void close() {
            bridge.close();
        }
    }

    /** For display: the networks attached, in order. */
    public List<String> networks() {
        List<String> names = new ArrayList<>();
        for (NicImpl nic : nics) {
            names.add(nic.network());
        }
        return names;
    }
}
