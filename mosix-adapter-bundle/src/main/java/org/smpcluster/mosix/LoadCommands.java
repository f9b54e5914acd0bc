package org.smpcluster.mosix;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.process.ProcessManager;
import org.smpcluster.mosix.cluster.BalancerAgent;
import org.smpcluster.mosix.cluster.ClusterView;
import org.smpcluster.mosix.cluster.MosixNode;

/**
 * {@code mosix:balance} (the balancer on or off, its moves) and {@code mosix:mon} (load per
 * vnode, a live text chart): this vnode's {@link MosixNode}, reached through its process
 * manager component (they are one bundle's).
 */
@Component(service = LoadCommands.class, configurationPolicy = ConfigurationPolicy.IGNORE, property = {
        "osgi.command.scope=mosix",
        "osgi.command.function=balance",
        "osgi.command.function=mon"})
public final class LoadCommands {

    static final String BALANCE_USAGE = """
            usage: mosix:balance [on|off]
              shows (or turns on or off) this vnode's load balancer and memory usher: it moves this
              vnode's migratable processes (not mosix:run -L ones) to a less loaded vnode, or off this
              vnode when its heap runs short; boots on unless the framework property
              smpcluster.mosix.balance=off. Shows its moves, refusals and its last five moves""";
    static final String MON_USAGE = """
            usage: mosix:mon [--once]
              the load of every vnode (runnable processes per CPU, decayed as MOSIX does; free heap)
              as bars, refreshed 4 times a second; q or ^C quits. --once prints one frame""";
    /** Width of a full bar: a load of {@link #SCALE} runnable processes per CPU, or the highest now. */
    static final int BAR = 40;
    static final double SCALE = 2.0;

    private final MosixNode node;

    @Activate
    public LoadCommands(@Reference ProcessManager processes) {
        if (!(processes instanceof ProcessManagerComponent c)) {
            throw new IllegalStateException("mosix:balance and mosix:mon need this bundle's process manager, not "
                    + processes.getClass().getName());
        }
        this.node = c.node();
    }

    @Descriptor("show, or turn on or off, this vnode's load balancer (and memory usher); --help for more")
    public String balance(@Descriptor("[on|off] (or --help)") String... args) {
        BalancerAgent b = node.balancer();
        if (args.length > 1) {
            throw new IllegalArgumentException("mosix:balance takes on, off or nothing, got " + Arrays.toString(args));
        }
        if (args.length == 1) {
            switch (args[0].toLowerCase(Locale.ROOT)) {
                case "--help", "-h" -> {
                    return BALANCE_USAGE;
                }
                case "on" -> b.enabled(true);
                case "off" -> b.enabled(false);
                default -> throw new IllegalArgumentException("state=" + args[0] + " is not on or off (mosix:balance --help)");
            }
        }
        StringBuilder out = new StringBuilder(state(b));
        List<BalancerAgent.Made> recent = b.history();
        for (BalancerAgent.Made m : recent.subList(Math.max(0, recent.size() - 5), recent.size())) {
            out.append("\n  moved ").append(m);
        }
        return out.toString();
    }

    static String state(BalancerAgent b) {
        return "balancing " + (b.enabled() ? "on" : "off") + ", moves " + b.moves() + ", refused " + b.refused()
                + ", last " + b.last().map(Object::toString).orElse("none");
    }

    @Descriptor("show the load of every vnode as a live text chart (q or ^C quits); --once for one frame")
    public String mon(@Descriptor("[--once] (or --help)") String... args) throws IOException {
        boolean once = false;
        for (String a : args) {
            switch (a) {
                case "--help", "-h" -> {
                    return MON_USAGE;
                }
                case "--once", "-1" -> once = true;
                default -> throw new IllegalArgumentException("option=" + a + " is not --once or --help (mosix:mon --help)");
            }
        }
        if (once) {
            return frame(node.cluster().loads(), state(node.balancer())).stripTrailing();
        }
        // In a Gogo session System.in and System.out are the session's: keys come from its terminal.
        PrintStream out = System.out;
        InputStream in = System.in;
        while (!Thread.currentThread().isInterrupted()) {
            out.print("\033[H\033[2J" + frame(node.cluster().loads(), state(node.balancer())) + "(q or ^C quits)\n");
            out.flush();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(250);
            while (System.nanoTime() < until) {
                while (in.available() > 0) {
                    int c = in.read();
                    if (c == 'q' || c == 'Q' || c == 3 || c < 0) {
                        return null;
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // the refresh's timer and the key check's
                if (Thread.currentThread().isInterrupted()) {
                    return null; // ^C: Gogo interrupts the command
                }
            }
        }
        return null;
    }

    /** One frame: a bar per vnode, load per CPU (decayed) against {@link #SCALE} or the highest. */
    static String frame(List<ClusterView.Load> loads, String balancer) {
        double top = SCALE;
        for (ClusterView.Load l : loads) {
            top = Math.max(top, l.loadMillis() / 1000.0);
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "mosix:mon  %s%n%5s  %-" + BAR + "s %6s %4s %4s %9s%n",
                balancer, "VNODE", "LOAD (runnable per CPU, decayed; | = " + fmt(top) + ")", "LOAD", "RUN", "CPUS", "FREE"));
        for (ClusterView.Load l : loads) {
            double load = l.loadMillis() / 1000.0;
            int n = (int) Math.round(Math.min(1, load / top) * BAR);
            b.append(String.format(Locale.ROOT, "%5d  %s%s|%6s %4d %4d %9s%n", l.vnode(), "#".repeat(n),
                    ".".repeat(BAR - n), fmt(load), l.runnable(), l.cpus(), ProcessCommands.bytes(l.freeBytes())));
        }
        return b.toString();
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.2f", d);
    }
}
