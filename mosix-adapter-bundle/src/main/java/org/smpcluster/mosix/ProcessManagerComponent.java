package org.smpcluster.mosix;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.cluster.ClusterView;
import org.smpcluster.mosix.layout.ProcTableDescriptor;
import org.smpcluster.mosix.proc.ProcPublisher;
import org.smpcluster.mosix.proc.ProcessTable;

/**
 * This vnode's {@link ProcessManager}: the {@link ProcessTable}, with PIDs of this vnode and its
 * sampler as one of the vnode's kernel threads, published in the vnode's local bridge
 * {@code proc}; {@link #processes()} and {@link #info(long)} are the whole cluster's, read from
 * every vnode's {@code proc}. Deactivation kills what still runs.
 */
@Component(service = ProcessManager.class, configurationPolicy = ConfigurationPolicy.IGNORE)
public final class ProcessManagerComponent implements ProcessManager {

    /** Entries of the {@code proc} table: live processes plus the ended ones kept for wait. */
    static final int CAPACITY = 1024;

    private final Bridge proc;
    private final ProcessTable table;
    private final ClusterView cluster;

    @Activate
    public ProcessManagerComponent(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges) {
        int vnode = nanokernel.vnodeId();
        this.proc = bridges.open(vnode, ProcTableDescriptor.BRIDGE, ProcTableDescriptor.length(CAPACITY));
        try {
            ProcPublisher publisher = new ProcPublisher(proc.segment(), vnode, CAPACITY,
                    Runtime.getRuntime().availableProcessors());
            this.table = new ProcessTable(vnode, nanokernel::kernelThread, publisher);
        } catch (RuntimeException e) {
            proc.close();
            throw e;
        }
        this.cluster = new ClusterView(vnode, table, v -> bridges.peek(v, ProcTableDescriptor.BRIDGE),
                () -> up(nanokernel));
    }

    private static List<Integer> up(Nanokernel nanokernel) {
        List<Integer> out = new ArrayList<>();
        out.add(Nanokernel.ROOT);
        for (VnodeState v : nanokernel.vnodes()) {
            if (v.id() != Nanokernel.ROOT && VnodeState.JOINED.equals(v.state())) {
                out.add(v.id());
            }
        }
        if (!out.contains(nanokernel.vnodeId())) {
            out.add(nanokernel.vnodeId());
        }
        return out;
    }

    @Deactivate
    void deactivate() {
        try {
            table.close();
        } finally {
            proc.close();
        }
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec) {
        return table.spawn(spec);
    }

    @Override
    public List<ProcessInfo> processes() {
        return cluster.processes();
    }

    @Override
    public Optional<ProcessInfo> info(long pid) {
        return cluster.info(pid);
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
