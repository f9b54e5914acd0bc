package org.smpcluster.vnet.nic;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.vnet.link.WireParams;

/**
 * The multi-process tests' fixture: a root kernel and driver in this JVM, attached to "eth0",
 * and vnode processes ({@link VnetProcess}) pinned to CPUs. Every child is killed and the
 * physmem file removed after each test, passed or failed.
 */
abstract class MultiProcessFixture {

    static final Path SHM = Path.of("/dev/shm");
    static final Duration DEADLINE = Duration.ofSeconds(30);

    String cluster;
    Kernel root;
    VnetCore vnet;
    NicImpl nic;
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void boot(TestInfo test) {
        cluster = "vnet-" + ProcessHandle.current().pid() + "-" + Math.abs(test.getDisplayName().hashCode());
        root = Kernel.boot(Kernel.Config.root(SHM, cluster, 64L << 20));
        vnet = new VnetCore(0, root.bridges(), root.portals()::raise, WireParams.DEFAULT, 50_000);
        root.pipeline().attach(InterruptPipeline.KERNEL, VnetCore.VECTOR, (v, hits) -> {
            vnet.interrupt();
            return false;
        });
        nic = vnet.attach("eth0", "10.0.0.0/24");
    }

    @AfterEach
    void cleanUp() throws IOException, InterruptedException {
        children.forEach(Process::destroyForcibly);
        for (Process p : children) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        vnet.close();
        root.close();
        Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
        assertFalse(Files.exists(Physmem.pathOf(SHM, cluster)));
    }

    /** A child vnode pinned to {@code cpu}. */
    Child start(int cpu, int vnode, String... scenario) throws IOException {
        List<String> command = new ArrayList<>(List.of("taskset", "-c", Integer.toString(cpu),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                VnetProcess.class.getName(), SHM.toString(), cluster, Integer.toString(vnode)));
        command.addAll(List.of(scenario));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        return new Child(p);
    }

    /** A child JVM and its output lines. */
    static final class Child {
        final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder transcript = new StringBuilder();

        Child(Process process) {
            this.process = process;
            Thread.ofVirtual().start(() -> {
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        synchronized (transcript) {
                            transcript.append(line).append('\n');
                        }
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // gone; expect() says what it printed
                }
            });
        }

        String expect(String prefix) throws InterruptedException {
            long end = System.nanoTime() + DEADLINE.toNanos();
            while (true) {
                String line = lines.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    synchronized (transcript) {
                        throw new AssertionError("vnode process " + process.pid() + " did not say '" + prefix
                                + "'; alive=" + process.isAlive() + "; it said:\n" + transcript);
                    }
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
        }

        void say(String line) throws IOException {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }
    }
}
