package org.smpcluster.beowulf;

import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * The Beowulf adapter as a component of the image. It reports its identity; the work itself comes with
 * its own issue, behind {@code org.smpcluster.api.cluster}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=beowulf",
        "osgi.command.scope=beowulf",
        "osgi.command.function=status"})
public final class BeowulfComponent implements KernelComponent {

    @Override
    public String name() {
        return "beowulf";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.cluster";
    }

    @Override
    public String summary() {
        return "Beowulf-style MPI jobs and a bproc-style process space";
    }

    @Override
    @Descriptor("show the state of the Beowulf adapter in this vnode")
    public Map<String, String> status() {
        return Map.of();
    }
}
