package org.smpcluster.console.device;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.concurrent.locks.LockSupport;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.smpcluster.api.nanokernel.InterruptHandler;

/**
 * The root's terminal attached to a vnode's console: the terminal in raw mode (the vnode's
 * line discipline edits and echoes), keys typed go to the console's keyboard, its screen comes
 * back. Ctrl-] detaches. A vnode that restarts is followed to its new console, and said so; a
 * vnode that goes down detaches, and says so.
 */
final class Attachment {

    /** Ctrl-]: detach (as telnet and kerf). */
    static final int ESCAPE = 0x1d;

    private final ConsoleService consoles;
    private final int vnode;
    private final InputStream keyboard;
    private final PrintStream terminal;
    private final BundleContext context;
    private volatile boolean attached = true;
    private volatile String ended;

    Attachment(ConsoleService consoles, int vnode, InputStream keyboard, PrintStream terminal, BundleContext context) {
        this.consoles = consoles;
        this.vnode = vnode;
        this.keyboard = keyboard;
        this.terminal = terminal;
        this.context = context;
    }

    /** Runs until Ctrl-] or the vnode goes down; returns why it ended. */
    String run() throws IOException {
        String saved = stty("-g");
        boolean raw = saved != null && stty("raw -echo") != null;
        terminal.print("\r\n[attached to vnode " + vnode + "'s console; Ctrl-] detaches]\r\n");
        terminal.flush();
        Thread screen = Thread.ofPlatform().daemon().name("console-attach-" + vnode).unstarted(this::screen);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(InterruptHandler.VECTOR, ConsoleDevice.SCREEN_VECTOR);
        ServiceRegistration<InterruptHandler> irq = context.registerService(InterruptHandler.class, (v, hits) -> {
            LockSupport.unpark(screen);
            return true;
        }, props);
        consoles.watch(vnode, true);
        screen.start();
        try {
            keys();
        } finally {
            attached = false;
            LockSupport.unpark(screen);
            try {
                screen.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            irq.unregister();
            try {
                consoles.watch(vnode, false);
            } catch (IllegalStateException gone) {
                // the vnode is down: nobody to tell
            }
            if (raw) {
                stty(saved);
            }
        }
        String why = ended != null ? ended : "detached from vnode " + vnode + "'s console";
        terminal.print("\r\n[" + why + "]\r\n");
        terminal.flush();
        return why;
    }

    /** Keys from the terminal to the console, until Ctrl-] or the screen side ends the attachment. */
    private void keys() throws IOException {
        byte[] buffer = new byte[256];
        while (attached) {
            if (keyboard.available() == 0) {
                LockSupport.parkNanos(5_000_000); // the terminal's read cannot be interrupted: look, don't block
                continue;
            }
            int n = keyboard.read(buffer);
            if (n < 0) {
                ended = "the terminal closed";
                return;
            }
            int escape = -1;
            for (int i = 0; i < n; i++) {
                if ((buffer[i] & 0xff) == ESCAPE) {
                    escape = i;
                    break;
                }
            }
            int send = escape < 0 ? n : escape;
            if (send > 0) {
                try {
                    consoles.type(vnode, java.util.Arrays.copyOf(buffer, send));
                } catch (IllegalStateException e) {
                    ended = "vnode " + vnode + " is down: " + e.getMessage();
                    return;
                }
            }
            if (escape >= 0) {
                return;
            }
        }
    }

    /** The console's screen to the terminal, woken by the vnode's portal; follows a restart. */
    private void screen() {
        long cursor = -1;
        long incarnation = -1;
        while (attached) {
            try {
                ConsoleService.Screen s = consoles.screenSince(vnode, cursor);
                if (incarnation != -1 && s.incarnation() != incarnation) {
                    terminal.print("\r\n[vnode " + vnode + " restarted: this is its new console]\r\n");
                    cursor = -1;
                    consoles.watch(vnode, true);
                    s = consoles.screenSince(vnode, cursor);
                }
                incarnation = s.incarnation();
                if (s.bytes().length > 0) {
                    terminal.write(s.bytes(), 0, s.bytes().length);
                    terminal.flush();
                }
                cursor = s.end();
            } catch (IllegalStateException e) {
                if (incarnation != -1 && !consoles.restarting(vnode)) {
                    ended = "vnode " + vnode + " went down; detached";
                    attached = false;
                    return;
                }
            }
            LockSupport.parkNanos(200_000_000); // woken by the portal; the timeout only notices a vnode that died
        }
    }

    /** Runs stty on the controlling terminal; null if there is none (input not from a terminal). */
    static String stty(String args) {
        File tty = new File("/dev/tty");
        if (!tty.canRead()) {
            return null;
        }
        try {
            java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("stty"));
            command.addAll(java.util.List.of(args.split(" ")));
            Process p = new ProcessBuilder(command).redirectInput(tty).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
