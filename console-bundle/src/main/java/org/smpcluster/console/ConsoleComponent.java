package org.smpcluster.console;

import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * The console as a component of the image. It reports its identity; the work itself comes with
 * its own issue, behind {@code org.smpcluster.api.console}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=console",
        "osgi.command.scope=console",
        "osgi.command.function=status"})
public final class ConsoleComponent implements KernelComponent {

    @Override
    public String name() {
        return "console";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.console";
    }

    @Override
    public String summary() {
        return "this vnode's console: a line discipline the root can attach to";
    }

    @Override
    @Descriptor("show the state of the console in this vnode")
    public Map<String, String> status() {
        return Map.of();
    }
}
