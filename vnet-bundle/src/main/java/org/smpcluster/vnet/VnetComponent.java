package org.smpcluster.vnet;

import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * The virtual NIC driver as a component of the image. It reports its identity; the work itself comes with
 * its own issue, behind {@code org.smpcluster.api.vnet}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=vnet",
        "osgi.command.scope=net",
        "osgi.command.function=status"})
public final class VnetComponent implements KernelComponent {

    @Override
    public String name() {
        return "vnet";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.vnet";
    }

    @Override
    public String summary() {
        return "virtual Ethernet NICs on shared-memory wires, software CSMA/CD";
    }

    @Override
    @Descriptor("show the state of the virtual NIC driver in this vnode")
    public Map<String, String> status() {
        return Map.of();
    }
}
