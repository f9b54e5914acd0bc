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
            "osgi.command.function=show", "osgi.command.function=write", "osgi.command.function=sleep",
            "osgi.command.function=attach"})
public final class ConsoleService implements Consoles {

    private final Nanokernel nanokernel;
    private final BridgeManager bridges;
    private final Portals portals;
    private final org.osgi.framework.BundleContext context;

    /** A piece of a console's screen: its bytes from a cursor to {@code end}, and the console's incarnation. */
    record Screen(byte[] bytes, long end, long incarnation) {
    }

    /** The screen from {@code cursor} (-1: the last 2 KiB, a glimpse of where it is). */
    Screen screenSince(int vnode, long cursor) {
        try (Bridge b = open(vnode)) {
            long end = ConsoleLayout.written(b.segment());
            byte[] bytes = ConsoleLayout.screen(b.segment(), cursor < 0 ? 0 : cursor, cursor < 0 ? 2048 : ConsoleLayout.SCREEN);
            return new Screen(bytes, end, ConsoleLayout.incarnation(b.segment()));
        }
    }

    void watch(int vnode, boolean on) {
        try (Bridge b = open(vnode)) {
            ConsoleLayout.watched(b.segment(), on);
        }
    }

    /** Whether {@code vnode} is on its way back (booting again after a failure or a restart). */
    boolean restarting(int vnode) {
        String state = nanokernel.vnodes().get(vnode).state();
        return !state.equals(VnodeState.STOPPED);
    }

    @Activate
    public ConsoleService(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges,
            @Reference Portals portals, org.osgi.framework.BundleContext context) {
        this.context = context;
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
        // Back-pressure: the vnode takes keys as its line discipline has room for them (its
        // shell reads lines); typing waits while it makes progress, and gives up after 5 s
        // without any.
        long deadline = System.nanoTime() + 5_000_000_000L;
        try (Bridge b = open(vnode)) {
            int done = 0;
            while (true) {
                int n = ConsoleLayout.type(b.segment(), keys, done);
                done += n;
                portals.raise(vnode, ConsoleDevice.VECTOR);
                if (done == keys.length) {
                    return;
                }
                if (n > 0) {
                    deadline = System.nanoTime() + 5_000_000_000L;
                } else if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("vnode " + vnode + "'s console took " + done + " of " + keys.length
                            + " bytes and no more for 5 s: it does not read its keyboard (its shell is busy?)");
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
        if (!(seconds >= 0 && seconds <= MAX_SLEEP_SECONDS)) { // NaN fails both
            throw new IllegalArgumentException("seconds=" + seconds + " is not a number of seconds in 0.."
                    + MAX_SLEEP_SECONDS);
        }
        Thread.sleep((long) (seconds * 1000));
        return "slept " + seconds + " s";
    }

    @Descriptor("attach this terminal to a vnode's console (raw mode; the vnode's line discipline edits); Ctrl-] detaches")
    public void attach(org.apache.felix.service.command.CommandSession session, @Descriptor("vnode id") int vnode)
            throws java.io.IOException {
        // A vnode that just joined may still be starting the bundles its console comes with.
        long deadline = System.nanoTime() + 30_000_000_000L;
        boolean told = false;
        while (true) {
            try {
                screenSince(vnode, -1);
                break;
            } catch (IllegalStateException e) {
                if (!e.getMessage().contains("not up yet") || System.nanoTime() > deadline) {
                    throw e;
                }
                if (!told) {
                    System.out.println("[waiting for vnode " + vnode + "'s console to come up]");
                    told = true;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
            }
        }
        new Attachment(this, vnode, session.getKeyboard(), System.out, context).run();
    }

    @Descriptor("type a line on a vnode's console (Enter added), as a person at it would")
    public String write(
            @Descriptor("do not press Enter after it") @Parameter(names = {"-n", "--no-enter"},
                    absentValue = "false", presentValue = "true") boolean noEnter,
            @Descriptor("vnode id") int vnode,
            @Descriptor("the text; \\r \\t \\xHH and ^X (e.g. ^C) are keys") String text) {
        byte[] keys = Escapes.unescape(noEnter ? text : text + "\\r");
        checkLines(keys);
        type(vnode, keys);
        return "typed " + keys.length + " bytes on vnode " + vnode + "'s console";
    }

    /** A day: the longest {@code console:sleep}. */
    static final int MAX_SLEEP_SECONDS = 86_400;

    /** The longest line a console's line discipline keeps (Linux's N_TTY: 4095 bytes and its end). */
    static final int MAX_LINE = org.smpcluster.console.tty.LineDiscipline.BUFFER - 1;

    /**
     * Refuses keys with a line longer than the console's canonical line discipline keeps: the
     * bytes past 4095 would be dropped there (as N_TTY drops them), and the command typed
     * would not be the one asked for. A line ends at Enter (CR or LF), ^D, or is ended by ^C
     * or ^U (which drop it).
     */
    static void checkLines(byte[] keys) {
        int start = 0;
        for (int i = 0; i <= keys.length; i++) {
            if (i == keys.length || keys[i] == '\r' || keys[i] == '\n' || keys[i] == 0x04 || keys[i] == 0x03
                    || keys[i] == 0x15) {
                if (i - start > MAX_LINE) {
                    throw new IllegalArgumentException("a line of " + (i - start) + " bytes: a console keeps at most "
                            + MAX_LINE + " bytes of a line (as Linux's N_TTY line discipline); split it into lines");
                }
                start = i + 1;
            }
        }
    }
}
