package org.smpcluster.bootloader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.smpcluster.api.vnet.Vnet;
import org.smpcluster.api.bootloader.Bootloader;
import org.smpcluster.api.nanokernel.DeviceManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.PhysicalMemory;
import org.smpcluster.api.nanokernel.Portals;

/**
 * Publishes the bootloader on the root: the {@link Bootloader} service, the {@code kmb}
 * commands, and an interrupt handler on {@link Portals#VECTOR_VNODE} that wakes boots waiting
 * for a join. On other vnodes it publishes nothing.
 *
 * <p>Framework properties: {@value #IMAGE} (the image jar; default: the jar this JVM runs),
 * {@value #JOIN_TIMEOUT} (ms, default 10000), {@value #HANG_TIMEOUT} (ms, default 600: a joined
 * vnode without a heartbeat for this long, whose garbage collector did not run meanwhile, is
 * declared hung, killed and restarted by policy; the heartbeat comes every 100 ms at most),
 * {@value #STOP_TIMEOUT} (ms, default 5000).
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = {})
public final class KmbComponent {

    public static final String IMAGE = "smpcluster.image";
    public static final String JOIN_TIMEOUT = "smpcluster.kmb.join.timeout.ms";
    public static final String HANG_TIMEOUT = "smpcluster.kmb.hang.timeout.ms";
    public static final String STOP_TIMEOUT = "smpcluster.kmb.stop.timeout.ms";
    public static final String JVM_OPTIONS = "smpcluster.kmb.jvm.options";

    private final Kmb kmb;
    private final ServiceRegistration<?>[] registrations;

    /** The root's network driver, if one runs: a configuration's networks are attached on it too. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Vnet vnet;

    @Activate
    public KmbComponent(BundleContext context, @Reference Nanokernel nanokernel, @Reference PhysicalMemory memory,
            @Reference DeviceManager devices) {
        if (!nanokernel.isRoot()) {
            kmb = null;
            registrations = new ServiceRegistration<?>[0];
            return;
        }
        Kmb.Settings settings = new Kmb.Settings(image(context),
                millis(context, JOIN_TIMEOUT, 10_000), millis(context, HANG_TIMEOUT, 600),
                millis(context, STOP_TIMEOUT, 5_000), Path.of(nanokernel.physmemPath()).getParent(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), jvmOptions(context));
        kmb = new Kmb(nanokernel, memory, devices, settings, context.getBundle());
        kmb.networks(context.getProperty("smpcluster.networks"), (name, subnet) -> {
            Vnet driver = vnet;
            if (driver == null) {
                throw new IllegalStateException("network " + name + ": no network driver (vnet) runs on the root");
            }
            driver.attach(name, subnet);
        });
        Dictionary<String, Object> irq = new Hashtable<>();
        irq.put(InterruptHandler.VECTOR, Portals.VECTOR_VNODE);
        irq.put(InterruptHandler.DOMAIN, InterruptPipeline.KERNEL);
        Dictionary<String, Object> commands = new Hashtable<>();
        commands.put("osgi.command.scope", "kmb");
        commands.put("osgi.command.function", KmbCommands.FUNCTIONS);
        registrations = new ServiceRegistration<?>[] {
            context.registerService(Bootloader.class, kmb, null),
            context.registerService(InterruptHandler.class, (vector, hits) -> {
                kmb.vnodeTableChanged();
                return true;
            }, irq),
            context.registerService(KmbCommands.class, new KmbCommands(kmb, nanokernel), commands)
        };
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework is stopping and took it already
            }
        }
        if (kmb != null) {
            kmb.close();
        }
    }

    /** Extra options for vnode JVMs, space-separated. */
    private static java.util.List<String> jvmOptions(BundleContext context) {
        String value = context.getProperty(JVM_OPTIONS);
        return value == null || value.isBlank() ? java.util.List.of() : java.util.List.of(value.strip().split("\\s+"));
    }

    private static Path image(BundleContext context) {
        String configured = context.getProperty(IMAGE);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return BootloaderComponent.bootImage();
    }

    private static Duration millis(BundleContext context, String key, long otherwise) {
        String value = context.getProperty(key);
        return Duration.ofMillis(value == null || value.isBlank() ? otherwise : Long.parseLong(value.strip()));
    }
}
