package org.smpcluster.nanokernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.cluster.KernelComponent;
import org.smpcluster.api.nanokernel.Nanokernel;

/**
 * The nanokernel as a component of the image: which cluster and vnode this is, and what the
 * host gave this vnode's process (CPUs, heap).
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=nanokernel",
        "osgi.command.scope=nk",
        "osgi.command.function=status"})
public final class NanokernelComponent implements KernelComponent {

    private static final Path PROC_STATUS = Path.of("/proc/self/status");

    private final Nanokernel nanokernel;

    @Activate
    public NanokernelComponent(@Reference Nanokernel nanokernel) {
        this.nanokernel = nanokernel;
    }

    @Override
    public String name() {
        return "nanokernel";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.nanokernel";
    }

    @Override
    public String summary() {
        return "owns the hardware beneath the vnode: physmem, bridges, portals, interrupts, devices";
    }

    @Override
    @Descriptor("show this vnode: cluster, vnode id, physmem, pid, the CPUs it may run on, heap limit")
    public Map<String, String> status() {
        Map<String, String> status = new LinkedHashMap<>();
        status.put("cluster", nanokernel.clusterName());
        status.put("vnode", nanokernel.vnodeId() + (nanokernel.isRoot() ? " (root)" : ""));
        status.put("physmem", nanokernel.physmemPath() + " (" + NanokernelCommands.size(nanokernel.physmemSize()) + ")");
        status.put("pid", Long.toString(ProcessHandle.current().pid()));
        status.put("cpus", cpusAllowed(PROC_STATUS));
        status.put("heap-max", Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
        return status;
    }

    /**
     * The CPUs the kernel lets this process run on, as Linux prints them
     * ({@code Cpus_allowed_list: 0-1}); the affinity a vnode is pinned to.
     */
    static String cpusAllowed(Path procStatus) {
        try {
            return Files.readAllLines(procStatus).stream()
                    .filter(line -> line.startsWith("Cpus_allowed_list:"))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .findFirst()
                    .orElse("unknown");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + procStatus, e);
        }
    }
}
