package org.smpcluster.mosix;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.Placement;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.api.process.ProcessSpec;
import org.smpcluster.api.process.Signal;
import org.smpcluster.mosix.cluster.MosixNode;

/**
 * This vnode's {@link ProcessManager}: its {@link MosixNode} (the process table published in
 * the local bridge {@code proc}, deputies for processes run elsewhere, the cluster-wide view),
 * and the interrupt handler of the deputy channels' vector (whiteboard). Deactivation kills
 * what still runs.
 */
@Component(service = {ProcessManager.class, InterruptHandler.class}, configurationPolicy = ConfigurationPolicy.IGNORE,
        // Deputies.VECTOR, Portals.FIRST_DRIVER_VECTOR + 5 (an annotation needs the literal)
        property = InterruptHandler.VECTOR + ":Integer=21")
public final class ProcessManagerComponent implements ProcessManager, InterruptHandler {

    private final MosixNode node;

    @Activate
    public ProcessManagerComponent(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges,
            @Reference Portals portals) {
        this.node = new MosixNode(nanokernel, bridges, portals);
    }

    @Deactivate
    void deactivate() {
        node.close();
    }

    @Override
    public boolean handle(int vector, long hits) {
        node.interrupt();
        return true;
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec) {
        return node.spawn(spec);
    }

    @Override
    public ProcessInfo spawn(ProcessSpec spec, Placement where) {
        return node.spawn(spec, where);
    }

    @Override
    public List<ProcessInfo> processes() {
        return node.processes();
    }

    @Override
    public Optional<ProcessInfo> info(long pid) {
        return node.info(pid);
    }

    @Override
    public void signal(long pid, Signal signal) {
        node.signal(pid, signal);
    }

    @Override
    public CompletableFuture<ExitStatus> onExit(long pid) {
        return node.onExit(pid);
    }
}
