package org.smpcluster.nanokernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeAccessException;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.nanokernel.device.Devices;
import org.smpcluster.nanokernel.layout.Shm;

/**
 * A vnode in its own JVM, for the multi-process tests: joins the cluster (or, as vnode 0, is
 * its root), plays one scenario, reports on stdout, and leaves when its stdin closes (or is
 * killed).
 *
 * <p>Usage: {@code VnodeProcess DIR CLUSTER VNODE SCENARIO [ARGS...]}
 */
public final class VnodeProcess {

    private VnodeProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String cluster = args[1];
        int vnode = Integer.parseInt(args[2]);
        String scenario = args[3];
        Kernel.Config config = vnode == Nanokernel.ROOT ? Kernel.Config.root(dir, cluster, 32L << 20)
                : Kernel.Config.joiner(dir, cluster, vnode);
        try (Kernel kernel = Kernel.boot(config); AutoCloseable panics = kernel.panicOnVirtualMachineError()) {
            say("joined " + vnode);
            switch (scenario) {
                case "root" -> say("root up");
                case "kernel-thread-dies" -> kernel.kernelThread("doomed", () -> {
                    throw new IllegalStateException("a kernel thread's bug");
                }).start();
                case "plain-thread-dies" -> plainThreadDies(args[4]);
                case "inject" -> say(new NanokernelCommands(kernel).inject(args[4]));
                case "stuck-irq" -> stuckIrq(kernel, Integer.parseInt(args[4]));
                case "churn" -> churn(kernel, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
                case "bridge" -> bridge(kernel);
                case "wait-portal" -> waitPortal(kernel, Integer.parseInt(args[4]));
                case "raise" -> raise(kernel, Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                        Integer.parseInt(args[6]));
                case "open-local" -> openLocal(kernel, Integer.parseInt(args[4]), args[5]);
                case "hold" -> hold(kernel);
                case "devices" -> devices(kernel);
                case "transient" -> transientBridge(kernel);
                default -> throw new IllegalArgumentException("no scenario " + scenario);
            }
            System.in.read(); // until the test closes our stdin
        }
    }

    /**
     * A plain (not kernel) thread dies of {@code how}: "overflow" (a StackOverflowError, a
     * VirtualMachineError: the vnode panics) or "bug" (an IllegalStateException: the vnode
     * lives on, and says so).
     */
    private static void plainThreadDies(String how) throws InterruptedException {
        Thread t = Thread.ofPlatform().name("plain").start(() -> {
            if (how.equals("overflow")) {
                recurse(0);
            }
            throw new IllegalStateException("a plain thread's bug");
        });
        t.join();
        say("still alive after the plain thread died");
    }

    private static long recurse(long depth) {
        return recurse(depth + 1) + 1;
    }

    /**
     * Keeps {@code tenuredMib} MiB live and churns short-lived garbage on two threads for
     * {@code seconds}, then says the longest gap between two heartbeats: what GC pauses add to
     * the heartbeat period under allocation load (a figure for the root's hang timeout).
     */
    private static void churn(Kernel kernel, int tenuredMib, int seconds) throws InterruptedException {
        List<byte[]> tenured = new ArrayList<>();
        for (int i = 0; i < tenuredMib * 16; i++) {
            tenured.add(new byte[64 * 1024]);
        }
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> churners = new ArrayList<>();
        AtomicLong sink = new AtomicLong();
        for (int t = 0; t < 2; t++) {
            churners.add(Thread.ofPlatform().start(() -> {
                java.util.ArrayDeque<byte[]> young = new java.util.ArrayDeque<>();
                while (System.nanoTime() < end) {
                    young.add(new byte[1 + (int) (sink.incrementAndGet() % 8192)]);
                    if (young.size() > 2000) {
                        young.poll();
                    }
                }
            }));
        }
        for (Thread t : churners) {
            t.join();
        }
        say("longest heartbeat gap " + kernel.longestHeartbeatGapNanos() / 1_000_000 + " ms with " + tenured.size() / 16
                + " MiB tenured");
    }

    /** A handler for {@code vector} that never returns: the interrupt thread is stuck in it. */
    private static void stuckIrq(Kernel kernel, int vector) {
        kernel.pipeline().attach(InterruptPipeline.KERNEL, vector, (v, h) -> {
            say("stuck in the handler");
            while (true) {
                java.util.concurrent.locks.LockSupport.park();
            }
        });
        say("ready");
    }

    /** Waits for the root's 42 in global bridge "shared", answers 43. */
    private static void bridge(Kernel kernel) {
        try (Bridge shared = kernel.bridges().open("shared", 4096)) {
            MemorySegment s = shared.segment();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Shm.getLongAcquire(s, 0) != 42) {
                if (System.nanoTime() > deadline) {
                    say("timeout waiting for 42");
                    return;
                }
                Thread.onSpinWait();
            }
            Shm.setLongRelease(s, 8, 43);
            say("answered, size " + shared.size() + ", last byte readable " + s.get(ValueLayout.JAVA_BYTE, 4095));
            try {
                s.get(ValueLayout.JAVA_BYTE, 4096);
                say("stray read went through");
            } catch (IndexOutOfBoundsException e) {
                say("stray read refused");
            }
        }
    }

    /** Counts interrupts on {@code vector}; says "woken" at the first. */
    private static void waitPortal(Kernel kernel, int vector) {
        AtomicLong hits = new AtomicLong();
        kernel.pipeline().attach(InterruptPipeline.KERNEL, vector, (v, h) -> {
            if (hits.getAndAdd(h) == 0) {
                say("woken " + h);
            }
            return true;
        });
        say("ready");
    }

    /** Raises {@code count} interrupts of {@code vector} on the root from {@code threads} threads. */
    private static void raise(Kernel kernel, int vector, int count, int threads) throws InterruptedException {
        List<Thread> raisers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int share = count / threads + (t < count % threads ? 1 : 0);
            raisers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < share; i++) {
                    kernel.portals().raise(Nanokernel.ROOT, vector);
                }
            }));
        }
        for (Thread t : raisers) {
            t.join();
        }
        say("raised " + count);
    }

    private static void openLocal(Kernel kernel, int owner, String name) {
        try (Bridge b = kernel.bridges().open(owner, name, 4096)) {
            say("opened " + b);
        } catch (BridgeAccessException e) {
            say("refused: " + e.getMessage());
        }
    }

    /** Opens a local and a global bridge and keeps them until killed. */
    private static void hold(Kernel kernel) {
        Bridge local = kernel.bridges().open(kernel.vnodeId(), "mine", 8192);
        Bridge global = kernel.bridges().open("scratch", 4096);
        say("holding " + local.name() + " " + global.name());
    }

    /** Opens transient bridge "tb", fills it, and checks its contents after every relocation. */
    private static void transientBridge(Kernel kernel) {
        Bridge tb = kernel.bridges().openTransient("tb", 8192, (b, from, to) -> {
            MemorySegment s = b.segment();
            boolean intact = true;
            for (long i = 0; i < s.byteSize(); i += 8) {
                intact &= s.get(ValueLayout.JAVA_LONG, i) == i + 1000;
            }
            say("relocated " + from + " " + to + " intact " + intact);
        });
        try (Bridge.Access access = tb.access()) {
            MemorySegment s = access.segment();
            for (long i = 0; i < s.byteSize(); i += 8) {
                s.set(ValueLayout.JAVA_LONG, i, i + 1000);
            }
        }
        say("filled");
    }

    /** Reports every device plugged and unplugged, and every interrupt a plugged device raises. */
    private static void devices(Kernel kernel) {
        kernel.devices().listen(new Devices.Listener() {
            private final java.util.Map<String, Runnable> handlers = new java.util.concurrent.ConcurrentHashMap<>();

            @Override
            public void plugged(DeviceInfo d) {
                handlers.put(d.address(), kernel.pipeline().attach(InterruptPipeline.KERNEL, d.vector(), (v, h) -> {
                    say("irq " + d.address());
                    return true;
                }));
                say("plugged " + d.address() + " " + d.deviceClass() + " " + d.backing());
            }

            @Override
            public void unplugged(DeviceInfo d) {
                handlers.remove(d.address()).run();
                say("unplugged " + d.address());
            }
        });
        say("listening");
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
