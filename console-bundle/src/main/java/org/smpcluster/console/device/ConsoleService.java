package org.smpcluster.console.device;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.console.Consoles;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.console.tty.Escapes;

/**
 * The consoles seen from this vnode (every vnode's from the root): {@link Consoles}, and the
 * commands {@code console:list}, {@code console:show}, {@code console:write} and
 * {@code console:sleep}.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, service = {Consoles.class, ConsoleService.class},
        property = {"osgi.command.scope=console", "osgi.command.function=list",
            "osgi.command.function=show", "osgi.command.function=write", "osgi.command.function=sleep"})
public final class ConsoleService implements Consoles {

    private final Nanokernel nanokernel;
    private final BridgeManager bridges;
    private final Portals portals;

    @Activate
    public ConsoleService(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges,
            @Reference Portals portals) {
        this.nanokernel = nanokernel;
        this.bridges = bridges;
        this.portals = portals;
    }

    /** Opens {@code vnode}'s console bridge for one use; refuses a vnode that is not up. */
    private Bridge open(int vnode) {
        if (vnode < 0 || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode " + vnode + " is outside 0.." + (Nanokernel.MAX_VNODES - 1));
        }
        if (!nanokernel.vnodes().get(vnode).state().equals(VnodeState.JOINED)) {
            throw new IllegalStateException("vnode " + vnode + " is not up (" + nanokernel.vnodes().get(vnode).state()
                    + "): it has no console");
        }
        Bridge b = bridges.open(vnode, ConsoleLayout.BRIDGE, ConsoleLayout.SIZE);
        if (!ConsoleLayout.formatted(b.segment())) {
            b.close();
            throw new IllegalStateException("vnode " + vnode + "'s console is not up yet (its bundles are starting)");
        }
        return b;
    }

    @Override
    public byte[] scrollback(int vnode, int max) {
        try (Bridge b = open(vnode)) {
            return ConsoleLayout.screen(b.segment(), 0, max);
        }
    }

    @Override
    public long written(int vnode) {
        try (Bridge b = open(vnode)) {
            return ConsoleLayout.written(b.segment());
        }
    }

    @Override
    public void type(int vnode, byte[] keys) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        try (Bridge b = open(vnode)) {
            int done = 0;
            while (true) {
                done += ConsoleLayout.type(b.segment(), keys, done);
                portals.raise(vnode, ConsoleDevice.VECTOR);
                if (done == keys.length) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("vnode " + vnode + "'s console took " + done + " of " + keys.length
                            + " bytes in 5 s: it does not read its keyboard");
                }
                Thread.onSpinWait(); // the keyboard ring is full: the vnode is taking it
                Thread.yield();
            }
        }
    }

    @Descriptor("list the vnodes' consoles: bytes written to each screen so far")
    public String list() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-6s %-10s %s%n", "VNODE", "WRITTEN", "PID"));
        for (VnodeState v : nanokernel.vnodes()) {
            if (!v.state().equals(VnodeState.JOINED) || (!nanokernel.isRoot() && v.id() != nanokernel.vnodeId())) {
                continue;
            }
            try (Bridge b = open(v.id())) {
                out.append(String.format(Locale.ROOT, "%-6d %-10d %d%n", v.id(), ConsoleLayout.written(b.segment()),
                        ConsoleLayout.incarnation(b.segment())));
            } catch (IllegalStateException e) {
                out.append(String.format(Locale.ROOT, "%-6d %s%n", v.id(), "(starting)"));
            }
        }
        return out.toString().stripTrailing();
    }

    @Descriptor("show the recent output of a vnode's console (its scrollback), without attaching")
    public String show(
            @Descriptor("how many bytes of scrollback, at most") @Parameter(names = {"-n", "--bytes"},
                    absentValue = "2048") int bytes,
            @Descriptor("vnode id") int vnode) {
        if (bytes < 1) {
            throw new IllegalArgumentException("--bytes must be at least 1");
        }
        return new String(scrollback(vnode, bytes), StandardCharsets.UTF_8).replace("\r\n", "\n");
    }

    @Descriptor("wait, doing nothing (^C on the console interrupts it): for trying out a console")
    public String sleep(@Descriptor("seconds") double seconds) throws InterruptedException {
        if (seconds < 0) {
            throw new IllegalArgumentException("seconds must not be negative");
        }
        Thread.sleep((long) (seconds * 1000));
        return "slept " + seconds + " s";
    }

    @Descriptor("type a line on a vnode's console (Enter added), as a person at it would")
    public String write(
            @Descriptor("do not press Enter after it") @Parameter(names = {"-n", "--no-enter"},
                    absentValue = "false", presentValue = "true") boolean noEnter,
            @Descriptor("vnode id") int vnode,
            @Descriptor("the text; \\r \\t \\xHH and ^X (e.g. ^C) are keys") String text) {
        byte[] keys = Escapes.unescape(noEnter ? text : text + "\\r");
        type(vnode, keys);
        return "typed " + keys.length + " bytes on vnode " + vnode + "'s console";
    }
}
