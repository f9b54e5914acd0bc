package org.smpcluster.vfs;

import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * The distributed filesystem as a component of the image. It reports its identity; the work itself comes with
 * its own issue, behind {@code org.smpcluster.api.vfs}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=vfs",
        "osgi.command.scope=vfs",
        "osgi.command.function=status"})
public final class VfsComponent implements KernelComponent {

    @Override
    public String name() {
        return "vfs";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.vfs";
    }

    @Override
    public String summary() {
        return "the cluster filesystem: one shared page cache, a cluster-wide /tmp";
    }

    @Override
    @Descriptor("show the state of the distributed filesystem in this vnode")
    public Map<String, String> status() {
        return Map.of();
    }
}
