package org.smpcluster.bootloader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.osgi.framework.Bundle;
import org.smpcluster.api.bootloader.Bootloader;
import org.smpcluster.api.bootloader.ClusterConfig;
import org.smpcluster.api.bootloader.RestartPolicy;
import org.smpcluster.api.bootloader.VnodeInfo;
import org.smpcluster.api.bootloader.VnodeSpec;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.DeviceManager;
import org.smpcluster.api.nanokernel.MemoryRegion;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.PhysicalMemory;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.bootloader.config.ConfigParser;
import org.smpcluster.bootloader.stub.ImageDescriptor;
import org.smpcluster.bootloader.stub.VnodeBoot;

/**
 * The kernel-mode bootloader on the root. Plain Java around the nanokernel's services, so that
 * {@link KmbComponent} only wires it.
 *
 * <p>Booting follows the paper's seven steps; each is timed and reported. The vnode process runs
 * {@link VnodeBoot} from a directory holding only the stub's classes; everything else it boots
 * comes from the image in its memory region.
 */
public final class Kmb implements Bootloader, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Kmb.class.getName());
    private static final String STUB_PACKAGE = "org/smpcluster/bootloader/stub";

    /** Settings the component reads from framework properties. */
    public record Settings(Path image, Duration joinTimeout, Duration hangTimeout, Duration stopTimeout,
            Path physmemDir, String java, List<String> jvmOptions) {
    }

    private final Nanokernel nanokernel;
    private final PhysicalMemory memory;
    private final DeviceManager devices;
    private final Settings settings;
    private final Path stub;
    private final Object changed = new Object();
    private final Map<Integer, Managed> vnodes = new TreeMap<>();
    /**
     * Standby JVMs by what they can become: the memory size (heap limit) they were started for
     * and the image they preloaded. Guarded by {@code vnodes}.
     */
    private final Map<String, Spare> spares = new TreeMap<>();
    private int spareCount;
    private final ExecutorService restarts = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("kmb-restart").unstarted(r));
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("kmb-watchdog").unstarted(r));
    /** Kernel images read so far, by path: their bytes and SHA-256. */
    private final Map<Path, Image> images = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closing;

    /** A kernel image in memory, ready to copy into regions. */
    private record Image(byte[] bytes, String digest) {
    }

    /** One vnode the bootloader booted. Guarded by {@code vnodes}. */
    private static final class Managed {
        VnodeSpec spec;
        Process process;
        long startedNanos;
        int restarts;
        String state = VnodeState.BOOTING;
        boolean stopping;
        long regionOffset;
        long regionSize;
        long[] lastBoot;
        String digest = "-";
        /** Where the current process writes its output. */
        Path log;
        /** Whether it ever joined: a vnode that never came up is not listed once its boot failed. */
        boolean everJoined;
        /** The watchdog's view of a stale heartbeat: its GC threads' CPU ticks when it went stale, or -1. */
        long staleGcTicks = -1;
        /** When the watchdog first saw the heartbeat stale (nanos), for the GC grace. */
        long staleSinceNanos;
        /** When {@code staleGcTicks} was read (nanos). */
        long staleGcNanos;
        /** Whether the watchdog said it waits for this stale vnode's collector. */
        boolean waitedForGc;
    }

    /** A JVM with the image's bundles installed, waiting to become a vnode of a given memory size. */
    private record Spare(Process process, Path log) {
    }

    /** The networks every vnode attaches to ({@code name=subnet,...}), null for the vnodes' default. */
    private volatile String networks;
    private volatile java.util.function.BiConsumer<String, String> attachNetwork = (name, subnet) -> { };

    /**
     * The networks vnodes are told to attach to, and how the root attaches to a configuration's
     * networks itself.
     */
    public void networks(String initial, java.util.function.BiConsumer<String, String> attach) {
        this.networks = initial == null || initial.isBlank() ? null : initial;
        this.attachNetwork = attach;
    }

    public Kmb(Nanokernel nanokernel, PhysicalMemory memory, DeviceManager devices, Settings settings,
            Bundle self) {
        this.nanokernel = nanokernel;
        this.memory = memory;
        this.devices = devices;
        this.settings = settings;
        this.stub = extractStub(self, nanokernel.clusterName());
        long period = watchdogPeriodMillis(settings.hangTimeout());
        watchdog.scheduleAtFixedRate(this::checkHeartbeats, period, period, TimeUnit.MILLISECONDS);
    }

    /** The vnode table changed (a join, a leave, a death): wake whoever waits on it. */
    public void vnodeTableChanged() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    @Override
    public VnodeInfo boot(VnodeSpec spec, Consumer<String> progress) {
        return boot(spec, progress, true);
    }

    /** Boots a vnode; {@code standby} false starts a fresh JVM even if a standby is ready (benchmarks). */
    public VnodeInfo boot(VnodeSpec spec, Consumer<String> progress, boolean standby) {
        requireRoot();
        if (spec.id() <= Nanokernel.ROOT || spec.id() >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode id " + spec.id() + " is outside 1.." + (Nanokernel.MAX_VNODES - 1)
                    + " (0 is the root)");
        }
        List<Integer> host = Cpus.online();
        for (int cpu : spec.cpus()) {
            if (!host.contains(cpu)) {
                throw new IllegalArgumentException("CPU " + cpu + " is not online here (online: " + host + ")");
            }
        }
        if (spec.cpus().isEmpty()) {
            throw new IllegalArgumentException("vnode " + spec.id() + " needs at least one CPU");
        }
        if (spec.memory() < ConfigParser.MIN_VNODE_MEMORY) {
            throw new IllegalArgumentException("vnode " + spec.id() + " needs at least "
                    + (ConfigParser.MIN_VNODE_MEMORY >> 20) + "m of memory, asked " + spec.memory());
        }
        Managed m;
        synchronized (vnodes) {
            m = vnodes.get(spec.id());
            if (m != null && m.process != null && m.process.isAlive()) {
                throw new IllegalStateException("vnode " + spec.id() + " is running (pid " + m.process.pid()
                        + "); stop it first, or restart it");
            }
            if (m == null) {
                m = new Managed();
                vnodes.put(spec.id(), m);
            }
            m.spec = spec;
            m.stopping = false;
            m.state = VnodeState.BOOTING;
        }
        try {
            return start(m, progress, standby);
        } catch (RuntimeException e) {
            forgetIfNeverUp(m);
            throw e;
        }
    }

    /**
     * A boot that failed: a vnode that never came up is no vnode (no FAILED row left behind by
     * a kmb:boot with a typo); one that ran before stays listed, FAILED, so that kmb:restart
     * can bring it back.
     */
    private void forgetIfNeverUp(Managed m) {
        synchronized (vnodes) {
            // Whatever process this boot started was destroyed on the way out of start().
            if (!m.everJoined && vnodes.get(m.spec.id()) == m) {
                vnodes.remove(m.spec.id());
            }
        }
    }

    private VnodeInfo start(Managed m, Consumer<String> progress, boolean useStandby) {
        VnodeSpec spec = m.spec;
        long begin = System.nanoTime();
        Steps steps = new Steps(spec.id(), progress);
        MemoryRegion region = null;
        MemoryRegion.Mapping mapping = null;
        Process process;
        boolean fromStandby;
        try {
            Image image = image(spec.image() == null ? null : Path.of(spec.image()));
            MemoryRegion r = steps.run(1, "ask the nanokernel for a contiguous region of " + mib(spec.memory()),
                    () -> memory.allocate(spec.id(), spec.memory()));
            region = r;
            MemoryRegion.Mapping map = steps.run(2, "map the region at 0x" + Long.toHexString(r.offset()), r::map);
            mapping = map;
            String params = params(spec, r);
            steps.run(3, "copy the kernel image (" + mib(image.bytes().length) + ") and the boot parameters",
                    () -> {
                        ImageDescriptor.write(map.segment(), params, image.bytes(), image.digest());
                        return null;
                    });
            steps.run(4, "mark the region as an image", () -> {
                ImageDescriptor.markImage(map.segment());
                return null;
            });
            steps.run(5, "give it its devices " + (spec.devices().isEmpty() ? "(none)" : spec.devices()), () -> {
                for (String address : spec.devices()) {
                    devices.assign(address, spec.id());
                }
                return null;
            });
            Spare spare;
            synchronized (vnodes) {
                spare = useStandby ? spares.remove(spareKey(spec.memory(), image.digest())) : null;
            }
            Path log = stub.resolve("vnode-" + spec.id() + ".log");
            Process woken = null;
            if (spare != null && spare.process().isAlive()) {
                try {
                    woken = steps.run(6, "pin a standby JVM (pid " + spare.process().pid() + ", -Xmx" + heapMib(spec)
                            + "m) to CPUs " + spec.cpus() + " and wake it", () -> takeOver(spare.process(), spec, r));
                    log = spare.log();
                } catch (RuntimeException e) {
                    // The standby ended meanwhile (its source region went away, say): boot afresh.
                    spare.process().destroyForcibly();
                    LOG.log(Level.INFO, "vnode " + spec.id() + ": the standby JVM could not take over ("
                            + e.getMessage() + "); starting a fresh one");
                }
            }
            fromStandby = woken != null;
            if (woken == null) {
                Path fresh = log;
                woken = steps.run(6, "start a JVM pinned to CPUs " + spec.cpus() + " with -Xmx" + heapMib(spec) + "m",
                        () -> launch(spec, r, fresh, false));
            }
            process = woken;
            synchronized (vnodes) {
                m.log = log;
                m.process = process;
                m.startedNanos = System.nanoTime();
                m.regionOffset = r.offset();
                m.regionSize = r.size();
                m.digest = image.digest();
            }
        } catch (RuntimeException e) {
            if (mapping != null) {
                mapping.close();
            }
            if (region != null) {
                region.free();
            }
            synchronized (vnodes) {
                m.state = VnodeState.FAILED;
            }
            throw e;
        }
        MemoryRegion.Mapping mapped = mapping;
        steps.run(7, "unmap the region", () -> {
            mapped.close();
            return null;
        });
        Process first = process;
        first.onExit().thenRun(() -> exited(m, first));
        Process started = first;
        try {
            awaitJoin(spec.id(), first);
        } catch (RuntimeException e) {
            first.destroyForcibly();
            if (!fromStandby || first.isAlive() || m.stopping) {
                throw e;
            }
            // A standby is only a head start: if it died before it joined (killed from
            // outside, say), the image is still in the region, so boot it the ordinary way.
            LOG.log(Level.WARNING, "vnode " + spec.id() + ": the standby JVM (pid " + first.pid()
                    + ") ended before it joined (exit " + first.exitValue() + "); starting a fresh JVM");
            progress.accept("vnode " + spec.id() + ": the standby JVM ended before it joined (exit "
                    + first.exitValue() + "); starting a fresh JVM");
            Path fresh = stub.resolve("vnode-" + spec.id() + ".log");
            MemoryRegion r = memory.region(spec.id());
            if (r == null) {
                throw e;
            }
            Process retried = launch(spec, r, fresh, false);
            started = retried;
            synchronized (vnodes) {
                m.log = fresh;
                m.process = retried;
                m.state = VnodeState.BOOTING;
                m.startedNanos = System.nanoTime();
            }
            retried.onExit().thenRun(() -> exited(m, retried));
            try {
                awaitJoin(spec.id(), retried);
            } catch (RuntimeException again) {
                retried.destroyForcibly();
                again.addSuppressed(e);
                throw again;
            }
        }
        steps.nanos[0] = System.nanoTime() - begin;
        synchronized (vnodes) {
            if (m.process == started) {
                m.state = VnodeState.JOINED;
                m.everJoined = true;
                m.staleGcTicks = -1;
                m.lastBoot = steps.nanos.clone();
            }
        }
        progress.accept(String.format("vnode %d: joined, pid %d, %.1f ms from step 1", spec.id(), started.pid(),
                (System.nanoTime() - begin) / 1e6));
        prepareSpare(spec, m.digest);
        return info(spec.id());
    }

    private String params(VnodeSpec spec, MemoryRegion region) {
        return String.join("\n",
                "smpcluster.cluster=" + nanokernel.clusterName(),
                "smpcluster.vnode=" + spec.id(),
                "smpcluster.physmem.dir=" + settings.physmemDir(),
                "smpcluster.cpus=" + spec.cpus().stream().map(String::valueOf).collect(Collectors.joining(",")),
                "smpcluster.boot.cpu=" + spec.cpus().get(0),
                "smpcluster.memory.offset=" + region.offset(),
                "smpcluster.memory.size=" + region.size(),
                "smpcluster.devices=" + String.join(",", spec.devices()),
                "smpcluster.boot.verbose=true",
                networks == null ? "" : "smpcluster.networks=" + networks,
                faultInjection(),
                "");
    }

    /** The root's fault injection setting, passed on to the vnodes it boots (the fault-injection suite). */
    static final String FAULT_INJECT = "smpcluster.fault.inject";

    private static String faultInjection() {
        String value = System.getProperty(FAULT_INJECT);
        if (value == null || value.isBlank()) {
            return "";
        }
        // The parameters are read as a properties file: escape what it would take apart.
        StringBuilder escaped = new StringBuilder();
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\\' -> escaped.append("\\\\");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                default -> escaped.append(c);
            }
        }
        return FAULT_INJECT + "=" + escaped;
    }

    /** Pins a standby to the vnode's CPUs and tells it which region it becomes; returns it. */
    private static Process takeOver(Process standby, VnodeSpec spec, MemoryRegion region) {
        awaitExecChain(standby);
        Cpus.pinProcess(standby.pid(), spec.cpus());
        try {
            var in = standby.getOutputStream();
            in.write(("go " + region.offset() + " " + region.size() + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            in.flush();
            return standby;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot wake the standby JVM (pid " + standby.pid() + ")", e);
        }
    }

    /**
     * Waits until a process started as {@code setsid taskset -c CPUS java ...} runs the JVM: a
     * standby taken over at once (a boot right after a join) may still be taskset, which would
     * set its own CPUs after the takeover pinned it to the vnode's.
     */
    private static void awaitExecChain(Process process) {
        Path comm = Path.of("/proc", Long.toString(process.pid()), "comm");
        long deadline = System.nanoTime() + 5_000_000_000L;
        try {
            while (process.isAlive() && System.nanoTime() < deadline) {
                String name = Files.readString(comm).strip();
                if (!name.equals("setsid") && !name.equals("taskset")) {
                    return;
                }
                Thread.sleep(1); // polling the exec chain, bounded by the deadline
            }
        } catch (IOException gone) {
            // it ended: the takeover's write fails and the boot starts a fresh JVM
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * After a vnode joined: make sure a standby JVM of its memory size stands by (its bundles
     * installed from the image in this vnode's region), so that the next boot or restart of a
     * vnode of that size only has to pin it and start its framework.
     */
    private void prepareSpare(VnodeSpec spec, String digest) {
        String key = spareKey(spec.memory(), digest);
        restarts.execute(() -> {
            Spare spare;
            synchronized (vnodes) {
                Spare existing = spares.get(key);
                if (closing || (existing != null && existing.process().isAlive())) {
                    return;
                }
                MemoryRegion source = memory.region(spec.id());
                if (source == null) {
                    return;
                }
                Path log = stub.resolve("standby-" + (++spareCount) + ".log");
                spare = new Spare(launch(spec, source, log, true), log);
                spares.put(key, spare);
            }
            spare.process().onExit().thenRun(() -> {
                synchronized (vnodes) {
                    spares.remove(key, spare);
                }
                removeStorage(spare.process()); // a standby that never took over (or did and ended)
            });
        });
    }

    private static String spareKey(long memory, String digest) {
        return memory + "/" + digest;
    }

    /** How many standby JVMs stand by, their bundles installed. */
    public int readyStandbys() {
        synchronized (vnodes) {
            return (int) spares.values().stream().filter(s -> s.process().isAlive())
                    .filter(s -> tail(s.log(), 50).contains("standing by")).count();
        }
    }

    private Process launch(VnodeSpec spec, MemoryRegion region, Path log, boolean standby) {
        String cpus = spec.cpus().stream().map(String::valueOf).collect(Collectors.joining(","));
        // setsid: a session of its own, without the root's controlling terminal, so that a ^C
        // (or a hang-up) at the root's terminal reaches the root only. The vnode still ends with
        // its root: its boot stub watches the root's process.
        List<String> command = new ArrayList<>(List.of("setsid", "taskset", "-c", cpus, settings.java(),
                "-Xmx" + heapMib(spec) + "m",
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow"));
        command.addAll(settings.jvmOptions());
        command.addAll(List.of("-cp", stub.toString(), VnodeBoot.class.getName(),
                Path.of(nanokernel.physmemPath()).toString(),
                Long.toString(region.offset()), Long.toString(region.size())));
        if (standby) {
            command.add("--standby");
        }
        try {
            privateFile(log);
            return new ProcessBuilder(command)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start vnode " + spec.id() + ": " + command, e);
        }
    }

    private static long heapMib(VnodeSpec spec) {
        return Math.max(16, spec.memory() * 3 / 4 >> 20);
    }

    /** Waits until vnode {@code id} has joined with {@code process}, or the process ends, or time runs out. */
    private void awaitJoin(int id, Process process) {
        long deadline = System.nanoTime() + settings.joinTimeout().toNanos();
        while (true) {
            VnodeState s = nanokernel.vnodes().get(id);
            if (s.state().equals(VnodeState.JOINED) && s.pid() == process.pid()) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("vnode " + id + " exited with status " + process.exitValue()
                        + " before it joined; its output:\n" + log(id));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("vnode " + id + " did not join within "
                        + settings.joinTimeout().toMillis() + " ms; its output:\n" + log(id));
            }
            awaitChange(left, "vnode " + id + " to join");
        }
    }

    /**
     * Waits for the vnode table to change (VECTOR_VNODE wakes it), at most {@code leftNanos}
     * and at most 20 ms: that bound only covers a process that dies without a word.
     */
    private void awaitChange(long leftNanos, String what) {
        synchronized (changed) {
            try {
                changed.wait(Math.max(1, Math.min(leftNanos / 1_000_000, 20)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }

    /** A vnode process ended: stopped on purpose, or failed (then perhaps restarted). */
    private void exited(Managed m, Process process) {
        removeStorage(process);
        int id;
        boolean restart;
        synchronized (vnodes) {
            if (m.process != process) {
                return; // an older incarnation
            }
            id = m.spec.id();
            // Only a vnode that ran is restarted: one that never joined would fail the same way again.
            boolean ran = m.state.equals(VnodeState.JOINED) || m.state.equals("HUNG");
            if (m.stopping || closing) {
                m.state = VnodeState.STOPPED;
                restart = false;
            } else {
                m.state = VnodeState.FAILED;
                restart = ran && m.spec.restart().allows(m.restarts);
            }
        }
        vnodeTableChanged();
        if (!restart) {
            LOG.log(Level.INFO, "vnode " + id + " ended (" + m.state + ", exit " + process.exitValue() + ")");
            return;
        }
        LOG.log(Level.WARNING, "vnode " + id + " failed (pid " + process.pid() + ", exit " + process.exitValue()
                + "); restarting it (" + m.spec.restart() + ")");
        restarts.execute(() -> {
            try {
                awaitReclaimed(id);
                synchronized (vnodes) {
                    if (m.stopping || closing) {
                        return;
                    }
                    m.restarts++;
                    m.state = VnodeState.BOOTING;
                    m.spec = withDevices(m.spec, restartDevices(devices, id));
                }
                start(m, line -> LOG.log(Level.INFO, line), true);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "vnode " + id + " could not be restarted", e);
            }
        });
    }

    /** Waits until the nanokernel has processed the death (memory, bridges, devices reclaimed). */
    private void awaitReclaimed(int id) {
        long deadline = System.nanoTime() + settings.joinTimeout().toNanos();
        while (nanokernel.vnodes().get(id).state().equals(VnodeState.JOINED)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("the nanokernel did not reclaim vnode " + id + " in time");
            }
            awaitChange(left, "the nanokernel to reclaim vnode " + id);
        }
    }

    /** How often the watchdog looks: a tenth of a second, or a quarter of a shorter timeout. */
    static long watchdogPeriodMillis(Duration hangTimeout) {
        return Math.max(10, Math.min(100, hangTimeout.toMillis() / 4));
    }

    /**
     * The longest a vnode whose heartbeat is stale is let live while its JVM's collector works
     * (a long GC pause is not a hang). Past it, a vnode that only collects is as good as hung.
     */
    static final long GC_GRACE_NANOS = 5_000_000_000L;

    /**
     * The watchdog: a joined vnode whose heartbeat is older than the hang timeout is hung,
     * unless its JVM is collecting garbage: then its GC threads (or, with the serial collector,
     * the VM thread) burn CPU while every Java thread waits at the safepoint. So when a vnode
     * goes stale the watchdog notes its GC threads' CPU time (/proc/PID/task/N/stat), and at
     * the timeout kills it only if they used none since (a stopped or deadlocked JVM uses none)
     * or the grace is over.
     */
    private void checkHeartbeats() {
        List<VnodeState> table;
        try {
            table = nanokernel.vnodes();
        } catch (RuntimeException e) {
            return; // the nanokernel is going away
        }
        long timeout = settings.hangTimeout().toNanos();
        synchronized (vnodes) {
            for (Map.Entry<Integer, Managed> e : vnodes.entrySet()) {
                Managed m = e.getValue();
                VnodeState s = table.get(e.getKey());
                if (m.process == null || !m.process.isAlive() || m.stopping || !s.state().equals(VnodeState.JOINED)
                        || s.pid() != m.process.pid()) {
                    continue;
                }
                long age = s.heartbeatAgeNanos();
                if (age <= timeout / 2) {
                    m.staleGcTicks = -1;
                    continue;
                }
                long now = System.nanoTime();
                if (m.staleGcTicks < 0) {
                    // Half the timeout without a beat: take the baseline the verdict compares
                    // with. Never a verdict in the same turn: without a baseline (the watchdog
                    // itself ran late) there is no telling a collection from a hang.
                    m.staleGcTicks = GcTicks.of(m.process.pid());
                    m.staleGcNanos = now;
                    m.staleSinceNanos = now;
                    m.waitedForGc = false;
                    continue;
                }
                if (age <= timeout) {
                    continue;
                }
                // The question is asked of windows of half the timeout: the ticks are 10 ms
                // (USER_HZ), and a collector under pressure works in bursts.
                long ticks = GcTicks.of(m.process.pid());
                boolean stopped = GcTicks.stopped(m.process.pid());
                boolean collecting = ticks > m.staleGcTicks && !stopped;
                boolean windowOver = now - m.staleGcNanos >= timeout / 2;
                if (!collecting && !windowOver && !stopped) {
                    continue; // this window may still see the collector
                }
                if (collecting && now - m.staleSinceNanos < GC_GRACE_NANOS) {
                    if (!m.waitedForGc) {
                        m.waitedForGc = true;
                        LOG.log(Level.INFO, "vnode " + e.getKey() + ": no heartbeat for " + age / 1_000_000
                                + " ms, but its collector is running (" + (ticks - m.staleGcTicks)
                                + " ticks); waiting for it");
                    }
                    if (windowOver) {
                        m.staleGcTicks = ticks; // the next window asks again
                        m.staleGcNanos = now;
                    }
                    continue;
                }
                LOG.log(Level.WARNING, "vnode " + e.getKey() + " is hung: no heartbeat for " + age / 1_000_000
                        + " ms" + (collecting ? " (its collector ran all that time)" : "") + "; killing pid "
                        + m.process.pid());
                m.state = "HUNG";
                m.staleGcTicks = -1;
                m.process.destroyForcibly(); // its exit marks it failed and restarts it
            }
        }
    }

    @Override
    public List<VnodeInfo> boot(ClusterConfig config, Consumer<String> progress) {
        return boot(new ConfigParser.Checked(config, "the configuration", 0, 0, Map.of(), Map.of(), Map.of()), progress);
    }

    /** Boots a checked configuration; what keeps it from booting here is reported with its lines first. */
    public List<VnodeInfo> boot(ConfigParser.Checked checked, Consumer<String> progress) {
        requireRoot();
        List<String> problems = rootProblems(checked);
        if (!problems.isEmpty()) {
            throw new org.smpcluster.api.bootloader.ConfigException(problems);
        }
        ClusterConfig config = checked.config();
        for (ClusterConfig.DeviceSpec d : config.devices()) {
            if (devices.devices().stream().noneMatch(existing -> existing.address().equals(d.address()))) {
                devices.add(d.address(), d.deviceClass(), d.name(), d.backing());
            }
        }
        if (!config.networks().isEmpty()) {
            networks = config.networks().stream().map(n -> n.name() + "=" + n.subnet())
                    .collect(Collectors.joining(","));
            for (ClusterConfig.NetworkSpec n : config.networks()) {
                attachNetwork.accept(n.name(), n.subnet());
                progress.accept("network " + n.name() + " " + n.subnet() + ": the root attached");
            }
        }
        List<VnodeInfo> booted = new ArrayList<>();
        for (VnodeSpec spec : config.vnodes()) {
            if (spec.id() == Nanokernel.ROOT) {
                Cpus.pinProcess(ProcessHandle.current().pid(), spec.cpus());
                for (String address : spec.devices()) {
                    devices.assign(address, Nanokernel.ROOT);
                }
                progress.accept("vnode 0: the root, pinned to CPUs " + spec.cpus());
                continue;
            }
            booted.add(boot(spec, progress));
        }
        return booted;
    }

    @Override
    public void stop(int id) {
        requireVnodeId(id, "Ctrl-D at its prompt stops it, and the cluster with it");
        Managed m;
        synchronized (vnodes) {
            m = vnodes.get(id);
            if (m == null || m.process == null) {
                throw new IllegalArgumentException("vnode " + id + " was not booted by this bootloader; it booted "
                        + bootedIds());
            }
            m.stopping = true;
        }
        terminate(m.process);
    }

    private void terminate(Process process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy(); // SIGTERM: the vnode leaves the cluster in its shutdown hook
        try {
            if (!process.waitFor(settings.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(settings.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    @Override
    public VnodeInfo restart(int id, Consumer<String> progress) {
        requireVnodeId(id, "restart the cluster to restart it");
        Managed m;
        synchronized (vnodes) {
            m = vnodes.get(id);
            if (m == null) {
                throw new IllegalArgumentException("vnode " + id + " was not booted by this bootloader; it booted "
                        + bootedIds());
            }
        }
        if (m.process != null && m.process.isAlive()) {
            stop(id);
        }
        awaitReclaimed(id);
        VnodeSpec spec;
        synchronized (vnodes) {
            spec = withDevices(m.spec, restartDevices(devices, id));
        }
        return boot(spec, progress);
    }

    /**
     * The devices a restart of vnode {@code id} boots with: the devices it owns now. Those are
     * the ones the nanokernel took back at its death or leave and nobody was given since
     * ({@link DeviceManager#reclaimed}), and any the table still gives it (a boot that failed
     * after step 5). A device moved away from it while it ran stays away; one moved to it
     * comes back with it.
     */
    static List<String> restartDevices(DeviceManager devices, int id) {
        java.util.TreeSet<String> result = new java.util.TreeSet<>();
        List<DeviceInfo> table = devices.devices();
        for (DeviceInfo d : table) {
            if (d.owner() == id) {
                result.add(d.address());
            }
        }
        result.addAll(devices.reclaimed(id));
        return List.copyOf(result);
    }

    private static VnodeSpec withDevices(VnodeSpec spec, List<String> devices) {
        return new VnodeSpec(spec.id(), spec.cpus(), spec.memory(), devices, spec.restart(), spec.image());
    }

    @Override
    public List<VnodeInfo> vnodes() {
        List<Integer> ids;
        synchronized (vnodes) {
            ids = List.copyOf(vnodes.keySet());
        }
        return ids.stream().map(this::info).toList();
    }

    private VnodeInfo info(int id) {
        synchronized (vnodes) {
            Managed m = vnodes.get(id);
            Process p = m.process;
            boolean alive = p != null && p.isAlive();
            return new VnodeInfo(id, m.state, m.spec.cpus(), m.regionOffset, m.regionSize, m.spec.devices(),
                    p == null ? 0 : p.pid(), alive ? (System.nanoTime() - m.startedNanos) / 1_000_000 : 0,
                    m.digest, m.restarts);
        }
    }

    @Override
    public ClusterConfig check(Path file) {
        return checked(file).config();
    }

    /**
     * Reads and checks a configuration file for this machine (its CPUs and memory), keeping
     * each statement's line for {@link #rootProblems}.
     *
     * @throws org.smpcluster.api.bootloader.ConfigException for what is wrong in it, as FILE:LINE
     * @throws IllegalArgumentException for a file that cannot be read as one
     */
    public ConfigParser.Checked checked(Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a directory; give a cluster configuration file, e.g. "
                    + "run/examples/demo.cluster");
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("there is no file " + file + "; give a cluster configuration file, e.g. "
                    + "run/examples/demo.cluster");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is not a regular file; give a cluster configuration file");
        }
        byte[] bytes;
        // Bounded: a file that is not a configuration (a disk image, say) is not read whole.
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) ConfigParser.MAX_FILE + 1);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the cluster configuration " + file + ": " + e.getMessage(), e);
        }
        return ConfigParser.parse(file.toString(), bytes, new java.util.TreeSet<>(Cpus.online()), hostMemory());
    }

    /**
     * What keeps a checked configuration from booting on this root, as FILE:LINE problems:
     * the checks the boot itself makes (the cluster's name and physical memory, devices already
     * in the table, devices another vnode owns now, vnodes that run).
     */
    public List<String> rootProblems(ConfigParser.Checked c) {
        List<String> problems = new ArrayList<>();
        ClusterConfig config = c.config();
        if (!config.name().equals(nanokernel.clusterName())) {
            problems.add(c.at(c.clusterLine(), "the configuration names cluster '" + config.name()
                    + "' but this root runs cluster '" + nanokernel.clusterName() + "'; start the root with "
                    + "--config " + c.file() + " (or --cluster " + config.name() + ")"));
        }
        if (config.physmem() > nanokernel.physmemSize()) {
            problems.add(c.at(c.physmemLine(), "physmem " + mib(config.physmem()) + " is more than this root's "
                    + mib(nanokernel.physmemSize()) + "; start the root with --config " + c.file()
                    + " (or --physmem " + (config.physmem() >> 20) + "m)"));
        }
        List<DeviceInfo> table = devices.devices();
        int free = ConfigParser.MAX_DEVICES - table.size();
        for (ClusterConfig.DeviceSpec d : config.devices()) {
            int line = c.deviceLines().getOrDefault(d.address(), 0);
            DeviceInfo existing = table.stream().filter(e -> e.address().equals(d.address())).findFirst().orElse(null);
            if (existing == null) {
                if (free-- <= 0) {
                    problems.add(c.at(line, "the device table is full (" + ConfigParser.MAX_DEVICES + " devices, "
                            + table.size() + " in it); declare fewer devices"));
                }
            } else if (!existing.deviceClass().equals(d.deviceClass()) || !existing.name().equals(d.name())
                    || !existing.backing().equals(d.backing())) {
                problems.add(c.at(line, "device " + d.address() + " is already in this root's table as '"
                        + existing.deviceClass() + " " + existing.name() + " " + existing.backing()
                        + "'; declare it so, or use another address"));
            }
        }
        for (VnodeSpec v : config.vnodes()) {
            int line = c.vnodeLines().getOrDefault(v.id(), 0);
            for (String address : v.devices()) {
                table.stream().filter(e -> e.address().equals(address) && e.owner() != DeviceInfo.UNASSIGNED
                        && e.owner() != v.id()).findFirst().ifPresent(e -> problems.add(c.at(line, "device " + address
                                + " is owned by vnode " + e.owner() + " now; unassign it there (device:unassign "
                                + address + ") or give vnode " + v.id() + " another")));
            }
            synchronized (vnodes) {
                Managed m = vnodes.get(v.id());
                if (v.id() != Nanokernel.ROOT && m != null && m.process != null && m.process.isAlive()) {
                    problems.add(c.at(line, "vnode " + v.id() + " is running (pid " + m.process.pid()
                            + "); stop it first (kmb:stop " + v.id() + ")"));
                }
            }
        }
        return problems;
    }

    /** This machine's memory (MemTotal), or Long.MAX_VALUE where it cannot be read. */
    static long hostMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.log(Level.DEBUG, "cannot read /proc/meminfo: " + e);
        }
        return Long.MAX_VALUE;
    }

    /** The default cluster for this machine: the root on the first CPU, vnode 1 on the next. */
    public ClusterConfig defaultConfig() {
        List<Integer> cpus = Cpus.online();
        boolean share = cpus.size() < 2;
        int second = share ? cpus.get(0) : cpus.get(1);
        return new ClusterConfig(nanokernel.clusterName(), nanokernel.physmemSize(), share,
                List.of(new VnodeSpec(0, List.of(cpus.get(0)), 0, List.of(), RestartPolicy.NEVER),
                        new VnodeSpec(1, List.of(second), 64L << 20, List.of(), RestartPolicy.ALWAYS)),
                List.of(), List.of());
    }

    /** The last boot of vnode {@code id}: nanoseconds of steps 1..7, and [0] from step 1 to joined. */
    public long[] lastBoot(int id) {
        synchronized (vnodes) {
            Managed m = vnodes.get(id);
            return m == null || m.lastBoot == null ? null : m.lastBoot.clone();
        }
    }

    /** The root's own image, which vnodes boot unless told otherwise. */
    public Path imagePath() {
        return settings.image();
    }

    @Override
    public String log(int id) {
        return log(id, 20);
    }

    /**
     * The last {@code count} lines of vnode {@code id}'s output.
     *
     * @throws IllegalArgumentException for an id that is no vnode's, or a vnode this bootloader
     *         never started (naming the ones it did)
     */
    public String log(int id, int count) {
        requireVnodeId(id, "the root's output is its terminal");
        Path log;
        boolean booted;
        synchronized (vnodes) {
            Managed m = vnodes.get(id);
            booted = m != null;
            log = m != null && m.log != null ? m.log : stub.resolve("vnode-" + id + ".log");
        }
        if (!Files.isRegularFile(log, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!booted) {
                throw new IllegalArgumentException("vnode " + id + " was never booted by this bootloader; it booted "
                        + bootedIds());
            }
            return "(vnode " + id + " has written nothing yet)";
        }
        String tail = tail(log, count);
        String header = booted ? "" : "(vnode " + id + " is not running; the output of its last boot, which failed:)\n";
        return header + (tail.isEmpty() ? "(vnode " + id + " has written nothing yet)" : tail);
    }

    /** The ids this bootloader has a vnode for, for messages: "vnodes 1, 2" or "no vnode yet". */
    String bootedIds() {
        synchronized (vnodes) {
            return vnodes.isEmpty() ? "no vnode yet (kmb:boot or kmb:cluster)"
                    : "vnodes " + vnodes.keySet().stream().map(String::valueOf).collect(Collectors.joining(", "));
        }
    }

    /** Refuses an id that no vnode but the root could have: 1..15 are allowed. */
    static void requireVnodeId(int id, String aboutTheRoot) {
        if (id == Nanokernel.ROOT) {
            throw new IllegalArgumentException("vnode 0 is the root: " + aboutTheRoot + "; vnodes are 1.."
                    + (Nanokernel.MAX_VNODES - 1));
        }
        if (id < 1 || id >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("vnode id " + id + " is outside 1.." + (Nanokernel.MAX_VNODES - 1)
                    + " (0 is the root)");
        }
    }

    private static String tail(Path log, int count) {
        try {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private void requireRoot() {
        if (!nanokernel.isRoot()) {
            throw new IllegalStateException("the bootloader boots vnodes from the root; this is vnode "
                    + nanokernel.vnodeId());
        }
    }

    /** The image at {@code path}, or the root's own for null; read once. */
    private Image image(Path path) {
        Path p = path != null ? path.toAbsolutePath() : settings.image();
        if (p == null) {
            throw new IllegalStateException("no kernel image to boot vnodes from: start the root from the image jar "
                    + "(./smpcluster), set -Dsmpcluster.image=PATH, or name one with kmb:boot --image");
        }
        return images.computeIfAbsent(p, file -> {
            try {
                byte[] bytes = Files.readAllBytes(file);
                return new Image(bytes, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the kernel image " + file, e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Where the bootloader of cluster {@code cluster} keeps its stub, vnode logs and caches. */
    public static Path stubDirectory(String cluster) {
        return Path.of(System.getProperty("java.io.tmpdir"), "smpcluster-kmb-" + cluster);
    }

    /**
     * Copies the stub's classes out of this bundle into the cluster's stub directory, which is
     * this user's alone (0700, its files 0600): the vnodes' logs and framework caches are in it.
     * One root runs a cluster at a time, so what is there was left by a root that died: it goes,
     * but only if this user owns it. One that another user made (or a symlink) is refused, not
     * emptied and reused: whoever made it could read, or plant, what vnodes keep there.
     */
    private static Path extractStub(Bundle self, String cluster) {
        Path dir = stubDirectory(cluster);
        try {
            if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                requireOwn(dir);
                deleteTree(dir);
            }
            Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            // createDirectory's mode is masked by the umask; say it again.
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
            Enumeration<URL> classes = self.findEntries(STUB_PACKAGE, "*.class", false);
            if (classes == null) {
                throw new IllegalStateException("the bootloader bundle has no boot stub under " + STUB_PACKAGE);
            }
            Path pkg = dir;
            for (String part : STUB_PACKAGE.split("/")) {
                pkg = privateDirectory(pkg.resolve(part));
            }
            while (classes.hasMoreElements()) {
                URL url = classes.nextElement();
                String name = url.getPath().substring(url.getPath().lastIndexOf('/') + 1);
                Path target = privateFile(pkg.resolve(name));
                // Written into the private file (a copy that replaces it would take the umask's mode).
                try (InputStream in = url.openStream();
                        java.io.OutputStream out = Files.newOutputStream(target, java.nio.file.StandardOpenOption.WRITE,
                                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                    in.transferTo(out);
                }
            }
            // The vnodes' framework caches: one per process, removed when it ends (see removeStorage).
            privateDirectory(dir.resolve(STORAGE));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out the boot stub in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> PRIVATE_DIR =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> PRIVATE_FILE =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
    /** Under the stub directory: the framework cache of each vnode process, storage/pid-PID. */
    static final String STORAGE = "storage";

    /** Refuses {@code path} unless it is a directory (not a link) this user owns. */
    static void requireOwn(Path path) throws IOException {
        if (Files.isSymbolicLink(path) || !Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException(path + " is not a directory but " + (Files.isSymbolicLink(path)
                    ? "a symbolic link to " + Files.readSymbolicLink(path) : "a file")
                    + "; the bootloader keeps vnode logs there: remove it, or run the cluster under another name");
        }
        int owner = (Integer) Files.getAttribute(path, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (owner != self) {
            throw new IllegalStateException(path + " belongs to another user (uid=" + owner + ", "
                    + Files.getOwner(path, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName() + "; this is uid=" + self
                    + "); the bootloader will not use or empty it: have it removed, run the cluster under another "
                    + "name (--cluster), or set another TMPDIR");
        }
    }

    /** Creates a directory only this user may enter, or makes an existing one so. */
    private static Path privateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        }
        Files.setPosixFilePermissions(dir, PRIVATE_DIR);
        return dir;
    }

    /** Creates (or keeps) a file only this user may read and write. */
    static Path privateFile(Path file) {
        try {
            if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
            }
            Files.setPosixFilePermissions(file, PRIVATE_FILE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the framework cache of a vnode or standby process that ended: a vnode killed with
     * SIGKILL cannot, and each would leave its ~2 MB behind until the root stops.
     */
    private void removeStorage(Process process) {
        Path storage = stub.resolve(STORAGE).resolve("pid-" + process.pid());
        try {
            deleteTree(storage);
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.WARNING, "cannot remove the framework cache " + storage + " of pid " + process.pid() + ": " + e);
        }
    }

    /** Stops every vnode (the root is shutting down) and removes the stub. */
    @Override
    public void close() {
        closing = true;
        watchdog.shutdownNow();
        restarts.shutdownNow();
        List<Managed> all;
        synchronized (vnodes) {
            all = new ArrayList<>(vnodes.values());
            all.forEach(m -> m.stopping = true);
        }
        List<Spare> standbys;
        synchronized (vnodes) {
            standbys = new ArrayList<>(spares.values());
            spares.clear();
        }
        standbys.forEach(spare -> spare.process().destroyForcibly());
        all.stream().filter(m -> m.process != null).forEach(m -> m.process.destroy());
        all.stream().filter(m -> m.process != null).forEach(m -> terminate(m.process));
        for (Spare spare : standbys) {
            try {
                spare.process().waitFor(settings.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            deleteTree(stub);
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.WARNING, "cannot remove the boot stub " + stub, e);
        }
    }

    /**
     * Removes a tree, links not followed. What vanishes meanwhile is no error: a vnode's shutdown
     * removes its own framework cache while the root removes the same.
     */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a)
                    throws IOException {
                Files.deleteIfExists(file);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof java.nio.file.NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof java.nio.file.NoSuchFileException)) {
                    throw e;
                }
                try {
                    Files.deleteIfExists(d);
                } catch (java.nio.file.DirectoryNotEmptyException raced) {
                    // A process still writing into it (a standby's cache): one more pass.
                    deleteTree(d);
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
    }

    static String mib(long bytes) {
        return bytes >= (1 << 20) && bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB"
                : String.format("%.1f MiB", bytes / 1048576.0);
    }

    /** Runs and times the steps of one boot. */
    private static final class Steps {
        private final int vnode;
        private final Consumer<String> progress;
        /** Nanoseconds per step, 1..7; [0]: from step 1 to joined. */
        final long[] nanos = new long[8];

        Steps(int vnode, Consumer<String> progress) {
            this.vnode = vnode;
            this.progress = progress;
        }

        <T> T run(int step, String what, java.util.function.Supplier<T> action) {
            long start = System.nanoTime();
            try {
                T result = action.get();
                nanos[step] = System.nanoTime() - start;
                progress.accept(String.format("vnode %d: step %d/7 %-70s %7.2f ms", vnode, step, what,
                        (System.nanoTime() - start) / 1e6));
                return result;
            } catch (RuntimeException e) {
                progress.accept(String.format("vnode %d: step %d/7 %s FAILED: %s", vnode, step, what, e.getMessage()));
                throw e;
            }
        }
    }
}
