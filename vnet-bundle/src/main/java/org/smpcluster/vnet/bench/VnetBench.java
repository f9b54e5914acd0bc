package org.smpcluster.vnet.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.vnet.nic.NicImpl;
import org.smpcluster.vnet.nic.Subnet;
import org.smpcluster.vnet.nic.VnetCore;

/**
 * {@code net:bench}: the vnet figures between this vnode and another (on another CPU), each
 * beside the loopback socket a user would otherwise use between the same two processes,
 * measured in the same run, interleaved, over several rounds; medians printed.
 *
 * <ul>
 * <li>64-byte message rate: messages sent back to back for a while, then a count asked for;
 *     the transport's {@code send} beside one {@code write} per message on a TCP socket (Nagle
 *     on, as a stream's default, so the kernel may coalesce too).</li>
 * <li>64-byte round trip: a message echoed, over the transport and over TCP.</li>
 * <li>1472-byte UDP throughput: datagrams sent back to back; what arrived, counted by the far
 *     end, over vnet UDP and over loopback UDP.</li>
 * <li>CSMA/CD efficiency: Q stations (half on each vnode) saturating a 100 Mbit/s bench wire
 *     with 1518-byte frames, beside Metcalfe and Boggs's prediction for the same P, C, T.</li>
 * </ul>
 */
public final class VnetBench {

    /** Rounds run first and dropped (both sides), so that what is measured is compiled code. */
    static final int WARMUP_ROUNDS = 4;

    private final VnetCore core;
    private final PrintStream out;
    private final int rounds;
    private final long windowMillis;

    public VnetBench(VnetCore core, OutputStream out, int rounds, long windowMillis) {
        this.core = core;
        this.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        this.rounds = rounds;
        this.windowMillis = windowMillis;
    }

    /**
     * How long after its join a vnode whose NIC does not answer ARP may still be starting its
     * bundles (and is waited for); one that joined longer ago is down, and the bench fails then.
     */
    static final Duration STARTING = Duration.ofSeconds(30);

    /** Runs against {@code vnode}; {@code table} is the vnode table's entry of a vnode, now. */
    public void run(int vnode, java.util.function.IntFunction<VnodeState> table) throws Exception {
        NicImpl nic = core.nicImpls().stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("this vnode is on no network"));
        Inet4Address peer = Subnet.inet(nic.subnet().host(vnode));
        progress("connecting to vnode " + vnode + " (" + peer.getHostAddress() + ") on " + nic.network());
        try (Connection c = connect(peer, vnode, table, Duration.ofSeconds(60))) {
            String[] ports = ask(c, "P").split(" ");
            int tcpPort = Integer.parseInt(ports[1]);
            int udpPort = Integer.parseInt(ports[2]);
            try (Socket tcp = new Socket(InetAddress.getLoopbackAddress(), tcpPort);
                    UdpSocket udp = core.openUdp(0);
                    DatagramSocket loopback = new DatagramSocket()) {
                tcp.setTcpNoDelay(false);
                List<double[]> rate = new ArrayList<>();
                List<double[]> rtt = new ArrayList<>();
                List<double[]> udpRate = new ArrayList<>();
                // Both sides warm up alike, with whole rounds whose figures are dropped, so that
                // the JIT has compiled (and, after the UDP test's other paths, recompiled) what is
                // measured: one warm-up window left the transport's first rounds at a third to a
                // half of their later rate; loopback TCP's work is mostly the kernel's.
                for (int r = 1 - WARMUP_ROUNDS; r <= rounds; r++) {
                    progress(r <= 0 ? "warm-up round " + (r + WARMUP_ROUNDS) + " of " + WARMUP_ROUNDS
                            : "round " + r + " of " + rounds);
                    double[] m = {messageRate(c), tcpRate(tcp)};
                    double[] t = {roundTrip(c, 5000), tcpRoundTrip(tcp, 5000)};
                    double[] u = {vnetUdp(c, udp, peer), loopbackUdp(c, loopback, udpPort)};
                    progress(String.format(Locale.ROOT, "rate %.0f / %.0f k msg/s (%.2fx), round trip %.2f / %.2f us"
                            + " (%.3fx), vnet / loopback", m[0] / 1e3, m[1] / 1e3, m[0] / m[1], t[0], t[1], t[0] / t[1]));
                    if (r > 0) {
                        rate.add(m);
                        rtt.add(t);
                        udpRate.add(u);
                    }
                }
                progress("transport connection: " + c.stats());
                double vnetRate = median(rate, 0);
                double tcpRate = median(rate, 1);
                double vnetRtt = median(rtt, 0);
                double tcpRtt = median(rtt, 1);
                figure("message-rate-64B-vnet-transport", vnetRate / 1e3, "k msg/s");
                figure("message-rate-64B-loopback-tcp", tcpRate / 1e3, "k msg/s");
                figure("message-rate-ratio", vnetRate / tcpRate, "x (bar >= 4)");
                figure("round-trip-64B-vnet-transport", vnetRtt, "us");
                figure("round-trip-64B-loopback-tcp", tcpRtt, "us");
                figure("round-trip-ratio", vnetRtt / tcpRtt, "x (bar <= 0.25)");
                figure("udp-throughput-1472B-vnet", median(udpRate, 0) * 8 / 1e6, "Mbit/s");
                figure("udp-throughput-1472B-loopback", median(udpRate, 1) * 8 / 1e6, "Mbit/s");
                figure("udp-throughput-ratio", median(udpRate, 0) / median(udpRate, 1), "x");
            }
            efficiency(c);
        }
    }

    /**
     * Connects to the bench service of {@code vnode}, waiting up to {@code patience} for a vnode
     * still starting; fails at once if the vnode leaves the cluster, or does not answer ARP
     * {@link #STARTING} after its join (its NIC is down: nothing would answer in 60 s either).
     */
    private Connection connect(Inet4Address peer, int vnode, java.util.function.IntFunction<VnodeState> table,
            Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            VnodeState v = table.apply(vnode);
            if (!v.state().equals(VnodeState.JOINED) && !v.state().equals(VnodeState.BOOTING)) {
                throw new ConnectException("vnode " + vnode + " is not in the cluster (" + v.state() + ")");
            }
            try {
                core.ip().arp(peer);
            } catch (IOException e) {
                boolean starting = !v.state().equals(VnodeState.JOINED)
                        || System.currentTimeMillis() - v.joinedMillis() < STARTING.toMillis();
                if (!starting || System.nanoTime() > deadline) {
                    throw new ConnectException("vnode " + vnode + " (" + peer.getHostAddress() + ") does not answer ARP"
                            + (v.state().equals(VnodeState.JOINED) ? ", " + (System.currentTimeMillis() - v.joinedMillis())
                                    / 1000 + " s after it joined" : "") + ": its vnet is not running (" + e.getMessage() + ")");
                }
                continue; // ARP waited already (its attempts take most of a second)
            }
            try {
                return core.transport().connect(peer, BenchService.PORT, Duration.ofSeconds(2));
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new ConnectException("vnode at " + peer.getHostAddress() + " does not run the bench service: "
                            + e.getMessage());
                }
                Thread.sleep(200); // it is still starting its bundles: try again
            }
        }
    }

    private static String ask(Connection c, String command) throws Exception {
        c.send(command.getBytes(StandardCharsets.US_ASCII));
        byte[] answer = c.receive(Duration.ofSeconds(60));
        if (answer == null) {
            throw new IOException("no answer to '" + command + "' within 60 s");
        }
        return new String(answer, StandardCharsets.US_ASCII);
    }

    /** Sends one 64-byte message; asks the far end how many it counted. */
    private interface Channel {
        void send(byte[] message) throws Exception;

        long count() throws Exception;
    }

    /** Messages per second over the transport, counted by the far end. */
    private double messageRate(Connection c) throws Exception {
        return rate("the transport", new Channel() {
            @Override
            public void send(byte[] message) throws Exception {
                c.send(message);
            }

            @Override
            public long count() throws Exception {
                return Long.parseLong(ask(c, "C").split(" ")[1]);
            }
        });
    }

    /** The same over TCP: one write per message, the count as 8 bytes. */
    private double tcpRate(Socket tcp) throws Exception {
        var out = tcp.getOutputStream();
        var in = new DataInputStream(tcp.getInputStream());
        return rate("TCP", new Channel() {
            @Override
            public void send(byte[] message) throws Exception {
                out.write(message);
            }

            @Override
            public long count() throws Exception {
                byte[] ask = new byte[64];
                ask[0] = 'C';
                out.write(ask);
                return in.readLong();
            }
        });
    }

    private double rate(String what, Channel channel) throws Exception {
        byte[] m = new byte[64];
        m[0] = 'D';
        long start = System.nanoTime();
        long end = start + windowMillis * 1_000_000;
        long sent = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 64; i++) {
                channel.send(m);
            }
            sent += 64;
        }
        long counted = channel.count();
        long took = System.nanoTime() - start;
        if (counted != sent) {
            throw new IOException(what + " lost messages: sent " + sent + ", the far end counted " + counted);
        }
        return counted * 1e9 / took;
    }

    /** Median round trip in microseconds. */
    private static double roundTrip(Connection c, int count) throws Exception {
        byte[] m = new byte[64];
        m[0] = 'E';
        byte[] back = new byte[64];
        Duration patience = Duration.ofSeconds(10);
        long[] samples = new long[count];
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            c.send(m);
            if (c.receive(back, 0, back.length, patience) != back.length) { // as TCP's readFully(back)
                throw new IOException("no echo within 10 s");
            }
            samples[i] = System.nanoTime() - t;
        }
        Arrays.sort(samples);
        return samples[count / 2] / 1e3;
    }

    private static double tcpRoundTrip(Socket tcp, int count) throws Exception {
        var out = tcp.getOutputStream();
        var in = new DataInputStream(tcp.getInputStream());
        byte[] m = new byte[64];
        m[0] = 'E';
        byte[] back = new byte[64];
        long[] samples = new long[count];
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            out.write(m);
            in.readFully(back);
            samples[i] = System.nanoTime() - t;
        }
        Arrays.sort(samples);
        return samples[count / 2] / 1e3;
    }

    /** Bytes per second that arrived at the far end, over vnet UDP. */
    private double vnetUdp(Connection c, UdpSocket udp, Inet4Address peer) throws Exception {
        ask(c, "U");
        byte[] d = new byte[UdpSocket.MAX_PAYLOAD];
        long start = System.nanoTime();
        long end = start + windowMillis * 1_000_000;
        while (System.nanoTime() < end) {
            udp.send(peer, BenchService.UDP_PORT, d);
        }
        long took = System.nanoTime() - start;
        Thread.sleep(50); // the far end drains what is in flight
        return Long.parseLong(ask(c, "U").split(" ")[1]) * 1e9 / took;
    }

    private double loopbackUdp(Connection c, DatagramSocket socket, int port) throws Exception {
        ask(c, "U");
        byte[] d = new byte[UdpSocket.MAX_PAYLOAD];
        DatagramPacket p = new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), port);
        long start = System.nanoTime();
        long end = start + windowMillis * 1_000_000;
        while (System.nanoTime() < end) {
            socket.send(p);
        }
        long took = System.nanoTime() - start;
        Thread.sleep(50);
        return Long.parseLong(ask(c, "U").split(" ")[2]) * 1e9 / took;
    }

    /** CSMA/CD efficiency with Q = 2, 4, 8 stations, half here and half on the far vnode. */
    private void efficiency(Connection c) throws Exception {
        int frame = 1518;
        double p = frame * 8.0;
        double capacity = Saturation.BIT_RATE;
        double slot = Saturation.SLOT_NANOS / 1e9;
        for (int q : new int[] {2, 4, 8}) {
            progress("CSMA/CD with " + q + " stations saturating the bench wire");
            String wire = "e" + q + "-" + ThreadLocalRandom.current().nextInt(1000);
            int half = q / 2;
            long millis = 2000;
            // Format the wire here first, with the bench parameters, before the far end attaches.
            try (VnetCore.BenchWire held = core.benchWire(wire, Saturation.params())) {
                String[] answer = new String[1];
                Exception[] failed = new Exception[1];
                Thread far = Thread.ofPlatform().start(() -> {
                    try {
                        answer[0] = ask(c, "S " + wire + " " + half + " 100 " + millis + " " + frame);
                    } catch (Exception e) {
                        failed[0] = e;
                    }
                });
                Saturation.Result here = Saturation.run(core, wire, q - half, 0, millis, frame);
                far.join();
                if (failed[0] != null) {
                    throw failed[0];
                }
                String[] w = answer[0].split(" ");
                long frames = here.frames() + Long.parseLong(w[1]);
                long collisions = here.collisions() + Long.parseLong(w[2]);
                double measured = frames * p / (capacity * millis / 1e3);
                double a = Math.pow(1 - 1.0 / q, q - 1);
                double waits = (1 - a) / a;
                double predicted = (p / capacity) / (p / capacity + waits * slot);
                figure("csma-cd-efficiency-q" + q + "-measured", measured, "(" + frames + " frames, " + collisions
                        + " collisions)");
                figure("csma-cd-efficiency-q" + q + "-metcalfe-boggs", predicted, "(P=" + frame * 8 + " bits, C=100 Mbit/s, T="
                        + Saturation.SLOT_NANOS / 1000 + " us)");
            }
        }
    }

    private static double median(List<double[]> samples, int column) {
        double[] v = samples.stream().mapToDouble(s -> s[column]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private void figure(String name, double value, String unit) {
        out.printf(Locale.ROOT, "vnet %s %.3f %s%n", name, value, unit);
    }

    private void progress(String what) {
        out.println("vnet bench: " + what);
    }
}
