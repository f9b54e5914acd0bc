package org.smpcluster.nanokernel;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.util.tracker.ServiceTracker;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Device;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.DeviceManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.PhysicalMemory;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.device.Devices;
import org.smpcluster.nanokernel.mem.ClusterUnavailableException;

/**
 * Boots this vnode's nanokernel when the bundle starts and publishes it: {@link Nanokernel},
 * {@link BridgeManager}, {@link Portals} and {@link InterruptPipeline} services, the {@code nk}
 * commands, and the whiteboard that attaches every {@link InterruptHandler} service to the
 * pipeline. Stopping the bundle shuts the vnode's nanokernel down (on the root: the cluster).
 *
 * <p>Configured by framework properties, which the launcher and the bootloader set:
 * <ul>
 * <li>{@value #CLUSTER}: the cluster's name (default {@value #DEFAULT_CLUSTER})
 * <li>{@value #VNODE}: this vnode's id (default 0, the root)
 * <li>{@value #PHYSMEM_SIZE}: physical memory in bytes, or with a k/m/g suffix (root; default 256m)
 * <li>{@value #PHYSMEM_DIR}: where the physmem file lives (default /dev/shm)
 * <li>{@value #SPIN_NANOS}: how long the interrupt thread spins before futex-waiting (default 50000)
 * <li>{@value #TIMER_HZ}: the timer interrupt's rate (default 0: no timer)
 * </ul>
 *
 * <p>Configuration Admin plays no part ({@code ConfigurationPolicy.IGNORE}): with the default
 * policy, SCR re-creates a component when Configuration Admin comes or goes, and Configuration
 * Admin stops before the nanokernel when the framework shuts down, which would boot a second
 * nanokernel in the middle of the shutdown. The other smpcluster components ignore it too.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = {})
public final class NanokernelService {

    public static final String CLUSTER = "smpcluster.cluster";
    public static final String VNODE = "smpcluster.vnode";
    public static final String PHYSMEM_SIZE = "smpcluster.physmem.size";
    public static final String PHYSMEM_DIR = "smpcluster.physmem.dir";
    public static final String SPIN_NANOS = "smpcluster.irq.spin.nanos";
    public static final String TIMER_HZ = "smpcluster.timer.hz";
    public static final String DEFAULT_CLUSTER = "default";

    private static final System.Logger LOG = System.getLogger(NanokernelService.class.getName());

    private final Kernel kernel;
    private final AutoCloseable panicHandler;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final ServiceTracker<InterruptHandler, Runnable> handlers;

    @Activate
    public NanokernelService(BundleContext context) {
        kernel = boot(config(context));
        panicHandler = kernel.panicOnVirtualMachineError();
        try {
            registrations.add(context.registerService(Nanokernel.class, kernel, identity()));
            registrations.add(context.registerService(BridgeManager.class, kernel.bridges(), identity()));
            registrations.add(context.registerService(Portals.class, kernel.portals(), identity()));
            registrations.add(context.registerService(InterruptPipeline.class, kernel.pipeline(), identity()));
            registrations.add(context.registerService(DeviceManager.class, kernel.devices(), identity()));
            registrations.add(context.registerService(PhysicalMemory.class, kernel.regions(), identity()));
            Dictionary<String, Object> deviceCommands = identity();
            deviceCommands.put("osgi.command.scope", "device");
            deviceCommands.put("osgi.command.function", DeviceCommands.FUNCTIONS);
            registrations.add(context.registerService(DeviceCommands.class, new DeviceCommands(kernel.devices()),
                    deviceCommands));
            Dictionary<String, Object> commands = identity();
            commands.put("osgi.command.scope", "nk");
            commands.put("osgi.command.function", NanokernelCommands.FUNCTIONS);
            registrations.add(context.registerService(NanokernelCommands.class, new NanokernelCommands(kernel), commands));
            handlers = new ServiceTracker<>(context, InterruptHandler.class, null) {
                @Override
                public Runnable addingService(ServiceReference<InterruptHandler> ref) {
                    return attach(context, ref);
                }

                @Override
                public void removedService(ServiceReference<InterruptHandler> ref, Runnable detach) {
                    detach.run();
                    context.ungetService(ref);
                }
            };
            handlers.open();
            kernel.devices().listen(new DeviceServices(context));
        } catch (RuntimeException e) {
            unregister();
            kernel.close();
            closeQuietly(panicHandler);
            throw e;
        }
    }

    /**
     * Boots the kernel; a cluster that cannot be had (its name taken by a running root or by
     * another user) ends this vnode with that one line. The line goes to stderr, which is the
     * terminal of whoever started the root: a stack trace from SCR would bury it, and an image
     * without its nanokernel can do nothing anyway.
     */
    private static Kernel boot(Kernel.Config config) {
        try {
            return Kernel.boot(config);
        } catch (ClusterUnavailableException e) {
            Kernel.halt("smpcluster: vnode " + config.vnode() + " cannot boot: " + e.getMessage(), null);
            throw e; // not reached: halt does not return
        }
    }

    @Deactivate
    void deactivate() {
        kernel.devices().listen(null);
        handlers.close();
        unregister();
        kernel.close();
        closeQuietly(panicHandler);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "cannot restore the uncaught-exception handler", e);
        }
    }

    private void unregister() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // unregistered by the framework as it stops
            }
        }
        registrations.clear();
    }

    /** Registers a {@link Device} service for every device this vnode plugs; unregisters it on unplug. */
    private final class DeviceServices implements Devices.Listener {
        private final BundleContext context;
        private final Map<String, ServiceRegistration<Device>> services = new ConcurrentHashMap<>();

        DeviceServices(BundleContext context) {
            this.context = context;
        }

        @Override
        public void plugged(DeviceInfo device) {
            Dictionary<String, Object> props = identity();
            props.put(Device.ADDRESS, device.address());
            props.put(Device.CLASS, device.deviceClass());
            props.put(Device.NAME, device.name());
            Device service = () -> device;
            services.put(device.address(), context.registerService(Device.class, service, props));
        }

        @Override
        public void unplugged(DeviceInfo device) {
            ServiceRegistration<Device> r = services.remove(device.address());
            if (r != null) {
                r.unregister();
            }
        }
    }

    /** Attaches one whiteboard handler; returns its detach, or a no-op for a malformed one. */
    private Runnable attach(BundleContext context, ServiceReference<InterruptHandler> ref) {
        Object vector = ref.getProperty(InterruptHandler.VECTOR);
        Object domain = ref.getProperty(InterruptHandler.DOMAIN);
        InterruptHandler handler = context.getService(ref);
        try {
            int v = vector instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(vector).strip());
            String d = domain == null ? InterruptPipeline.KERNEL : domain.toString();
            return kernel.pipeline().attach(d, v, handler);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "interrupt handler from bundle " + ref.getBundle().getSymbolicName() + " ignored: "
                    + InterruptHandler.VECTOR + "=" + vector + ", " + InterruptHandler.DOMAIN + "=" + domain + ": "
                    + e.getMessage());
            return () -> {
            };
        }
    }

    private Dictionary<String, Object> identity() {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(CLUSTER, kernel.clusterName());
        props.put(VNODE, kernel.vnodeId());
        return props;
    }

    static Kernel.Config config(BundleContext context) {
        String cluster = property(context, CLUSTER, DEFAULT_CLUSTER);
        int vnode = (int) number(context, VNODE, "0", 0, Nanokernel.MAX_VNODES - 1);
        Path dir = Path.of(property(context, PHYSMEM_DIR, "/dev/shm"));
        Kernel.Config config = vnode == Nanokernel.ROOT
                ? Kernel.Config.root(dir, cluster, parseSize(property(context, PHYSMEM_SIZE, "256m")))
                : Kernel.Config.joiner(dir, cluster, vnode);
        return config.withSpinNanos(number(context, SPIN_NANOS, "50000", 0, Long.MAX_VALUE))
                .withTimerHz((int) number(context, TIMER_HZ, "0", 0, 1_000_000));
    }

    /** A whole-number property in {@code min..max}, or an error that names it and says what is allowed. */
    private static long number(BundleContext context, String key, String otherwise, long min, long max) {
        String text = property(context, key, otherwise);
        try {
            long value = Long.parseLong(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below, with what is allowed
        }
        throw new IllegalArgumentException(key + "=" + text + " is not a whole number in " + min + ".." + max);
    }

    private static String property(BundleContext context, String key, String otherwise) {
        String value = context.getProperty(key);
        return value == null || value.isBlank() ? otherwise : value.strip();
    }

    /** "4096", "64k", "256m", "1g" in bytes. */
    static long parseSize(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            return Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("size '" + text + "' is not a number of bytes (4096, 64k, 256m, 1g)", e);
        }
    }
}
