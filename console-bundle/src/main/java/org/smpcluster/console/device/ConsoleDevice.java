package org.smpcluster.console.device;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.concurrent.locks.LockSupport;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.console.tty.LineDiscipline;
import org.smpcluster.console.tty.Termios;

/**
 * This vnode's console: its local bridge {@value ConsoleLayout#BRIDGE}, a line discipline over
 * it, and a Gogo shell session reading lines from it, so that every vnode, the root included,
 * has a shell reachable only through its console. Keys typed into the bridge raise
 * {@link #VECTOR} here; the input thread hands them to the line discipline, whose echo and the
 * shell's output go to the screen ring. An ISIG character interrupts the command running.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = {})
public final class ConsoleDevice {

    /** The portal vector that says keys were typed on this vnode's console. */
    public static final int VECTOR = Portals.FIRST_DRIVER_VECTOR + 1;

    /** The portal vector raised on the root when an attached console's screen changed. */
    public static final int SCREEN_VECTOR = Portals.FIRST_DRIVER_VECTOR + 2;

    static final String PROMPT = "g! ";
    private static final String CANCELLED = "\u0000cancelled";

    private static final System.Logger LOG = System.getLogger(ConsoleDevice.class.getName());

    private final Nanokernel nanokernel;
    private final Bridge bridge;
    private final MemorySegment screen;
    private final LineDiscipline ld;
    private final CommandProcessor gogo;
    private final Portals portals;
    private final ServiceRegistration<InterruptHandler> irq;
    private final Thread input;
    private final Thread shell;
    private volatile boolean running = true;
    private volatile boolean busy;
    /** A signal came while the command ran. */
    private volatile boolean interrupted;
    /** A signal for the input thread to deliver (see {@link #interruptCommand()}). */
    private volatile boolean signalled;
    private volatile CommandSession session;
    private boolean cancelled;

    @Activate
    public ConsoleDevice(@Reference Nanokernel nanokernel, @Reference BridgeManager bridges,
            @Reference Portals portals, @Reference CommandProcessor gogo, BundleContext context) {
        this.gogo = gogo;
        this.portals = portals;
        this.nanokernel = nanokernel;
        this.bridge = bridges.open(nanokernel.vnodeId(), ConsoleLayout.BRIDGE, ConsoleLayout.SIZE);
        this.screen = bridge.segment();
        ConsoleLayout.format(screen, ProcessHandle.current().pid());
        this.ld = new LineDiscipline(Termios.sane().set(Termios.Flag.IUTF8, true), this::signal);
        int vnode = nanokernel.vnodeId();
        // Kernel threads: a console whose input or shell thread died (of an OutOfMemoryError, say)
        // is a dead console on a vnode that looks alive; the vnode panics instead, and is restarted.
        this.input = nanokernel.kernelThread("vnode-" + vnode + "-console-input", this::input);
        this.shell = nanokernel.kernelThread("vnode-" + vnode + "-console-shell", this::shell);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(InterruptHandler.VECTOR, VECTOR);
        this.irq = context.registerService(InterruptHandler.class, (vector, hits) -> {
            LockSupport.unpark(input);
            return false;
        }, props);
        input.start();
        shell.start();
    }

    /**
     * Keys typed: to the line discipline, its echo to the screen; readers woken. Only as many
     * as the line discipline has room for are taken from the keyboard ring: the rest wait
     * there, and whoever types waits for room (nothing typed is dropped).
     */
    private void input() {
        try {
            takeInput();
        } catch (RuntimeException e) {
            if (running) {
                throw e; // a kernel thread's death: the vnode panics
            }
            // the console closed under it (its bridge is gone): nothing more to take
        }
    }

    private void takeInput() {
        while (running) {
            byte[] keys;
            synchronized (this) {
                keys = ConsoleLayout.takeKeys(screen, ld.room());
                if (keys.length > 0) {
                    ld.receive(keys);
                    flushScreen();
                    notifyAll();
                }
            }
            if (keys.length == 0) {
                LockSupport.park(this); // until the portal interrupt says more were typed, or a reader made room
                continue;
            }
            if (signalled) {
                signalled = false;
                interruptCommand(); // outside the monitor: it may wait for the command's job
            }
        }
    }

    private void flushScreen() {
        byte[] echo = ld.takeEcho();
        if (echo.length > 0) {
            ConsoleLayout.write(screen, echo);
            if (ConsoleLayout.watched(screen)) {
                portals.raise(Nanokernel.ROOT, SCREEN_VECTOR);
            }
        }
    }

    /** ^C, ^\ or ^Z: the command running in the shell is interrupted. */
    private void signal(int signal) {
        if (busy) {
            interrupted = true;
            signalled = true; // delivered by the input thread once the keys are taken in
        } else {
            cancelled = true; // at the prompt: a fresh line and prompt, as a shell does
        }
    }

    /**
     * Interrupts the command running in the shell. A ^C typed right after Enter can come before
     * Gogo has made the command its foreground job: wait for the job a little, then interrupt it
     * Gogo's own way, so the job ends and the session is free again.
     */
    /**
     * Whether Gogo's job controller runs {@code job} yet. Gogo (runtime 1.1) makes a job the
     * foreground job before it submits it to its executor: interrupted before the submit, the
     * interrupt is lost (the command runs on); between the submit and the controller's start, the
     * cancel keeps the controller from ever running, and the shell waits for the job forever. The
     * controller names its thread "job controller ID" first thing, so until that thread exists
     * the interrupt waits.
     */
    private static boolean running(org.apache.felix.service.command.Job job) {
        String controller = "job controller " + job.id();
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(controller));
    }

    private void interruptCommand() {
        CommandSession s = session;
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (busy && s != null) {
            org.apache.felix.service.command.Job job = s.foregroundJob();
            if (job != null && running(job)) {
                job.interrupt();
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                break;
            }
            LockSupport.parkNanos(2_000_000);
        }
        if (busy) {
            shell.interrupt();
        }
    }

    private void shell() {
        PrintStream out = new PrintStream(new ScreenStream(), true, StandardCharsets.UTF_8);
        try (CommandSession session = gogo.createSession(InputStream.nullInputStream(), out, out)) {
            this.session = session;
            while (running) {
                out.print(PROMPT);
                out.flush();
                String line = readLine();
                if (line == null) {
                    return;
                }
                if (line.equals(CANCELLED)) {
                    out.println();
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                try {
                    Object result = session.execute(line);
                    if (result != null) {
                        out.println(session.format(result, Converter.INSPECT));
                    } else if (interrupted) {
                        // a ^C that came before the command reached its first wait: Gogo ends the job quietly
                        out.println("interrupted");
                    }
                } catch (InterruptedException e) {
                    out.println("interrupted");
                } catch (Exception e) {
                    out.println("error: " + (e.getMessage() == null ? e : e.getMessage()));
                } finally {
                    busy = false;
                    Thread.interrupted(); // a ^C that came as the command ended is spent
                }
            }
        } catch (RuntimeException e) {
            if (running) {
                LOG.log(System.Logger.Level.ERROR, "the console shell ended", e);
            }
        }
    }

    /** The next line, as a program reading the console gets it; end of file gives an empty line. */
    private String readLine() {
        synchronized (this) {
            while (running) {
                if (cancelled) {
                    cancelled = false;
                    return CANCELLED;
                }
                byte[] line = ld.read(4096);
                if (line != null) {
                    LockSupport.unpark(input); // room in the line discipline: keys waiting in the ring come in
                    String text = new String(line, StandardCharsets.UTF_8).strip();
                    if (!text.isBlank()) {
                        // Busy from the moment the line is taken, under the monitor the line
                        // discipline signals under: a ^C typed right after Enter, before the
                        // command started, interrupts it (it used to be taken for a ^C at the
                        // prompt, and the command ran on).
                        interrupted = false;
                        busy = true;
                    }
                    return text;
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    // a ^C at the prompt: the line was flushed by the line discipline; go on reading
                }
            }
            return null;
        }
    }

    /** The shell's output, through the line discipline's output processing, to the screen. */
    private final class ScreenStream extends OutputStream {
        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (ConsoleDevice.this) {
                ld.write(java.util.Arrays.copyOfRange(b, off, off + len));
                flushScreen();
            }
        }
    }

    @Deactivate
    void deactivate() {
        long start = System.nanoTime();
        boolean rootGone = nanokernel.rootGone();
        running = false;
        try {
            irq.unregister();
        } catch (IllegalStateException e) {
            // gone with the bundle
        }
        LockSupport.unpark(input);
        shell.interrupt();
        synchronized (this) {
            notifyAll();
        }
        try {
            input.join(2_000);
            // A command that waits on the root does not end when the root is gone: its thread
            // dies with the process; it is not waited for.
            shell.join(rootGone ? 100 : 2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (rootGone) {
            // Closing the bridge asks the root, which would only time out: it goes with the process.
            LOG.log(System.Logger.Level.INFO, "console stopped in " + (System.nanoTime() - start) / 1_000_000
                    + " ms without its root (gone)");
        } else {
            bridge.close();
        }
    }
}
