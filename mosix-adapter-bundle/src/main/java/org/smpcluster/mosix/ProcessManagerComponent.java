package org.smpcluster.mosix;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.proc.ProcessTable;

/**
 * This vnode's {@link ProcessManager}: the {@link ProcessTable}, with PIDs of this vnode and its
 * sampler as one of the vnode's kernel threads. Deactivation kills what still runs.
 */
@Component(service = ProcessManager.class, configurationPolicy = ConfigurationPolicy.IGNORE)
public final class ProcessManagerComponent implements ProcessManager {

    private final ProcessTable table;

    @Activate
    public ProcessManagerComponent(@Reference Nanokernel nanokernel) {
        this.table = new ProcessTable(nanokernel.vnodeId(), nanokernel::kernelThread);
    }

    @Deactivate
    void deactivate() {
        table.close();
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec) {
        return table.spawn(spec);
    }

    @Override
    public List<ProcessInfo> processes() {
        return table.processes();
    }

    @Override
    public Optional<ProcessInfo> info(long pid) {
        return table.info(pid);
    }

    @Override
    public void signal(long pid, Signal signal) {
        table.signal(pid, signal);
    }

    @Override
    public CompletableFuture<ExitStatus> onExit(long pid) {
        return table.onExit(pid);
    }
}
