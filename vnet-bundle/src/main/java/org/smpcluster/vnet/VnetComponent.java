package org.smpcluster.vnet;

import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.smpcluster.api.vnet.Nic;
import org.smpcluster.api.vnet.NicStats;
import org.smpcluster.api.vnet.Vnet;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * vnet as a component of the image: its identity, and ({@code net:status}) a line per NIC of
 * the driver ({@link VnetDriver}) when it runs.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=vnet",
        "osgi.command.scope=net",
        "osgi.command.function=status"})
public final class VnetComponent implements KernelComponent {

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Vnet vnet;

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
        Vnet driver = vnet;
        Map<String, String> status = new java.util.TreeMap<>();
        if (driver == null) {
            status.put("driver", "not running");
            return status;
        }
        for (Nic nic : driver.nics()) {
            NicStats s = nic.stats();
            status.put(nic.network(), nic.mac() + " " + nic.address().getHostAddress() + "/" + nic.prefixLength()
                    + ", rx " + s.rxPackets() + " tx " + s.txPackets() + " collisions " + s.collisions() + " overruns "
                    + s.rxOverruns());
        }
        return status;
    }
}
