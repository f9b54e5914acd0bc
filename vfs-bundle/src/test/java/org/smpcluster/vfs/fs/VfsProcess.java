package org.smpcluster.vfs.fs;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;

import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.vfs.FileMapping;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.vfs.VfsService;
import org.smpcluster.vfs.client.VfsClient;
import org.smpcluster.vfs.server.VfsServer;

/**
 * A vnode with the filesystem, in its own JVM, for the multi-process tests: {@code VfsProcess
 * DIR CLUSTER VNODE [REPOSITORY]} (with a repository it is the root and serves). It answers one
 * line per command on stdin: {@code write PATH TEXT}, {@code pwrite PATH TEXT} (at offset 0,
 * keeping the rest), {@code read PATH}, {@code head PATH N}, {@code fsync PATH}, {@code crc PATH},
 * {@code big PATH BYTES SEED} (written and fsynced), {@code map PATH}, {@code mapcheck}, {@code close} (the client,
 * timed).
 */
public final class VfsProcess {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int vnode = Integer.parseInt(args[2]);
        boolean root = args.length > 3;
        Kernel kernel = Kernel.boot(root ? Kernel.Config.root(dir, args[1], 96L << 20) : Kernel.Config.joiner(dir, args[1], vnode));
        VfsServer server = root ? serve(kernel, Path.of(args[3]), 512, 256) : null;
        // as a vnode's driver has it: kernel threads, and waits that end when the root is gone
        VfsClient client = connect(kernel, vnode, Duration.ofSeconds(20), true);
        VfsService vfs = new VfsService(client);
        say("ready");
        FileMapping mapping = null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] w = line.split(" ", 3);
            try {
                switch (w[0]) {
                    case "write" -> {
                        Files.writeString(vfs.path(w[1]), w[2]);
                        say("ok");
                    }
                    case "pwrite" -> {
                        try (FileChannel ch = (FileChannel) Files.newByteChannel(vfs.path(w[1]), StandardOpenOption.WRITE)) {
                            ch.write(ByteBuffer.wrap(w[2].getBytes(StandardCharsets.UTF_8)), 0);
                        }
                        say("ok");
                    }
                    case "read" -> say("data " + Files.readString(vfs.path(w[1])));
                    case "head" -> {
                        byte[] b = new byte[Integer.parseInt(w[2])];
                        try (FileChannel ch = (FileChannel) Files.newByteChannel(vfs.path(w[1]))) {
                            ch.read(ByteBuffer.wrap(b), 0);
                        }
                        say("data " + new String(b, StandardCharsets.UTF_8));
                    }
                    case "crc" -> {
                        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                        crc.update(Files.readAllBytes(vfs.path(w[1])));
                        say("crc " + crc.getValue());
                    }
                    case "fsync" -> {
                        try (FileChannel ch = (FileChannel) Files.newByteChannel(vfs.path(w[1]), StandardOpenOption.WRITE)) {
                            ch.force(true);
                        }
                        say("ok");
                    }
                    case "big" -> {
                        String[] a = w[2].split(" ");
                        byte[] data = new byte[Integer.parseInt(a[0])];
                        new Random(Long.parseLong(a[1])).nextBytes(data);
                        try (FileChannel ch = (FileChannel) Files.newByteChannel(vfs.path(w[1]), StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                            ch.write(ByteBuffer.wrap(data));
                            ch.force(true);
                        }
                        say("ok");
                    }
                    case "map" -> {
                        mapping = vfs.map(vfs.path(w[1]), 0, 4096, false);
                        byte[] b = new byte[8];
                        mapping.get(0, b, 0, 8);
                        say("mapped " + new String(b, StandardCharsets.UTF_8).trim());
                    }
                    case "mapcheck" -> {
                        String access;
                        try {
                            mapping.page(0).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                            access = "ok";
                        } catch (IllegalStateException e) {
                            access = "IllegalStateException";
                        }
                        say("valid " + mapping.isValid() + " access " + access);
                    }
                    case "close" -> {
                        long start = System.nanoTime();
                        client.close();
                        say("closed " + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
                    }
                    default -> say("err no command " + w[0]);
                }
            } catch (Exception e) {
                say("err " + e.getClass().getSimpleName() + " " + e.getMessage());
            }
        }
        client.close();
        if (server != null) {
            server.close();
        }
        kernel.close();
    }

    /** The root's server on {@code kernel}, its interrupt handler attached. */
    static VfsServer serve(Kernel kernel, Path repository, int frames, int inodes) throws java.io.IOException {
        VfsServer server = new VfsServer(kernel.bridges(), kernel.portals()::raise, kernel::vnodes, repository, frames, inodes);
        kernel.pipeline().attach(InterruptPipeline.KERNEL, VfsServer.VECTOR, (v, hits) -> {
            server.interrupt();
            return false;
        });
        return server;
    }

    /** A client of vnode {@code vnode} on {@code kernel}, its interrupt handler attached. */
    static VfsClient connect(Kernel kernel, int vnode, Duration timeout) throws org.smpcluster.vfs.cache.Errno.Failure {
        return connect(kernel, vnode, timeout, false);
    }

    /**
     * As above; with {@code asVnode}, the client's threads are the kernel's (their death ends the
     * process: not in a test's own JVM) and its waits end when the root is gone.
     */
    static VfsClient connect(Kernel kernel, int vnode, Duration timeout, boolean asVnode) throws org.smpcluster.vfs.cache.Errno.Failure {
        VfsClient[] box = new VfsClient[1];
        kernel.pipeline().attach(InterruptPipeline.KERNEL, VfsServer.CLIENT_VECTOR, (v, hits) -> {
            if (box[0] != null) {
                box[0].interrupt();
            }
            return false;
        });
        box[0] = asVnode
                ? new VfsClient(vnode, kernel.bridges(), kernel.portals()::raise, timeout, kernel::kernelThread,
                        org.smpcluster.vfs.Commands.rootAlive(kernel))
                : new VfsClient(vnode, kernel.bridges(), kernel.portals()::raise, timeout);
        return box[0];
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
