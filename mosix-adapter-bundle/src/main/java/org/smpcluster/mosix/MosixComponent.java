package org.smpcluster.mosix;

import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * The MOSIX adapter as a component of the image. It reports its identity; the work itself comes with
 * its own issue, behind {@code org.smpcluster.api.cluster}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=mosix",
        "osgi.command.scope=mosix",
        "osgi.command.function=status"})
public final class MosixComponent implements KernelComponent {

    @Override
    public String name() {
        return "mosix";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.cluster";
    }

    @Override
    public String summary() {
        return "MOSIX-style process migration with a home-node deputy";
    }

    @Override
    @Descriptor("show the state of the MOSIX adapter in this vnode")
    public Map<String, String> status() {
        return Map.of();
    }
}
