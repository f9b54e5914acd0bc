package org.smpcluster.run;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.smpcluster.api.cluster.KernelComponent;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Nanokernel;

/**
 * Boots Felix with exactly the bundles of the kernel image (extracted from
 * {@code target/smpcluster.jar}, at the start levels the image gives them) and checks that the
 * image is whole: every smpcluster bundle active, every component satisfied, the house rules
 * on imports and exports kept, and the commands answering.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ImageIT {

    /** The api and the seven implementation bundles, by the component each one implements. */
    static final Set<String> COMPONENTS =
            Set.of("nanokernel", "bootloader", "vnet", "vfs", "console", "mosix", "beowulf");
    static final String API = "org.smpcluster.api";
    static final String CLUSTER = "imageit-" + ProcessHandle.current().pid();

    @Inject
    BundleContext context;

    @Inject
    ServiceComponentRuntime scr;

    @Inject
    CommandProcessor commands;

    @Configuration
    public Option[] config() {
        return ImageOptions.root(CLUSTER, "16m").toArray(Option[]::new);
    }

    @Test
    public void shouldStartEverySmpclusterBundle() {
        Map<String, String> states = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName().startsWith("org.smpcluster.")) {
                states.put(b.getSymbolicName(), b.getState() == Bundle.ACTIVE ? "ACTIVE" : "state " + b.getState());
            }
        }
        Set<String> expected = new TreeSet<>();
        expected.add(API);
        COMPONENTS.forEach(c -> expected.add("org.smpcluster." + c));
        assertEquals("the image's smpcluster bundles", expected, states.keySet());
        states.forEach((bsn, state) -> assertEquals(bsn, "ACTIVE", state));
    }

    @Test
    public void shouldSatisfyEveryComponent() {
        List<String> problems = new ArrayList<>();
        Set<String> bundlesWithComponents = new TreeSet<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            bundlesWithComponents.add(d.bundle.symbolicName);
            var configurations = scr.getComponentConfigurationDTOs(d);
            if (configurations.isEmpty()) {
                problems.add(d.name + " has no configuration");
            }
            for (ComponentConfigurationDTO c : configurations) {
                if (c.state != ComponentConfigurationDTO.SATISFIED && c.state != ComponentConfigurationDTO.ACTIVE) {
                    problems.add(d.name + " (" + d.bundle.symbolicName + ") is in state " + c.state);
                }
            }
        }
        assertEquals("unsatisfied components", List.of(), problems);
        for (String component : COMPONENTS) {
            assertTrue("org.smpcluster." + component + " has a DS component",
                    bundlesWithComponents.contains("org.smpcluster." + component));
        }
    }

    @Test
    public void shouldRegisterOneKernelComponentPerImplementationBundle() throws Exception {
        Map<String, String> providers = new TreeMap<>();
        for (ServiceReference<KernelComponent> ref : context.getServiceReferences(KernelComponent.class, null)) {
            KernelComponent component = context.getService(ref);
            try {
                assertEquals("service property of " + component.name(),
                        component.name(), ref.getProperty(KernelComponent.COMPONENT));
                providers.put(component.name(), ref.getBundle().getSymbolicName());
            } finally {
                context.ungetService(ref);
            }
        }
        assertEquals(COMPONENTS, providers.keySet());
        providers.forEach((name, bsn) -> assertEquals("bundle of " + name, "org.smpcluster." + name, bsn));
    }

    @Test
    public void shouldWireImplementationsOnlyToTheApi() {
        for (Bundle b : context.getBundles()) {
            String bsn = b.getSymbolicName();
            if (!bsn.startsWith("org.smpcluster.") || bsn.equals(API)) {
                continue;
            }
            BundleWiring wiring = b.adapt(BundleWiring.class);
            assertTrue(bsn + " exports nothing", wiring.getCapabilities(PackageNamespace.PACKAGE_NAMESPACE).isEmpty());
            for (BundleWire wire : wiring.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
                String provider = wire.getProvider().getSymbolicName();
                assertFalse(bsn + " imports " + wire.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE)
                                + " from the implementation bundle " + provider,
                        provider.startsWith("org.smpcluster.") && !provider.equals(API));
            }
        }
    }

    @Test
    public void shouldBootTheRootNanokernelOnItsOwnPhysmem() throws Exception {
        ServiceReference<Nanokernel> ref = context.getServiceReference(Nanokernel.class);
        Nanokernel nanokernel = context.getService(ref);
        try {
            assertEquals(CLUSTER, nanokernel.clusterName());
            assertTrue(nanokernel.isRoot());
            assertEquals(16L << 20, nanokernel.physmemSize());
            assertTrue(Files.isRegularFile(Path.of(nanokernel.physmemPath())));
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void shouldAttachWhiteboardInterruptHandlersWhileTheyAreRegistered() throws Exception {
        AtomicLong hits = new AtomicLong();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(InterruptHandler.VECTOR, 40);
        ServiceRegistration<InterruptHandler> handler = context.registerService(InterruptHandler.class,
                (vector, count) -> {
                    hits.addAndGet(count);
                    return true;
                }, props);
        ServiceReference<InterruptPipeline> ref = context.getServiceReference(InterruptPipeline.class);
        InterruptPipeline pipeline = context.getService(ref);
        try {
            pipeline.trigger(40);
            assertEquals(1, hits.get());

            handler.unregister();
            pipeline.trigger(40);
            assertEquals("detached with its service", 1, hits.get());
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void shouldAnswerTheComponentsCommand() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession session = commands.createSession(InputStream.nullInputStream(), print, print)) {
            Object listing = session.execute("nk:components");
            String text = String.valueOf(listing);
            for (String component : COMPONENTS) {
                assertTrue("nk:components lists " + component + ":\n" + text,
                        text.lines().anyMatch(line -> line.startsWith(component + " ")));
            }
        }
    }
}
