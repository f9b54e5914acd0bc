package org.smpcluster.vnet.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.Datagram;
import org.smpcluster.api.vnet.TransportListener;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.vnet.nic.VnetCore;

/**
 * The far end of {@code net:bench}, running on every vnode: on transport port {@value #PORT}
 * it echoes ('E') or counts ('D') 64-byte messages, streams numbered messages back ('T', for
 * the hot-swap test) and answers control messages; on UDP port
 * {@value #UDP_PORT} it counts datagrams; and for the comparison a user would otherwise make, it
 * does the same over loopback TCP and UDP sockets of its own (their ports told by 'P').
 */
public final class BenchService implements AutoCloseable {

    public static final int PORT = 9;

    /** The UDP port datagrams are counted on (the transport's port 9 is a UDP port too). */
    public static final int UDP_PORT = 10;

    private final VnetCore core;
    private final TransportListener listener;
    private final UdpSocket udp;
    private final ServerSocket tcp;
    private final DatagramSocket loopbackUdp;
    private final AtomicLong vnetBytes = new AtomicLong();
    private final AtomicLong loopbackBytes = new AtomicLong();
    private volatile boolean running = true;

    public BenchService(VnetCore core) throws IOException {
        this.core = core;
        this.listener = core.transport().listen(PORT);
        try {
            this.udp = core.openUdp(UDP_PORT);
            this.tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.loopbackUdp = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
        loopbackUdp.setReceiveBufferSize(4 << 20);
        Thread.ofPlatform().daemon().name("vnet-bench-accept").start(this::accept);
        Thread.ofPlatform().daemon().name("vnet-bench-udp").start(this::countVnetUdp);
        Thread.ofPlatform().daemon().name("vnet-bench-loopback-udp").start(this::countLoopbackUdp);
        Thread.ofPlatform().daemon().name("vnet-bench-tcp").start(this::acceptTcp);
    }

    private void accept() {
        while (running) {
            try {
                Connection c = listener.accept(Duration.ofMillis(200));
                if (c != null) {
                    Thread.ofPlatform().daemon().name("vnet-bench-connection").start(() -> serve(c));
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void serve(Connection c) {
        long counted = 0;
        // One message per call into a buffer used again, as the TCP side reads each message
        // into one (readFully); an echo is a copy, as the TCP side's write is.
        byte[] buffer = new byte[64 << 10];
        Duration patience = Duration.ofSeconds(60);
        try (c) {
            while (running) {
                int n = c.receive(buffer, 0, buffer.length, patience);
                if (n <= 0) {
                    continue;
                }
                byte[] m = buffer;
                switch (m[0]) {
                    case 'E' -> c.send(java.util.Arrays.copyOf(m, n));
                    case 'D' -> counted++;
                    case 'C' -> {
                        c.send(reply("count " + counted));
                        counted = 0;
                    }
                    case 'P' -> c.send(reply("ports " + tcp.getLocalPort() + " " + loopbackUdp.getLocalPort()));
                    case 'U' -> c.send(reply("udp " + vnetBytes.getAndSet(0) + " " + loopbackBytes.getAndSet(0)));
                    case 'S' -> {
                        String[] w = new String(m, 0, n, StandardCharsets.US_ASCII).strip().split(" ");
                        Saturation.Result r = Saturation.run(core, w[1], Integer.parseInt(w[2]), Integer.parseInt(w[3]),
                                Long.parseLong(w[4]), Integer.parseInt(w[5]));
                        c.send(reply("sat " + r.frames() + " " + r.collisions() + " " + r.excessive()));
                    }
                    case 'T' -> {
                        String[] w = new String(m, 0, n, StandardCharsets.US_ASCII).strip().split(" ");
                        stream(c.remoteAddress(), Integer.parseInt(w[1]), Long.parseLong(w[2]),
                                Long.parseLong(w[3]));
                        c.send(reply("streaming"));
                    }
                    default -> c.send(reply("unknown"));
                }
            }
        } catch (EOFException e) {
            // the bench is done with this connection
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.getLogger(BenchService.class.getName()).log(System.Logger.Level.WARNING, "bench connection: " + e);
        }
    }

    /**
     * 'T PORT COUNT PAUSE_US': connects back to {@code to}:{@code port} and sends COUNT 64-byte
     * messages numbered from 0, one every PAUSE_US microseconds (0: back to back), then closes.
     */
    private void stream(java.net.Inet4Address to, int port, long count, long pauseMicros) {
        Thread.ofPlatform().daemon().name("vnet-bench-stream").start(() -> {
            try (Connection out = core.transport().connect(to, port, Duration.ofSeconds(10))) {
                for (long i = 0; i < count; i++) {
                    out.send(java.nio.ByteBuffer.allocate(64).putLong(i).array());
                    if (pauseMicros > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(pauseMicros * 1_000);
                    }
                }
                out.flush(Duration.ofSeconds(60));
            } catch (IOException | InterruptedException | RuntimeException e) {
                System.getLogger(BenchService.class.getName()).log(System.Logger.Level.WARNING, "bench stream: " + e);
            }
        });
    }

    static byte[] reply(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private void countVnetUdp() {
        while (running) {
            try {
                Datagram d = udp.receive(Duration.ofMillis(200));
                if (d != null) {
                    vnetBytes.addAndGet(d.payload().length);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void countLoopbackUdp() {
        byte[] buffer = new byte[2048];
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        while (running) {
            try {
                loopbackUdp.receive(p);
                loopbackBytes.addAndGet(p.getLength());
            } catch (IOException e) {
                return;
            }
        }
    }

    private void acceptTcp() {
        while (running) {
            try {
                Socket s = tcp.accept();
                s.setTcpNoDelay(false);
                Thread.ofPlatform().daemon().name("vnet-bench-tcp-connection").start(() -> serveTcp(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The same protocol as the transport's, over TCP: 64-byte messages, 'C' answered with an 8-byte count. */
    private void serveTcp(Socket s) {
        try (s; DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
                DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            byte[] m = new byte[64];
            long counted = 0;
            while (running) {
                in.readFully(m);
                switch (m[0]) {
                    case 'E' -> out.write(m);
                    case 'D' -> counted++;
                    case 'C' -> {
                        out.writeLong(counted);
                        counted = 0;
                    }
                    default -> {
                        return;
                    }
                }
            }
        } catch (IOException e) {
            // closed by the bench
        }
    }

    @Override
    public void close() {
        running = false;
        listener.close();
        udp.close();
        loopbackUdp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
