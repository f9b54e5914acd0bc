package org.smpcluster.vnet;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.vnet.Nic;
import org.smpcluster.api.vnet.Transport;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.api.vnet.Vnet;
import org.smpcluster.vnet.link.Liveness;
import org.smpcluster.vnet.link.WireParams;
import org.smpcluster.vnet.nic.NicImpl;
import org.smpcluster.vnet.nic.VnetCore;

/**
 * The virtual network driver of a vnode: attaches it to the networks named by the framework
 * property {@value #NETWORKS} ({@code name=subnet,...}; the bootloader passes the cluster's
 * networks to every vnode it boots; {@value #DEFAULT_NETWORKS} when absent), registers a
 * {@link Nic} service per network, and handles the vnet portal vector.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = Vnet.class)
public final class VnetDriver implements Vnet {

    /** Framework property: the networks to attach, {@code eth0=10.0.0.0/24,eth1=10.0.1.0/24}. */
    public static final String NETWORKS = "smpcluster.networks";

    public static final String DEFAULT_NETWORKS = "eth0=10.0.0.0/24";

    /** Framework property: how long the receive thread polls before it sleeps, in microseconds. */
    public static final String BUSY_POLL = "smpcluster.vnet.busypoll.us";

    private static final System.Logger LOG = System.getLogger(VnetDriver.class.getName());

    private final BundleContext context;
    private final Nanokernel nanokernel;
    private final VnetCore core;
    private final ServiceRegistration<InterruptHandler> irq;
    private final Map<String, ServiceRegistration<Nic>> registrations = new ConcurrentHashMap<>();
    private final ServiceRegistration<NetCommands> commands;
    private final ServiceRegistration<Transport> transport;
    private volatile org.smpcluster.vnet.bench.BenchService bench;

    @Activate
    public VnetDriver(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges,
            @Reference Portals portals, BundleContext context) {
        this.context = context;
        this.nanokernel = nanokernel;
        String busy = context.getProperty(BUSY_POLL);
        this.core = new VnetCore(nanokernel.vnodeId(), bridges, portals::raise, WireParams.DEFAULT,
                busyPoll(busy), liveness(nanokernel), nanokernel::kernelThread);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(InterruptHandler.VECTOR, VnetCore.VECTOR);
        this.irq = context.registerService(InterruptHandler.class, (vector, hits) -> {
            core.interrupt();
            return false;
        }, props);
        Hashtable<String, Object> scope = new Hashtable<>();
        scope.put("osgi.command.scope", "net");
        scope.put("osgi.command.function", NetCommands.FUNCTIONS);
        this.commands = context.registerService(NetCommands.class, new NetCommands(this, core, nanokernel), scope);
        this.transport = context.registerService(Transport.class, core.transport(), null);
        String networks = context.getProperty(NETWORKS);
        try {
            this.bench = new org.smpcluster.vnet.bench.BenchService(core);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "the vnet bench service did not start: " + e);
        }
        for (Map.Entry<String, String> n : parse(networks == null || networks.isBlank() ? DEFAULT_NETWORKS : networks)) {
            try {
                attach(n.getKey(), n.getValue());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "cannot attach network " + n.getKey() + ": " + e.getMessage(), e);
            }
        }
    }

    private static long busyPoll(String micros) {
        if (micros == null) {
            return 50_000;
        }
        try {
            long us = Long.parseLong(micros.strip());
            if (us >= 0 && us <= 1_000_000) {
                return us * 1_000;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(BUSY_POLL + "=" + micros + " is not a number of microseconds in 0..1000000");
    }

    /**
     * A carrier holder is gone when its process is (dead, or a zombie), or when the vnode table
     * says its vnode failed or stopped in that process, or joined again in another one: a
     * holder that is only preempted or stopped keeps the carrier (see Station).
     */
    static Liveness liveness(Nanokernel nanokernel) {
        return (vnode, pid) -> {
            if (Liveness.PROCESS.gone(vnode, pid)) {
                return true;
            }
            if (vnode < 0 || vnode >= Nanokernel.MAX_VNODES) {
                return false;
            }
            VnodeState v = nanokernel.vnodes().get(vnode);
            if (v.pid() == pid) {
                return !v.state().equals(VnodeState.JOINED) && !v.state().equals(VnodeState.BOOTING);
            }
            return v.pid() != 0 && v.state().equals(VnodeState.JOINED);
        };
    }

    public Nanokernel nanokernel() {
        return nanokernel;
    }

    /** Reads {@code eth0=10.0.0.0/24,eth1=10.0.1.0/24}. */
    public static List<Map.Entry<String, String>> parse(String networks) {
        List<Map.Entry<String, String>> list = new ArrayList<>();
        for (String part : networks.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] kv = part.strip().split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("'" + part + "' is not NAME=SUBNET, e.g. eth0=10.0.0.0/24");
            }
            list.add(Map.entry(kv[0].strip(), kv[1].strip()));
        }
        return list;
    }

    @Override
    public synchronized Nic attach(String network, String subnet) {
        NicImpl nic = core.attach(network, subnet);
        registrations.computeIfAbsent(network, n -> {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(Nic.NETWORK, n);
            props.put("smpcluster.mac", nic.mac().toString());
            return context.registerService(Nic.class, nic, props);
        });
        return nic;
    }

    @Override
    public List<Nic> nics() {
        return core.nics();
    }

    @Override
    public Optional<Nic> nic(String network) {
        return core.nic(network);
    }

    @Override
    public UdpSocket openUdp(int port) {
        return core.openUdp(port);
    }

    @Override
    public Duration ping(Inet4Address address, Duration timeout) throws IOException {
        return core.ping(address, timeout);
    }

    @Override
    public Transport transport() {
        return core.transport();
    }

    public VnetCore core() {
        return core;
    }

    @Deactivate
    void deactivate() {
        long start = System.nanoTime();
        boolean rootGone = nanokernel.rootGone();
        registrations.values().forEach(r -> {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
        });
        try {
            transport.unregister();
            commands.unregister();
            irq.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        if (bench != null) {
            bench.close();
        }
        // A bundle update keeps the stations on their wires for the next driver; a vnode that
        // shuts down leaves them.
        boolean shutdown = context.getBundle(0).getState() == Bundle.STOPPING;
        core.close(shutdown, rootGone);
        if (rootGone) {
            LOG.log(System.Logger.Level.INFO, "vnet stopped in " + (System.nanoTime() - start) / 1_000_000
                    + " ms without its root (gone): its bridges go with the vnode's process");
        }
    }
}
