package org.smpcluster.mosix;

import java.util.List;
import java.util.concurrent.ExecutionException;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.process.ProcessManager;

/**
 * {@code mosix:wait PID}. A {@link Function} of its own because Gogo, looking a function up by
 * method name, would otherwise pick {@link Object#wait(long)} for {@code mosix:wait 1000001}; the
 * {@link #wait(String)} method is there for {@code help mosix:wait} to describe.
 */
@Component(service = {WaitCommand.class, Function.class}, configurationPolicy = ConfigurationPolicy.IGNORE,
        property = {"osgi.command.scope=mosix", "osgi.command.function=wait"})
public final class WaitCommand implements Function {

    private final ProcessManager processes;

    @Activate
    public WaitCommand(@Reference ProcessManager processes) {
        this.processes = processes;
    }

    @Override
    public Object execute(CommandSession session, List<Object> arguments) throws Exception {
        if (arguments.size() != 1) {
            throw new IllegalArgumentException("mosix:wait takes one PID, got " + arguments + " (mosix:wait --help)");
        }
        return wait(String.valueOf(arguments.get(0)));
    }

    @Descriptor("wait for a process of the cluster to end, and show its exit status (its real one at its home)")
    public String wait(@Descriptor("PID (or --help)") String pid) throws InterruptedException {
        if (pid.equals("--help") || pid.equals("-h")) {
            return "usage: mosix:wait PID\n  waits for the process to end; shows its status (0..255) and why";
        }
        long p = ProcessCommands.pid(pid);
        try {
            return p + ": " + processes.onExit(p).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("pid=" + p + " ended without a status: " + e.getCause(), e.getCause());
        }
    }
}
