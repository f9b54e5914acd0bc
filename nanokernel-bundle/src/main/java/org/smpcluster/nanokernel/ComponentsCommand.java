package org.smpcluster.nanokernel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.smpcluster.api.cluster.KernelComponent;

/**
 * {@code nk:components}: the components of the kernel image this vnode runs, with the bundle
 * and version that provides each. The nanokernel answers it because it starts first and is
 * present on every vnode.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, service = ComponentsCommand.class, property = {
        "osgi.command.scope=nk",
        "osgi.command.function=components"})
public final class ComponentsCommand {

    private final BundleContext context;

    @Activate
    public ComponentsCommand(BundleContext context) {
        this.context = context;
    }

    /** One row of the listing; also what tests assert on. */
    public record Row(String name, String bundle, String version, String apiPackage, String summary) {
    }

    @Descriptor("list the kernel image's components in this vnode: name, bundle, version, API")
    public String components() {
        return format(rows());
    }

    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (ServiceReference<KernelComponent> ref : references()) {
            KernelComponent component = context.getService(ref);
            if (component == null) {
                continue; // unregistered between the lookup and now
            }
            try {
                Bundle bundle = ref.getBundle();
                rows.add(new Row(component.name(),
                        bundle == null ? "?" : bundle.getSymbolicName(),
                        bundle == null ? "?" : bundle.getVersion().toString(),
                        component.apiPackage(),
                        component.summary()));
            } finally {
                context.ungetService(ref);
            }
        }
        rows.sort(Comparator.comparing(Row::name));
        return rows;
    }

    private List<ServiceReference<KernelComponent>> references() {
        try {
            return new ArrayList<>(context.getServiceReferences(KernelComponent.class, null));
        } catch (InvalidSyntaxException e) {
            throw new AssertionError("a null filter is always valid", e);
        }
    }

    static String format(List<Row> rows) {
        int name = "NAME".length();
        int bundle = "BUNDLE".length();
        int version = "VERSION".length();
        for (Row r : rows) {
            name = Math.max(name, r.name().length());
            bundle = Math.max(bundle, r.bundle().length());
            version = Math.max(version, r.version().length());
        }
        String fmt = "%-" + name + "s  %-" + bundle + "s  %-" + version + "s  %s%n";
        StringBuilder out = new StringBuilder(String.format(fmt, "NAME", "BUNDLE", "VERSION", "SUMMARY"));
        for (Row r : rows) {
            out.append(String.format(fmt, r.name(), r.bundle(), r.version(), r.summary()));
        }
        return out.toString();
    }
}
