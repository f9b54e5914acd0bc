package org.smpcluster.vfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.vfs.client.VfsClient;
import org.smpcluster.vfs.server.VfsServer;

/**
 * Issue 11, item 2: the filesystem's long-running threads (the server's dispatcher, a client's
 * drain thread) are made by the factory the driver gives it, which on a vnode is
 * {@code Nanokernel.kernelThread} (whose death panics the vnode); they are the threads that do
 * the work, and they end with the filesystem.
 */
class KernelThreadsTest {

    @TempDir
    Path repository;

    @Test
    void shouldRunItsLongRunningThreadsAsTheKernelMakesThem() throws Exception {
        String cluster = "vfs-" + ProcessHandle.current().pid() + "-kthreads";
        List<Thread> made = new CopyOnWriteArrayList<>();
        VfsServer.Threads threads = (name, body) -> {
            Thread t = Thread.ofPlatform().daemon().name(name).unstarted(body);
            made.add(t);
            return t;
        };
        Kernel kernel = Kernel.boot(Kernel.Config.root(RootFixture.SHM, cluster, 96L << 20));
        try {
            VfsServer server = new VfsServer(kernel.bridges(), kernel.portals()::raise, kernel::vnodes, () -> repository, 64, 64,
                    threads);
            kernel.pipeline().attach(InterruptPipeline.KERNEL, VfsServer.VECTOR, (v, hits) -> {
                server.interrupt();
                return false;
            });
            VfsClient[] box = new VfsClient[1];
            kernel.pipeline().attach(InterruptPipeline.KERNEL, VfsServer.CLIENT_VECTOR, (v, hits) -> {
                if (box[0] != null) {
                    box[0].interrupt();
                }
                return false;
            });
            box[0] = new VfsClient(0, kernel.bridges(), kernel.portals()::raise, Duration.ofSeconds(10), threads, () -> true);
            assertEquals(List.of("vfs-server", "vfs-drain-0"), made.stream().map(Thread::getName).toList());
            assertTrue(made.stream().allMatch(Thread::isAlive), "started");
            // the dispatcher serves: a file made through it
            var h = box[0].open("tmp/x", org.smpcluster.vfs.cache.Op.O_WRITE | org.smpcluster.vfs.cache.Op.O_CREATE, 0600);
            h.close();
            assertTrue(Files.exists(repository.resolve("tmp/x")));
            box[0].close();
            server.close();
            for (Thread t : made) {
                t.join(5_000);
                assertFalse(t.isAlive(), t.getName() + " ended with the filesystem");
            }
        } finally {
            kernel.close();
            Files.deleteIfExists(Physmem.pathOf(RootFixture.SHM, cluster));
        }
    }
}
