package org.smpcluster.vfs.bench;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.Transport;
import org.smpcluster.api.vnet.TransportListener;

/**
 * The comparison the benchmark makes: a simple NFS-style request/response protocol over the vnet
 * transport (the paper's "two layers": a filesystem protocol over a network stack). The server
 * runs on the root and serves the same repository through the root's own filesystem; the client
 * asks for one operation at a time and waits for its answer, reading in {@value #RSIZE}-byte
 * pieces (NFSv4's usual maximum rsize).
 *
 * <p>Requests: {@code R off len path} read, {@code A path} getattr (size), {@code C path}
 * create, {@code U path} remove. Answers start with a status byte: 0 ok, 2 ENOENT, 5 EIO.
 */
public final class NfsStyle {

    public static final int PORT = 2049;
    public static final int RSIZE = 1 << 20;

    private static final System.Logger LOG = System.getLogger(NfsStyle.class.getName());

    private NfsStyle() {
    }

    /** The root's server: one virtual thread per connection, answering in order. */
    public static final class Server implements AutoCloseable {
        private final TransportListener listener;
        private final Vfs vfs;
        private volatile boolean running = true;

        public Server(Transport transport, Vfs vfs) {
            this.vfs = vfs;
            this.listener = transport.listen(PORT);
            Thread.ofPlatform().daemon().name("vfs-nfs-accept").start(this::accept);
        }

        private void accept() {
            while (running) {
                try {
                    Connection c = listener.accept(Duration.ofMillis(200));
                    if (c != null) {
                        Thread.ofVirtual().name("vfs-nfs-serve").start(() -> serve(c));
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    if (running) {
                        LOG.log(Level.WARNING, "nfs-style server: " + e);
                    }
                    return;
                }
            }
        }

        private void serve(Connection c) {
            try (c) {
                while (running) {
                    byte[] m = c.receive(Duration.ofSeconds(600));
                    if (m == null) {
                        return;
                    }
                    c.send(answer(ByteBuffer.wrap(m)));
                }
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        }

        private byte[] answer(ByteBuffer m) {
            byte op = m.get();
            try {
                switch (op) {
                    case 'R' -> {
                        long off = m.getLong();
                        int len = m.getInt();
                        Path p = path(m);
                        ByteBuffer out = ByteBuffer.allocate(1 + len);
                        out.put((byte) 0);
                        try (FileChannel ch = (FileChannel) Files.newByteChannel(p)) {
                            while (out.hasRemaining() && ch.read(out, off + out.position() - 1) > 0) {
                                // read on
                            }
                        }
                        return java.util.Arrays.copyOf(out.array(), out.position());
                    }
                    case 'A' -> {
                        return ByteBuffer.allocate(9).put((byte) 0).putLong(Files.size(path(m))).array();
                    }
                    case 'C' -> {
                        Files.newByteChannel(path(m), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                        return new byte[] {0};
                    }
                    case 'U' -> {
                        Files.delete(path(m));
                        return new byte[] {0};
                    }
                    default -> {
                        return new byte[] {5};
                    }
                }
            } catch (NoSuchFileException e) {
                return new byte[] {2};
            } catch (IOException | RuntimeException e) {
                return new byte[] {5};
            }
        }

        private Path path(ByteBuffer m) {
            byte[] b = new byte[m.remaining()];
            m.get(b);
            return vfs.path(new String(b, StandardCharsets.UTF_8));
        }

        @Override
        public void close() {
            running = false;
            listener.close();
        }
    }

    /** A client of one connection. */
    public static final class Client implements AutoCloseable {
        private final Connection c;

        public Client(Transport transport, Inet4Address root) throws IOException {
            this.c = transport.connect(root, PORT, Duration.ofSeconds(30));
        }

        private ByteBuffer call(byte op, ByteBuffer head, String path) throws IOException {
            byte[] p = path.getBytes(StandardCharsets.UTF_8);
            ByteBuffer m = ByteBuffer.allocate(1 + (head == null ? 0 : head.remaining()) + p.length);
            m.put(op);
            if (head != null) {
                m.put(head);
            }
            m.put(p);
            c.send(m.array());
            byte[] a;
            try {
                a = c.receive(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (a == null) {
                throw new IOException("no answer from the nfs-style server in 60 s");
            }
            ByteBuffer b = ByteBuffer.wrap(a);
            byte status = b.get();
            if (status == 2) {
                throw new NoSuchFileException(path);
            }
            if (status != 0) {
                throw new IOException("nfs-style " + (char) op + " " + path + ": status " + status);
            }
            return b;
        }

        /** Reads up to {@code into.remaining()} bytes at {@code off}; returns how many. */
        public int read(String path, long off, ByteBuffer into) throws IOException {
            ByteBuffer a = call((byte) 'R', ByteBuffer.allocate(12).putLong(off).putInt(into.remaining()).flip(), path);
            int n = a.remaining();
            into.put(a);
            return n;
        }

        public long size(String path) throws IOException {
            return call((byte) 'A', null, path).getLong();
        }

        public void create(String path) throws IOException {
            call((byte) 'C', null, path);
        }

        public void remove(String path) throws IOException {
            call((byte) 'U', null, path);
        }

        @Override
        public void close() {
            c.close();
        }
    }
}
