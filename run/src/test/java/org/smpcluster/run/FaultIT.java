package org.smpcluster.run;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.junit.After;
import org.junit.AfterClass;
import org.junit.Test;
import org.junit.experimental.categories.Category;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.smpcluster.api.bootloader.Bootloader;
import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeSpec;
import org.smpcluster.api.console.Consoles;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.Vnet;

/**
 * Fault injection on real vnode processes, each fault {@value #REPETITIONS} times: {@code kill -9}
 * and {@code SIGSTOP} of a vnode, an {@link OutOfMemoryError} in one, garbage in its DSP ring. The
 * root is this Pax Exam container; vnode 1 is the victim ({@code restart always}) and vnode 2 its
 * sibling. Throughout, the root pings vnode 2 and streams numbered transport messages to its echo
 * service (its traffic must run on: every ping answered, every message echoed in order), the root
 * appends numbered lines to a {@code vfs:} file (every one kept), and,
 * before each fault, vnode 1 appends lines to a {@code vfs:} file through its console: every line
 * whose write was acknowledged is in the file after the fault. Each repetition asserts its
 * detection and recovery times against the bars; the class prints a table of them.
 * {@link FaultRootIT} kills the root.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@Category(Fault.class)
public class FaultIT {

    static final String CLUSTER = "faultit-" + ProcessHandle.current().pid();
    static final String PHYSMEM = ImageOptions.physmemOf(CLUSTER);
    static final int REPETITIONS = 5;
    static final int VICTIM = 1;
    static final int SIBLING = 2;
    static final long MEMORY = 96L << 20;
    static final long DEADLINE_NANOS = 30_000_000_000L;

    /** The bars, in milliseconds. */
    static final double CRASH_DETECTED = 100;
    static final double JOINED_AGAIN = 1000;
    static final double HANG_DETECTED = 1000;

    /** The root's vfs repository: in the build directory, not the machine's TMPDIR. */
    static final Path REPOSITORY = Path.of("target", CLUSTER + "-vfs").toAbsolutePath();

    /** Every test's figures: Pax Exam runs the class's tests one by one in one container. */
    private static final FaultFigures FIGURES = new FaultFigures();
    private final AtomicLong pingsSent = new AtomicLong();
    private final AtomicLong pingsAnswered = new AtomicLong();
    private final AtomicReference<Throwable> pingFailure = new AtomicReference<>();
    private final AtomicLong echoed = new AtomicLong();
    private final AtomicReference<Throwable> streamFailure = new AtomicReference<>();
    private volatile Thread pinger;
    private volatile Thread streamer;
    private volatile Thread writer;
    private final AtomicLong written = new AtomicLong();
    private final AtomicReference<Throwable> writeFailure = new AtomicReference<>();
    private volatile boolean stopPinging;

    @Inject
    BundleContext context;

    @Inject
    Bootloader kmb;

    @Inject
    Nanokernel nanokernel;

    @Inject
    Consoles consoles;

    @Inject
    Vfs vfs;

    @Inject
    Vnet vnet;

    @Configuration
    public Option[] config() throws IOException {
        List<Option> options = ImageOptions.root(CLUSTER, "512m");
        // nk:inject works only where this is set; the bootloader hands it on to the vnodes it boots.
        options.add(frameworkProperty("smpcluster.fault.inject").value("true"));
        options.add(systemProperty("smpcluster.fault.inject").value("true"));
        Files.createDirectories(REPOSITORY, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        options.add(frameworkProperty("smpcluster.vfs.repository").value(REPOSITORY.toString()));
        return options.toArray(Option[]::new);
    }

    /**
     * Pax Exam runs this after each test (each is a run of its own in the container): whatever a
     * test left, no vnode of the cluster survives it, and the next boots its own.
     */
    @AfterClass
    public static void killLeftovers() {
        System.out.println("FaultIT (vnode faults, " + REPETITIONS + " repetitions each):\n" + FIGURES.table());
        ImageOptions.killVnodes(PHYSMEM);
    }

    /** Stops the pinging, then vnodes 1 and 2, whatever the test did. */
    @After
    public void stopCluster() throws InterruptedException {
        stopPinging = true;
        for (Thread t : new Thread[] {pinger, streamer, writer}) {
            if (t != null) {
                t.join(10_000);
            }
        }
        for (int vnode : new int[] {VICTIM, SIBLING}) {
            try {
                kmb.stop(vnode);
            } catch (IllegalArgumentException | IllegalStateException notRunning) {
                // never booted, or already down: nothing to stop
            }
        }
        assertNothingLeft();
    }

    /**
     * After every fault and restart, and the vnodes stopped: no process of the cluster but the
     * bootloader's standby JVMs, and no framework cache in the bootloader's directory but theirs
     * (each vnode killed left one, which the bootloader removes when its process ends).
     */
    private void assertNothingLeft() throws InterruptedException {
        Path storage = Path.of(System.getProperty("java.io.tmpdir"), "smpcluster-kmb-" + CLUSTER, "storage");
        long end = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<ProcessHandle> left = ProcessHandle.allProcesses()
                    .filter(p -> p.info().arguments().map(a -> List.of(a).contains(PHYSMEM)).orElse(false))
                    .toList();
            List<ProcessHandle> vnodes = left.stream()
                    .filter(p -> !p.info().arguments().map(a -> List.of(a).contains("--standby")).orElse(false))
                    .toList();
            List<String> caches = new ArrayList<>();
            try (var entries = Files.list(storage)) {
                entries.forEach(e -> caches.add(e.getFileName().toString()));
            } catch (IOException none) {
                // no cache at all
            }
            List<String> standbyCaches = left.stream().map(p -> "pid-" + p.pid()).toList();
            if (vnodes.isEmpty() && standbyCaches.containsAll(caches)) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("left after the vnodes stopped: vnode processes "
                        + vnodes.stream().map(ProcessHandle::pid).toList() + ", framework caches " + caches
                        + " (standbys: " + standbyCaches + ")");
            }
            LockSupport.parkNanos(20_000_000);
        }
    }

    @Test
    public void shouldDetectAKilledVnodeAtOnceAndRestartItFromAStandby() throws Exception {
        cluster();
        for (int round = 1; round <= REPETITIONS; round++) {
            awaitStandby();
            List<String> acknowledged = writeThroughVnode("kill-" + round);
            long pid = joinedPid(VICTIM);
            long killed = System.nanoTime();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL
            recovered("kill -9 of a vnode", pid, killed, CRASH_DETECTED);
            assertAcknowledgedWritesKept("kill-" + round, acknowledged);
        }
        assertSiblingTrafficRanOn("kill -9 of a vnode");
    }

    @Test
    public void shouldDetectAStoppedVnodeWithinASecondAndReplaceIt() throws Exception {
        cluster();
        for (int round = 1; round <= REPETITIONS; round++) {
            awaitStandby();
            List<String> acknowledged = writeThroughVnode("stop-" + round);
            long pid = joinedPid(VICTIM);
            long stopped = System.nanoTime();
            signal("STOP", pid);
            recovered("SIGSTOP of a vnode (hang)", pid, stopped, HANG_DETECTED);
            assertAcknowledgedWritesKept("stop-" + round, acknowledged);
        }
        assertSiblingTrafficRanOn("SIGSTOP of a vnode");
    }

    @Test
    public void shouldEndAVnodeThatRunsOutOfHeapAndRestartIt() throws Exception {
        cluster();
        for (int round = 1; round <= REPETITIONS; round++) {
            awaitStandby();
            long pid = joinedPid(VICTIM);
            ProcessHandle victim = ProcessHandle.of(pid).orElseThrow();
            long typed = System.nanoTime();
            screen(VICTIM).type("nk:inject oom\r");
            // The vnode's own death is the fault here: detection runs from the process's end.
            victim.onExit().get(DEADLINE_NANOS, TimeUnit.NANOSECONDS);
            long exited = System.nanoTime();
            // It panics (status 70) when a kernel thread meets the OutOfMemoryError, or the
            // watchdog kills it first when collecting keeps it from beating: either way it ends.
            FIGURES.add("OOM in a vnode", "heap full to exit", (exited - typed) / 1e6, DEADLINE_NANOS / 1e6);
            recovered("OOM in a vnode", pid, exited, CRASH_DETECTED);
        }
        assertSiblingTrafficRanOn("OOM in a vnode");
    }

    @Test
    public void shouldResetAVnodesDspRingThatIsCorruptAndServeItAgain() throws Exception {
        cluster();
        for (int round = 1; round <= REPETITIONS; round++) {
            long pid = joinedPid(VICTIM);
            VnodeScreen screen = screen(VICTIM);
            String answered = "the root answered again after";
            int before = count(screen.text(), answered);
            long injected = System.nanoTime();
            // Vnode 1 garbles its own request ring (a negative head, every slot scribbled), then
            // pings the root over the DSP until it is answered: the root reset the ring.
            screen.type("nk:inject ring\r");
            screen.await("vnode 1's DSP is answered again after its ring was garbled",
                    () -> count(screen.text(), answered) > before);
            long back = System.nanoTime();
            FIGURES.add("corrupt DSP ring", "to served again", (back - injected) / 1e6, DEADLINE_NANOS / 1e6);
            assertEquals("vnode 1 lives on (the ring was reset, not the vnode)", pid, joinedPid(VICTIM));
            awaitPrompt(VICTIM);
            List<String> acknowledged = writeThroughVnode("ring-" + round);
            assertAcknowledgedWritesKept("ring-" + round, acknowledged);
        }
        assertSiblingTrafficRanOn("corrupt DSP ring");
    }

    /**
     * Waits for the vnode whose process was {@code pid} to be noticed gone (its table entry no
     * longer JOINED by that pid), then to join again in a new process, and records both times
     * from {@code faultNanos}.
     */
    private void recovered(String scenario, long pid, long faultNanos, double detectionBarMillis) throws Exception {
        long detected = awaitNanos(scenario + ": vnode 1 noticed gone", () -> {
            VnodeState s = nanokernel.vnodes().get(VICTIM);
            return !(s.state().equals(VnodeState.JOINED) && s.pid() == pid);
        });
        long joined = awaitNanos(scenario + ": vnode 1 joined again", () -> {
            VnodeState s = nanokernel.vnodes().get(VICTIM);
            return s.state().equals(VnodeState.JOINED) && s.pid() != pid;
        });
        double detectMillis = (detected - faultNanos) / 1e6;
        double joinMillis = (joined - detected) / 1e6;
        FIGURES.add(scenario, "detected", detectMillis, detectionBarMillis);
        FIGURES.add(scenario, "joined again", joinMillis, JOINED_AGAIN);
        assertTrue(scenario + ": detected after " + detectMillis + " ms, the bar is " + detectionBarMillis + " ms",
                detectMillis <= detectionBarMillis);
        assertTrue(scenario + ": joined again " + joinMillis + " ms after it was detected, the bar is "
                + JOINED_AGAIN + " ms", joinMillis <= JOINED_AGAIN);
        assertTrue("the old process is gone", ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)
                || awaitGone(pid));
        awaitPrompt(VICTIM);
    }

    /** Boots vnodes 1 and 2, and starts pinging vnode 2 from the root. */
    private void cluster() throws Exception {
        kmb.boot(new VnodeSpec(VICTIM, List.of(1), MEMORY, List.of(), RestartPolicy.ALWAYS, null), l -> { });
        kmb.boot(new VnodeSpec(SIBLING, List.of(1), MEMORY, List.of(), RestartPolicy.NEVER, null), l -> { });
        awaitPrompt(VICTIM);
        awaitPrompt(SIBLING);
        Object net = command("net", "ping");
        Pattern summary = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
        pinger = Thread.ofPlatform().daemon().name("faultit-pinger").start(() -> {
            try {
                while (!stopPinging) {
                    String out;
                    try {
                        out = (String) net.getClass().getMethod("ping", int.class, int.class, String.class)
                                .invoke(net, 50, 1000, "vnode:" + SIBLING);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        out = String.valueOf(e.getCause().getMessage());
                    }
                    Matcher m = summary.matcher(out);
                    if (!m.find()) {
                        throw new AssertionError("net:ping said: " + out);
                    }
                    pingsSent.addAndGet(Long.parseLong(m.group(1)));
                    pingsAnswered.addAndGet(Long.parseLong(m.group(2)));
                }
            } catch (Throwable t) {
                pingFailure.set(t);
            }
        });
        streamer = Thread.ofPlatform().daemon().name("faultit-streamer").start(this::stream);
        writer = Thread.ofPlatform().daemon().name("faultit-writer").start(this::write);
    }

    /**
     * The bar for joining again is with a standby: the restart before took the last one, and
     * the bootloader starts the next once the restarted vnode joined.
     */
    private void awaitStandby() throws InterruptedException {
        await("a standby JVM stands by", () -> kmb.readyStandbys() >= 1);
    }

    /**
     * Transport load: 64-byte messages, each numbered, sent to vnode 2's echo service (the
     * bench's far end, transport port 9) one after the other; each echo must come back, in order,
     * within 5 s.
     */
    private void stream() {
        try {
            byte[] root = vnet.nics().getFirst().address().getAddress();
            root[3] += SIBLING; // vnode v is host v + 1 of the subnet, the root host 1
            java.net.Inet4Address sibling = (java.net.Inet4Address) java.net.InetAddress.getByAddress(root);
            try (Connection c = vnet.transport().connect(sibling, 9, java.time.Duration.ofSeconds(10))) {
                byte[] message = new byte[64];
                byte[] back = new byte[64];
                java.nio.ByteBuffer m = java.nio.ByteBuffer.wrap(message);
                m.put(0, (byte) 'E');
                for (long seq = 0; !stopPinging; seq++) {
                    m.putLong(8, seq);
                    c.send(message.clone());
                    int n = c.receive(back, 0, back.length, java.time.Duration.ofSeconds(5));
                    if (n != 64 || java.nio.ByteBuffer.wrap(back).getLong(8) != seq) {
                        throw new AssertionError("echo " + seq + " from vnode " + SIBLING + ": " + n + " bytes"
                                + (n == 64 ? ", number " + java.nio.ByteBuffer.wrap(back).getLong(8) : ""));
                    }
                    echoed.incrementAndGet();
                }
            }
        } catch (Throwable t) {
            streamFailure.set(t);
        }
    }

    /**
     * vfs load on the server: the root appends numbered lines to {@code /tmp/fault-root-load},
     * one write each, while vnode 1 (a client of the same page cache) fails and comes back.
     */
    private void write() {
        try {
            Path file = vfs.path("/tmp/fault-root-load");
            Files.deleteIfExists(file);
            for (long n = 0; !stopPinging; n++) {
                Files.writeString(file, n + "\n", java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
                written.incrementAndGet();
                LockSupport.parkNanos(1_000_000); // a load, not a flood: about a thousand writes a second
            }
        } catch (Throwable t) {
            writeFailure.set(t);
        }
    }

    /**
     * Stops the pinging and the stream, and checks every ping to vnode 2 was answered and every
     * message echoed, in order, while vnode 1 failed.
     */
    private void assertSiblingTrafficRanOn(String scenario) throws InterruptedException {
        stopPinging = true;
        pinger.join(10_000);
        streamer.join(10_000);
        writer.join(10_000);
        assertFalse("the pinger ended", pinger.isAlive());
        assertFalse("the writer ended", writer.isAlive());
        if (writeFailure.get() != null) {
            throw new AssertionError("the root's vfs writes failed", writeFailure.get());
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(vfs.path("/tmp/fault-root-load"));
        } catch (IOException e) {
            throw new AssertionError("cannot read back the root's vfs writes", e);
        }
        assertEquals("every write the root made through vfs is there, in order",
                java.util.stream.LongStream.range(0, written.get()).mapToObj(Long::toString).toList(), lines);
        assertFalse("the streamer ended", streamer.isAlive());
        if (pingFailure.get() != null) {
            throw new AssertionError("pinging vnode " + SIBLING + " failed", pingFailure.get());
        }
        if (streamFailure.get() != null) {
            throw new AssertionError("the transport stream to vnode " + SIBLING + " failed", streamFailure.get());
        }
        System.out.println(scenario + ": pings from the root to vnode " + SIBLING + " meanwhile: "
                + pingsAnswered.get() + " of " + pingsSent.get() + " answered; " + echoed.get()
                + " transport messages echoed, in order; " + written.get() + " vfs writes by the root kept");
        assertTrue("the root streamed to vnode " + SIBLING, echoed.get() > 0);
        assertTrue("the root pinged vnode " + SIBLING, pingsSent.get() > 0);
        assertEquals("every ping to vnode " + SIBLING + " was answered while vnode " + VICTIM + " failed",
                pingsSent.get(), pingsAnswered.get());
        assertEquals("vnode " + SIBLING + " was not touched", VnodeState.JOINED,
                nanokernel.vnodes().get(SIBLING).state());
    }

    /**
     * Vnode 1 appends five lines to {@code /tmp/fault-NAME} through its console, one command
     * each; returns the lines whose write it acknowledged ("wrote ...").
     */
    private List<String> writeThroughVnode(String name) throws Exception {
        VnodeScreen screen = screen(VICTIM);
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String line = name + "-line-" + i;
            int before = count(screen.text(), "wrote /tmp/fault-" + name);
            screen.type("vfs:write -a /tmp/fault-" + name + " " + line + "\r");
            screen.await("vnode 1 acknowledged " + line, () -> count(screen.text(), "wrote /tmp/fault-" + name) > before);
            lines.add(line);
        }
        return lines;
    }

    private void assertAcknowledgedWritesKept(String name, List<String> acknowledged) throws IOException {
        List<String> kept = Files.readAllLines(vfs.path("/tmp/fault-" + name));
        assertEquals("every acknowledged write to /tmp/fault-" + name + " is there", acknowledged, kept);
    }

    private long joinedPid(int vnode) throws InterruptedException {
        await("vnode " + vnode + " joined", () -> nanokernel.vnodes().get(vnode).state().equals(VnodeState.JOINED));
        return nanokernel.vnodes().get(vnode).pid();
    }

    /**
     * Waits until vnode {@code vnode}'s shell prompts and its filesystem is mounted: a vnode's
     * vfs client connects after its prompt shows, so {@code vfs:status} is typed again every
     * 2 s until it says so (keys typed before the shell reads are lost).
     */
    private void awaitPrompt(int vnode) throws InterruptedException {
        VnodeScreen screen = screen(vnode);
        screen.await("vnode " + vnode + "'s console shows its prompt", () -> screen.text().endsWith("g! "));
        long end = System.nanoTime() + DEADLINE_NANOS;
        while (true) {
            int before = count(screen.text(), "tmp on /tmp");
            screen.type("vfs:status\r");
            long next = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < next) {
                if (count(screen.text(), "tmp on /tmp") > before && screen.text().endsWith("g! ")) {
                    return;
                }
                LockSupport.parkNanos(20_000_000);
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("vnode " + vnode + "'s filesystem is not up within "
                        + DEADLINE_NANOS / 1_000_000_000 + " s; its screen:\n" + screen.text());
            }
        }
    }

    private VnodeScreen screen(int vnode) {
        return new VnodeScreen(consoles, vnode);
    }

    private Object command(String scope, String function) throws Exception {
        ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                "(&(osgi.command.scope=" + scope + ")(osgi.command.function=" + function + "))");
        assertNotEquals("a " + scope + ":" + function + " command", null, refs);
        return context.getService(refs[0]);
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertTrue("kill -" + signal + " " + pid, kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0);
    }

    private static boolean awaitGone(long pid) {
        return ProcessHandle.of(pid).map(p -> {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
                return true;
            } catch (Exception e) {
                return false;
            }
        }).orElse(true);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        awaitNanos(what, condition);
    }

    /** Polls {@code condition} every 200 µs until it holds (returning when), failing at the deadline. */
    private static long awaitNanos(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + ": not within " + DEADLINE_NANOS / 1_000_000_000 + " s");
            }
            LockSupport.parkNanos(200_000);
            if (Thread.interrupted()) {
                throw new InterruptedException(what);
            }
        }
        return System.nanoTime();
    }
}
