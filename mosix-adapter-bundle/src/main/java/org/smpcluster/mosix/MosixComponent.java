package org.smpcluster.mosix;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.smpcluster.api.cluster.KernelComponent;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessState;

/**
 * The MOSIX adapter as a component of the image: its identity, and {@code mosix:status} from
 * this vnode's {@link ProcessManager}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        KernelComponent.COMPONENT + "=mosix",
        "osgi.command.scope=mosix",
        "osgi.command.function=status"})
public final class MosixComponent implements KernelComponent {

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ProcessManager processes;

    @Override
    public String name() {
        return "mosix";
    }

    @Override
    public String apiPackage() {
        return "org.smpcluster.api.process";
    }

    @Override
    public String summary() {
        return "one process space over every vnode (MOSIX-style: remote spawn with home-node deputies; migration to come)";
    }

    @Override
    @Descriptor("show the state of the MOSIX layer: how many processes of the cluster run, are stopped, ended")
    public Map<String, String> status() {
        Map<String, String> out = new LinkedHashMap<>();
        ProcessManager pm = processes;
        if (pm == null) {
            out.put("processes", "no process manager in this vnode yet");
            return out;
        }
        List<ProcessInfo> all = pm.processes();
        for (ProcessState s : ProcessState.values()) {
            long n = all.stream().filter(p -> p.state() == s).count();
            out.put(s.name().toLowerCase(java.util.Locale.ROOT), Long.toString(n));
        }
        long cpu = all.stream().filter(p -> p.state() != ProcessState.EXITED).mapToLong(ProcessInfo::cpuNanos).sum();
        out.put("cpu of live processes", String.format(java.util.Locale.ROOT, "%.2f s", cpu / 1e9));
        return out;
    }
}
