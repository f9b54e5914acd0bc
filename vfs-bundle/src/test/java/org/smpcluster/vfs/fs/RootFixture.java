package org.smpcluster.vfs.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.mem.Physmem;
import org.smpcluster.vfs.VfsService;
import org.smpcluster.vfs.client.VfsClient;
import org.smpcluster.vfs.server.VfsServer;

/** A root vnode in this JVM: a kernel, the filesystem server on a temporary repository, and the root's own client. */
final class RootFixture implements AutoCloseable {

    static final Path SHM = Path.of("/dev/shm");

    final String cluster;
    final Path repository;
    final Kernel kernel;
    final VfsServer server;
    final VfsClient client;
    final VfsService vfs;

    RootFixture(String name, Path repository, int frames) throws Exception {
        this.cluster = "vfs-" + ProcessHandle.current().pid() + "-" + name;
        this.repository = repository;
        this.kernel = Kernel.boot(Kernel.Config.root(SHM, cluster, 96L << 20));
        VfsServer s = null;
        VfsClient c = null;
        try {
            s = VfsProcess.serve(kernel, repository, frames, 512);
            c = VfsProcess.connect(kernel, 0, Duration.ofSeconds(10));
        } catch (Exception | Error e) {
            if (s != null) {
                s.close();
            }
            kernel.close();
            Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
            throw e;
        }
        this.server = s;
        this.client = c;
        this.vfs = new VfsService(c);
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
            server.close();
            kernel.close();
        } finally {
            Files.deleteIfExists(Physmem.pathOf(SHM, cluster));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
