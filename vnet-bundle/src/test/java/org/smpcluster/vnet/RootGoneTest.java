package org.smpcluster.vnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.vnet.link.WireParams;
import org.smpcluster.vnet.nic.VnetCore;

/**
 * This JVM is vnode 1 of a cluster whose root runs in a child process: vnet's threads are the
 * vnode's kernel threads, and once the root is killed the driver stops without waiting on it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RootGoneTest {

    static final Path SHM = Path.of("/dev/shm");
    final String cluster = "rootgone-" + ProcessHandle.current().pid();
    Process root;
    Kernel vnode;

    @AfterEach
    void cleanUp() throws Exception {
        if (root != null) {
            root.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (vnode != null) {
            vnode.close();
        }
        Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
        assertFalse(Files.exists(Physmem.pathOf(SHM, cluster)));
    }

    @Test
    void shouldRunOnKernelThreadsAndStopAtOnceWhenTheRootIsGone() throws Exception {
        root = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                RootProcess.class.getName(), SHM.toString(), cluster).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(root.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("up", out.readLine(), "the root came up");
        vnode = Kernel.boot(Kernel.Config.joiner(SHM, cluster, 1));
        List<String> kernelThreads = new CopyOnWriteArrayList<>();
        VnetCore core = new VnetCore(1, vnode.bridges(), vnode.portals()::raise, WireParams.DEFAULT, 50_000,
                VnetDriver.liveness(vnode), (name, body) -> {
                    kernelThreads.add(name);
                    return vnode.kernelThread(name, body);
                });
        core.attach("eth0", "10.0.0.0/24");
        assertEquals(java.util.Set.of("vnode-1-vnet-rx", "vnode-1-transport-timer"), java.util.Set.copyOf(kernelThreads));
        assertFalse(vnode.rootGone(), "the root is up");

        root.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertTrue(vnode.rootGone(), "a killed root is gone at once");
        long start = System.nanoTime();
        core.close(true, vnode.rootGone());
        long took = (System.nanoTime() - start) / 1_000_000;
        System.out.println("RootGoneTest: vnet stopped in " + took + " ms after its root was killed");
        assertTrue(took < 1_000, "vnet stopped in " + took + " ms; closing a bridge waits 5 s for a dead root");
    }
}
