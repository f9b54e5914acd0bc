package org.smpcluster.vfs.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.api.vnet.Transport;

/**
 * {@code ./smpcluster bench vfs}, run on a non-root vnode: sequential read of a large file
 * through the shared page cache, the same through the NFS-style protocol over the vnet
 * transport, and a local memory copy of the same size into the same buffer; then small-file
 * create/stat/unlink rates both ways. Rounds are interleaved and figures are medians.
 */
public final class VfsBench {

    private final Vfs vfs;
    private final Transport transport;
    private final Inet4Address root;
    private final Consumer<String> out;

    public VfsBench(Vfs vfs, Transport transport, Inet4Address root, Consumer<String> out) {
        this.vfs = vfs;
        this.transport = transport;
        this.root = root;
        this.out = out;
    }

    private void progress(String s) {
        out.accept("# " + s);
    }

    private void figure(String name, double value, String unit) {
        out.accept(String.format("vfs %s %.2f %s", name, value, unit));
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    public void run(int sizeMiB, int rounds, int files) throws IOException {
        long size = (long) sizeMiB << 20;
        String name = "/tmp/bench-vfs-" + ProcessHandle.current().pid();
        Path file = vfs.path(name);
        ByteBuffer buffer = ByteBuffer.allocateDirect(NfsStyle.RSIZE);
        try (Arena arena = Arena.ofConfined();
                NfsStyle.Client nfs = new NfsStyle.Client(transport, root)) {
            progress("writing a " + sizeMiB + " MiB file " + name + " through the page cache");
            MemorySegment source = arena.allocate(size, 4096);
            byte[] chunk = new byte[1 << 20];
            new Random(1).nextBytes(chunk);
            try (FileChannel ch = (FileChannel) Files.newByteChannel(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (long at = 0; at < size; at += chunk.length) {
                    ch.write(ByteBuffer.wrap(chunk));
                    MemorySegment.copy(MemorySegment.ofArray(chunk), 0, source, at, chunk.length);
                }
                ch.force(true);
            }
            if (nfs.size(name) != size) {
                throw new IOException("the nfs-style server sees " + nfs.size(name) + " bytes, not " + size);
            }
            List<Double> cache = new ArrayList<>();
            List<Double> remote = new ArrayList<>();
            List<Double> memcpy = new ArrayList<>();
            List<Double> openClose = new ArrayList<>();
            List<Double> openOnly = new ArrayList<>();
            List<Double> readOnly = new ArrayList<>();
            progress("warming up (the JIT compiles each path, here and on the root, before it is timed)");
            for (int i = 0; i < 2000; i++) {
                Files.newByteChannel(file).close(); // opening and closing, served by the root
            }
            for (int i = 0; i < 30; i++) {
                readCache(file, buffer, size);
                copy(source, buffer, size);
            }
            for (int r = -3; r <= rounds; r++) {
                // rounds -3..0 are whole rounds whose figures are dropped: the JIT of both vnodes settles
                progress(r <= 0 ? "warm-up round " + (r + 4) + " of 4" : "round " + r + " of " + rounds);
                if (r == 1) {
                    cache.clear();
                    remote.clear();
                    memcpy.clear();
                    openClose.clear();
                    openOnly.clear();
                    readOnly.clear();
                }
                // Each phase starts on a collected heap: the NFS-style path's messages are garbage
                // (a vnode's heap is small), and its collection must not land in the next phase.
                System.gc();
                cache.add(readCache(file, buffer, size));
                openClose.add(lastOpenCloseNanos / 1e3);
                openOnly.add(lastOpenNanos / 1e3);
                progress(String.format("open %.0f us (%.0f until the root took it, %.0f served, %.0f until this vnode saw the answer)",
                        lastOpenNanos / 1e3, lastOpenLatency[0], lastOpenLatency[1], lastOpenLatency[2]));
                readOnly.add(size / (lastReadNanos / 1e9) / 1e6);
                System.gc();
                remote.add(readNfs(nfs, name, buffer, size));
                System.gc();
                memcpy.add(copy(source, buffer, size));
            }
            double c = median(cache);
            double n = median(remote);
            double m = median(memcpy);
            figure("sequential-read-page-cache", c, "MB/s");
            figure("sequential-read-nfs-style-over-vnet", n, "MB/s");
            figure("memory-copy", m, "MB/s");
            figure("page-cache-over-nfs-style-ratio", c / n, "x (bar >= 5)");
            figure("page-cache-over-memory-copy-ratio", c / m, "x (bar >= 0.5)");
            figure("page-cache-open-and-close", median(openClose), "us (two requests to the root, in the read above)");
            figure("page-cache-open", median(openOnly), "us");
            if (vfs instanceof org.smpcluster.vfs.VfsService service) {
                double[] l = service.client().requestLatency();
                progress(String.format("this vnode's last requests (medians): %.1f us until the root took them, %.1f us served, %.1f us back",
                        l[0], l[1], l[2]));
            }
            figure("page-cache-read-calls-alone", median(readOnly), "MB/s (the read above without its open and close)");
            Files.delete(file);

            progress("small files: " + files + " each of create, stat, unlink, per round");
            List<double[]> small = new ArrayList<>();
            smallCache(name, Math.min(files, 100));
            smallNfs(nfs, name, Math.min(files, 100));
            for (int r = 1; r <= rounds; r++) {
                progress("round " + r + " of " + rounds);
                double[] a = smallCache(name, files);
                double[] b = smallNfs(nfs, name, files);
                small.add(new double[] {a[0], a[1], a[2], b[0], b[1], b[2]});
            }
            String[] ops = {"create", "stat", "unlink"};
            for (int i = 0; i < 3; i++) {
                int k = i;
                double pc = median(small.stream().map(x -> x[k]).toList());
                double ns = median(small.stream().map(x -> x[k + 3]).toList());
                figure(ops[i] + "-rate-page-cache", pc / 1e3, "k op/s");
                figure(ops[i] + "-rate-nfs-style-over-vnet", ns / 1e3, "k op/s");
                figure(ops[i] + "-rate-ratio", pc / ns, "x");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Open, read to the end, close: what a program reading a file does. Also notes the open and close times. */
    private double readCache(Path file, ByteBuffer buffer, long size) throws IOException {
        long start = System.nanoTime();
        long total = 0;
        FileChannel ch = (FileChannel) Files.newByteChannel(file);
        long opened = System.nanoTime();
        if (vfs instanceof org.smpcluster.vfs.VfsService service) {
            lastOpenLatency = service.client().lastRequestLatency();
        }
        try {
            while (true) {
                int n = ch.read(buffer.clear());
                if (n < 0) {
                    break;
                }
                total += n;
            }
        } finally {
            long read = System.nanoTime();
            ch.close();
            lastOpenNanos = opened - start;
            lastOpenCloseNanos = opened - start + System.nanoTime() - read;
            lastReadNanos = read - opened;
        }
        return check(total, size, start);
    }

    private long lastOpenCloseNanos;
    private long lastOpenNanos;
    private double[] lastOpenLatency = new double[3];
    private long lastReadNanos;

    private double readNfs(NfsStyle.Client nfs, String name, ByteBuffer buffer, long size) throws IOException {
        long start = System.nanoTime();
        long total = 0;
        while (total < size) {
            int n = nfs.read(name, total, buffer.clear());
            if (n == 0) {
                break;
            }
            total += n;
        }
        return check(total, size, start);
    }

    /** The same bytes copied from memory into the same buffer, in the same pieces. */
    private double copy(MemorySegment source, ByteBuffer buffer, long size) {
        long start = System.nanoTime();
        MemorySegment into = MemorySegment.ofBuffer(buffer.clear());
        long total = 0;
        while (total < size) {
            int n = (int) Math.min(into.byteSize(), size - total);
            MemorySegment.copy(source, total, into, 0, n);
            total += n;
        }
        return check(total, size, start);
    }

    private static double check(long total, long size, long start) {
        long took = System.nanoTime() - start;
        if (total != size) {
            throw new IllegalStateException("read " + total + " bytes of " + size);
        }
        return size / (took / 1e9) / 1e6;
    }

    private double[] smallCache(String base, int files) throws IOException {
        Path[] p = new Path[files];
        for (int i = 0; i < files; i++) {
            p[i] = vfs.path(base + "-small-" + i);
        }
        long t0 = System.nanoTime();
        for (Path f : p) {
            Files.newByteChannel(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        }
        long t1 = System.nanoTime();
        for (Path f : p) {
            Files.readAttributes(f, BasicFileAttributes.class);
        }
        long t2 = System.nanoTime();
        for (Path f : p) {
            Files.delete(f);
        }
        long t3 = System.nanoTime();
        return rates(files, t0, t1, t2, t3);
    }

    private double[] smallNfs(NfsStyle.Client nfs, String base, int files) throws IOException {
        String[] p = new String[files];
        for (int i = 0; i < files; i++) {
            p[i] = base + "-nfs-" + i;
        }
        long t0 = System.nanoTime();
        for (String f : p) {
            nfs.create(f);
        }
        long t1 = System.nanoTime();
        for (String f : p) {
            nfs.size(f);
        }
        long t2 = System.nanoTime();
        for (String f : p) {
            nfs.remove(f);
        }
        long t3 = System.nanoTime();
        return rates(files, t0, t1, t2, t3);
    }

    private static double[] rates(int n, long t0, long t1, long t2, long t3) {
        return Arrays.stream(new long[] {t1 - t0, t2 - t1, t3 - t2}).mapToDouble(t -> n / (t / 1e9)).toArray();
    }
}
