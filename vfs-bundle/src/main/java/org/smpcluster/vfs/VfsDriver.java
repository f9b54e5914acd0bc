package org.smpcluster.vfs;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.DeviceManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.OutOfPhysicalMemoryException;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.vfs.cache.CacheLayout;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.client.VfsClient;
import org.smpcluster.vfs.server.VfsServer;

/**
 * The filesystem on one vnode. On the root it starts the server first: the repository is the
 * directory {@value #REPOSITORY} names, else the first storage device the root owns, else
 * {@code $TMPDIR/smpcluster-vfs-CLUSTER}; the page cache is {@value #CACHE} bytes (default
 * {@value #DEFAULT_CACHE_MB} MiB). On every vnode it starts a client, mounts the export
 * {@code tmp} at {@code /tmp}, and registers the {@link Vfs} service and the {@code vfs} commands.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = {})
public final class VfsDriver {

    /** Framework property: the repository's host directory (overrides the storage device). */
    public static final String REPOSITORY = "smpcluster.vfs.repository";

    /** Framework property: the page cache's size in bytes ({@code k}/{@code m} suffixes). */
    public static final String CACHE = "smpcluster.vfs.cache";

    public static final int DEFAULT_CACHE_MB = 32;

    private static final System.Logger LOG = System.getLogger(VfsDriver.class.getName());

    private final VfsServer server;
    private final Thread starter;
    private final java.util.function.BooleanSupplier rootAlive;
    private volatile VfsClient client;
    private VfsService service;
    private volatile boolean closed;
    private final List<ServiceRegistration<?>> registrations = new java.util.ArrayList<>();

    @Activate
    public VfsDriver(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges, @Reference Portals portals,
            @Reference DeviceManager devices, BundleContext context) throws IOException {
        int vnode = nanokernel.vnodeId();
        this.rootAlive = rootAlive(nanokernel);
        VfsServer.Threads threads = nanokernel::kernelThread;
        VfsServer s = null;
        if (nanokernel.isRoot()) {
            String cluster = nanokernel.clusterName();
            String configured = context.getProperty(REPOSITORY);
            java.util.function.Supplier<Path> repository = () -> repository(configured, devices, cluster);
            long bytes = parseSize(context.getProperty(CACHE), (long) DEFAULT_CACHE_MB << 20);
            int frames = (int) Math.max(16, bytes / CacheLayout.PAGE);
            try {
                s = new VfsServer(bridges, portals::raise, nanokernel::vnodes, repository, frames, 4096, threads);
            } catch (OutOfPhysicalMemoryException e) {
                LOG.log(Level.WARNING, "vfs: no room for a " + (bytes >> 20) + " MiB page cache (" + e.getMessage()
                        + "); starting with 4 MiB");
                s = new VfsServer(bridges, portals::raise, nanokernel::vnodes, repository, 1024, 1024, threads);
            }
            VfsServer server = s;
            registrations.add(context.registerService(InterruptHandler.class, (v, hits) -> {
                server.interrupt();
                return false;
            }, vector(VfsServer.VECTOR)));
        }
        this.server = s;
        registrations.add(context.registerService(InterruptHandler.class, (v, hits) -> {
            VfsClient c = client;
            if (c != null) {
                c.interrupt();
            }
            return false;
        }, vector(VfsServer.CLIENT_VECTOR)));
        if (nanokernel.isRoot()) {
            // the server is here and up: the root's commands are there as soon as it is active
            this.starter = null;
            start(vnode, bridges, portals, context, threads);
        } else {
            // A vnode's client waits for the root's server (which may be stopping): it starts on
            // its own thread, so this vnode's other bundles never wait for it.
            this.starter = nanokernel.kernelThread("vfs-client-start", () -> start(vnode, bridges, portals, context, threads));
            starter.start();
        }
    }

    private void start(int vnode, BridgeManager bridges, Portals portals, BundleContext context, VfsServer.Threads threads) {
        VfsClient c;
        try {
            c = new VfsClient(vnode, bridges, portals::raise, Duration.ofSeconds(60), threads, rootAlive);
        } catch (Failure e) {
            if (!closed) {
                LOG.log(Level.ERROR, "vnode " + vnode + ": the filesystem client did not start: " + e.getMessage());
            }
            return;
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.log(Level.ERROR, "vnode " + vnode + ": the filesystem client did not start: " + e.getMessage(), e);
            }
            return;
        }
        synchronized (this) {
            if (closed) {
                c.close();
                return;
            }
            client = c;
            service = new VfsService(c);
            registrations.add(context.registerService(Vfs.class, service, null));
            Hashtable<String, Object> scope = new Hashtable<>();
            scope.put("osgi.command.scope", "vfs");
            scope.put("osgi.command.function", VfsCommands.FUNCTIONS);
            registrations.add(context.registerService(VfsCommands.class, new VfsCommands(service, server), scope));
        }
    }

    private static Hashtable<String, Object> vector(int vector) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(InterruptHandler.VECTOR, vector);
        return props;
    }

    /**
     * Whether this vnode's root lives (the nanokernel's {@link Nanokernel#rootGone}, which sees a
     * {@code kill -9} of the root within 50 ms); asked only while waiting for the server, at most
     * every few milliseconds. A nanokernel already closed has no root either.
     */
    static java.util.function.BooleanSupplier rootAlive(Nanokernel nanokernel) {
        return () -> {
            try {
                return !nanokernel.rootGone();
            } catch (RuntimeException closed) {
                return false; // the physical memory is gone with the nanokernel
            }
        };
    }

    static Path repository(String configured, DeviceManager devices, String cluster) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (DeviceInfo d : devices.devices()) {
            if ("storage".equals(d.deviceClass()) && d.owner() == Nanokernel.ROOT) {
                return Path.of(d.backing());
            }
        }
        Path fallback = Path.of(System.getProperty("java.io.tmpdir"), "smpcluster-vfs-" + cluster);
        LOG.log(Level.INFO, "vfs: the root owns no storage device; the repository is " + fallback
                + " (a 'device ... storage' line assigned to vnode 0 puts it elsewhere)");
        return fallback;
    }

    static long parseSize(String text, long fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        String t = text.strip().toLowerCase();
        long unit = t.endsWith("k") ? 1 << 10 : t.endsWith("m") ? 1 << 20 : t.endsWith("g") ? 1 << 30 : 1;
        try {
            return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(CACHE + "=" + text + " is not a size (e.g. 32m)");
        }
    }

    @Deactivate
    void close() {
        long start = System.nanoTime();
        boolean rootGone = !rootAlive.getAsBoolean();
        synchronized (this) {
            closed = true;
            for (ServiceRegistration<?> r : registrations) {
                try {
                    r.unregister();
                } catch (IllegalStateException e) {
                    // the framework is already taking it down
                }
            }
            registrations.clear();
        }
        if (starter != null) {
            starter.interrupt(); // a client still waiting for the server gives up
            try {
                starter.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        VfsClient c = client;
        if (c != null) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
        if (rootGone) {
            // what the issue measured: a vnode whose root died must not wait on it here
            LOG.log(Level.INFO, "vnode " + (client == null ? "?" : client.vnode()) + ": vfs stopped without its root in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
        }
    }
}
