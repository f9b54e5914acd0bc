package org.smpcluster.vfs;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.smpcluster.api.cluster.KernelComponent;
import org.smpcluster.api.vfs.PageCacheStats;
import org.smpcluster.api.vfs.Vfs;

/**
 * The distributed filesystem as a component of the image: its identity, and {@code vfs:status}
 * from this vnode's {@link Vfs} service (see {@link VfsDriver}).
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

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Vfs vfs;

    @Override
    @Descriptor("show the state of the distributed filesystem in this vnode")
    public Map<String, String> status() {
        Vfs v = vfs;
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null) {
            out.put("client", "not connected to the root's server yet");
            return out;
        }
        out.put("mounts", v.mounts().stream().map(m -> m.export() + " on " + m.mountPoint()).toList().toString());
        try {
            PageCacheStats c = v.pageCache();
            out.put("page cache", c.frames() + " frames of " + c.pageSize() + " bytes, " + c.free() + " free, "
                    + c.dirty() + " dirty");
            out.put("tokens", c.readTokens() + " readable, " + c.writeTokens() + " writable, " + c.revocations() + " revoked");
            out.put("this vnode", c.hits() + " hits, " + c.misses() + " misses");
        } catch (IOException e) {
            out.put("page cache", "unavailable: " + e.getMessage());
        }
        return out;
    }
}
