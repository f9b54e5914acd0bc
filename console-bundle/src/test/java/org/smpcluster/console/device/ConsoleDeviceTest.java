package org.smpcluster.console.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeManager;
import org.smpcluster.api.nanokernel.InterruptHandler;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.console.tty.LineDiscipline;

/**
 * A vnode's console device in one process, over a console bridge in plain memory, with a shell
 * whose commands the test holds up: its threads are the nanokernel's kernel threads, typing
 * waits for a busy shell instead of losing keys, and a vnode whose root is gone stops at once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsoleDeviceTest {

    final Arena arena = Arena.ofShared();
    final MemorySegment console = arena.allocate(ConsoleLayout.SIZE, 4096);
    final List<String> kernelThreads = new CopyOnWriteArrayList<>();
    final List<String> executed = new CopyOnWriteArrayList<>();
    final AtomicReference<InterruptHandler> irq = new AtomicReference<>();
    final CountDownLatch release = new CountDownLatch(1);
    volatile List<VnodeState> table = List.of(state(0, VnodeState.JOINED, ProcessHandle.current().pid()),
            state(1, VnodeState.JOINED, ProcessHandle.current().pid()));
    ConsoleDevice device;

    static VnodeState state(int id, String state, long pid) {
        return new VnodeState(id, state, pid, 1_000_000, System.currentTimeMillis(), 0, 0, 1);
    }

    volatile boolean rootGone;

    final Nanokernel nanokernel = new Nanokernel() {
        @Override
        public String clusterName() {
            return "test";
        }

        @Override
        public int vnodeId() {
            return 1;
        }

        @Override
        public String physmemPath() {
            return "/dev/null";
        }

        @Override
        public long physmemSize() {
            return 0;
        }

        @Override
        public List<VnodeState> vnodes() {
            List<VnodeState> all = new ArrayList<>(table);
            for (int v = all.size(); v < MAX_VNODES; v++) {
                all.add(state(v, VnodeState.FREE, 0));
            }
            return all;
        }

        @Override
        public boolean rootGone() {
            return rootGone;
        }

        @Override
        public Thread kernelThread(String name, Runnable body) {
            kernelThreads.add(name);
            return Thread.ofPlatform().daemon().name(name).unstarted(body);
        }

        @Override
        public void panic(String reason, Throwable cause) {
            throw new AssertionError("panic: " + reason, cause);
        }
    };

    final BridgeManager bridges = new BridgeManager() {
        @Override
        public java.util.Optional<Bridge> peek(int vnode, String name) {
            return java.util.Optional.empty();
        }

        @Override
        public Bridge open(String name, long size) {
            throw new UnsupportedOperationException(name);
        }

        @Override
        public Bridge open(int vnode, String name, long size) {
            return (Bridge) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bridge.class},
                    (p, m, a) -> switch (m.getName()) {
                        case "segment" -> console;
                        case "close" -> null;
                        case "name" -> name;
                        case "size" -> size;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }

        @Override
        public Bridge openTransient(String name, long size, org.smpcluster.api.nanokernel.RelocationListener l) {
            throw new UnsupportedOperationException(name);
        }

        @Override
        public long compact() {
            return 0;
        }

        @Override
        public List<org.smpcluster.api.nanokernel.BridgeInfo> bridges() {
            return List.of();
        }
    };

    /** Portal interrupts go straight to the console's handler. */
    final Portals portals = (vnode, vector) -> {
        InterruptHandler h = irq.get();
        if (h != null && vector == ConsoleDevice.VECTOR) {
            h.handle(vector, 1);
        }
    };

    /** Gogo, as far as the console uses it: the first command waits for {@link #release}. */
    final CommandProcessor gogo = (CommandProcessor) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {CommandProcessor.class}, (p, m, a) -> {
                if (!m.getName().equals("createSession")) {
                    throw new UnsupportedOperationException(m.getName());
                }
                return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {CommandSession.class},
                        (s, sm, sa) -> switch (sm.getName()) {
                            case "execute" -> {
                                if (executed.isEmpty()) {
                                    release.await();
                                }
                                executed.add(sa[0].toString());
                                yield null;
                            }
                            case "close" -> null;
                            case "foregroundJob" -> null;
                            default -> throw new UnsupportedOperationException(sm.getName());
                        });
            });

    @SuppressWarnings("unchecked")
    final BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {BundleContext.class}, (p, m, a) -> {
                if (m.getName().equals("registerService") && a[1] instanceof InterruptHandler h) {
                    irq.set(h);
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class},
                            (r, rm, ra) -> null);
                }
                throw new UnsupportedOperationException(m.getName());
            });

    @AfterEach
    void close() {
        release.countDown();
        if (device != null) {
            device.deactivate();
        }
        arena.close();
    }

    @Test
    void shouldRunItsThreadsAsKernelThreads() {
        device = new ConsoleDevice(nanokernel, bridges, portals, gogo, context);
        assertEquals(List.of("vnode-1-console-input", "vnode-1-console-shell"), kernelThreads);
    }

    @Test
    void shouldMakeATypistWaitForABusyShellAndLoseNoLine() throws Exception {
        device = new ConsoleDevice(nanokernel, bridges, portals, gogo, context);
        ConsoleService consoles = new ConsoleService(nanokernel, bridges, portals, null);
        // 300 lines of 400 bytes (120 KB) while the first command holds the shell: more than the
        // line discipline holds (4 KiB read buffer, 64 KiB waiting) and the 4 KiB keyboard ring.
        int lines = 300;
        StringBuilder text = new StringBuilder("first\\r");
        for (int i = 0; i < lines; i++) {
            text.append(String.format("%03d", i)).append("x".repeat(397)).append("\\r");
        }
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread typist = Thread.ofPlatform().start(() -> {
            try {
                consoles.write(true, 1, text.toString());
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        // The typist is held up: the keyboard ring stays full while the shell is busy.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ConsoleLayout.get(console, ConsoleLayout.OFF_KEYS_HEAD) - ConsoleLayout.get(console, ConsoleLayout.OFF_KEYS_TAIL)
                < ConsoleLayout.KEYBOARD) {
            assertTrue(System.nanoTime() < deadline, "the keyboard ring never filled");
            Thread.onSpinWait();
        }
        assertTrue(typist.isAlive(), "typing waits for room");
        release.countDown();
        typist.join(30_000);
        assertFalse(typist.isAlive());
        assertEquals(null, failed.get());
        deadline = System.nanoTime() + 30_000_000_000L;
        while (executed.size() < lines + 1) {
            assertTrue(System.nanoTime() < deadline, "ran " + executed.size() + " of " + (lines + 1) + " lines");
            Thread.onSpinWait();
        }
        assertEquals("first", executed.get(0));
        for (int i = 0; i < lines; i++) {
            assertEquals(String.format("%03d", i) + "x".repeat(397), executed.get(i + 1), "line " + i);
        }
        assertTrue(LineDiscipline.PENDING_LIMIT < lines * 400, "the test typed more than the console holds");
    }

    @Test
    void shouldStopAtOnceWhenTheRootIsGone() throws Exception {
        device = new ConsoleDevice(nanokernel, bridges, portals, gogo, context);
        ConsoleService consoles = new ConsoleService(nanokernel, bridges, portals, null);
        consoles.write(false, 1, "sleep");  // the shell is held up in its first command
        rootGone = true; // what the nanokernel says once the root's process ended
        long start = System.nanoTime();
        device.deactivate();
        device = null;
        long took = (System.nanoTime() - start) / 1_000_000;
        System.out.println("ConsoleDeviceTest: the console stopped in " + took + " ms with its root gone and a command"
                + " running");
        assertTrue(took < 500, "stopped in " + took + " ms");
    }
}
