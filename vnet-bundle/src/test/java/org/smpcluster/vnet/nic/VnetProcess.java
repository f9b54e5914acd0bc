package org.smpcluster.vnet.nic;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.ExcessiveCollisionsException;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.vnet.link.WireLayout;
import org.smpcluster.vnet.link.WireParams;

/**
 * A vnode with a NIC on network "eth0", in its own JVM, for the multi-process tests. It
 * joins, attaches, plays one scenario, reports on stdout, and leaves when stdin closes.
 *
 * <p>Usage: {@code VnetProcess DIR CLUSTER VNODE SCENARIO [ARGS...]}; scenarios:
 * {@code send COUNT TO_VNODE} sends COUNT numbered frames as fast as it can;
 * {@code hold} takes the carrier and keeps it (until killed); {@code stall} sends a frame
 * and stalls holding the carrier until told to go on.
 */
public final class VnetProcess {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int vnode = Integer.parseInt(args[2]);
        try (Kernel kernel = Kernel.boot(Kernel.Config.joiner(dir, args[1], vnode));
                VnetCore vnet = new VnetCore(vnode, kernel.bridges(), kernel.portals()::raise, WireParams.DEFAULT,
                        50_000)) {
            kernel.pipeline().attach(InterruptPipeline.KERNEL, VnetCore.VECTOR, (v, hits) -> {
                vnet.interrupt();
                return false;
            });
            NicImpl nic = vnet.attach("eth0", "10.0.0.0/24");
            say("attached " + nic.mac());
            switch (args[3]) {
                case "send" -> send(nic, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
                case "hold" -> hold(nic);
                case "stall" -> stall(nic);
                case "stream" -> stream(vnet, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
                case "flood" -> flood(nic);
                default -> throw new IllegalArgumentException("no scenario " + args[3]);
            }
            System.in.read();
        }
    }

    /** Waits for "go" on stdin, then sends {@code count} frames numbered 0.. to {@code to}. */
    private static void send(NicImpl nic, int count, int to) throws Exception {
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        if (!"go".equals(in.readLine())) {
            return;
        }
        long excessive = 0;
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            byte[] payload = ByteBuffer.allocate(64).putInt(nic.vnode()).putInt(i).array();
            try {
                nic.send(new EthernetFrame(VnetCore.mac("eth0", to), nic.mac(), 0x88B5, payload));
            } catch (ExcessiveCollisionsException e) {
                excessive++;
                i--; // the frame was not sent: send it again
            }
        }
        long took = System.nanoTime() - start;
        var c = nic.station().view().counters();
        say("sent " + count + " in " + took / 1_000_000 + " ms collisions " + c.get(WireLayout.Counter.COLLISIONS)
                + " deferrals " + c.get(WireLayout.Counter.DEFERRALS) + " jabbercuts " + c.get(WireLayout.Counter.JABBER_CUTS)
                + " carrierlost " + c.get(WireLayout.Counter.TX_CARRIER_LOST) + " excessive " + excessive);
    }

    /**
     * On "go", connects to the root's {@code port} and says so; on "stream", sends {@code count}
     * 64-byte messages numbered 0.., then closes.
     */
    private static void stream(VnetCore vnet, int count, int port) throws Exception {
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        if (!"go".equals(in.readLine())) {
            return;
        }
        var root = org.smpcluster.vnet.nic.Subnet.inet(0x0A000001);
        try (var c = vnet.transport().connect(root, port, java.time.Duration.ofSeconds(25))) { // within the root's 30 s accept
            say("connected");
            if (!"stream".equals(in.readLine())) {
                return;
            }
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                c.send(ByteBuffer.allocate(64).putInt(i).array());
            }
            boolean flushed = c.flush(java.time.Duration.ofSeconds(180));
            long took = System.nanoTime() - start;
            say("streamed " + count + " in " + took / 1_000_000 + " ms flushed " + flushed + " " + c.stats());
        }
    }

    /** Broadcasts frames as fast as it can until stdin closes: a station contending for the wire. */
    private static void flood(NicImpl nic) throws Exception {
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread t = Thread.ofPlatform().start(() -> {
            long sent = 0;
            while (!stop.get()) {
                try {
                    nic.send(new EthernetFrame(org.smpcluster.api.vnet.MacAddress.BROADCAST, nic.mac(), 0x88B5,
                            new byte[200]));
                    if (++sent == 1000) {
                        say("flooding");
                    }
                } catch (ExcessiveCollisionsException e) {
                    // and on
                }
            }
        });
        System.in.read();
        stop.set(true);
        t.join();
    }

    /**
     * On "go", sends one frame to the root, stalling while it holds the carrier: says
     * "holding", and goes on when stdin says "release" (the test stops this process meanwhile).
     */
    private static void stall(NicImpl nic) throws Exception {
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        if (!"go".equals(in.readLine())) {
            return;
        }
        byte[] frame = org.smpcluster.vnet.link.FrameCodec.encode(new EthernetFrame(VnetCore.mac("eth0", 0), nic.mac(),
                0x88B5, "stalled".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        var outcome = nic.station().transmitStalling(frame, frame.length, () -> {
            say("holding");
            try {
                if (!"release".equals(in.readLine())) {
                    throw new IllegalStateException("expected 'release'");
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        var c = nic.station().view().counters();
        say("sent " + outcome + " carrierlost " + c.get(WireLayout.Counter.TX_CARRIER_LOST));
    }

    /** Takes the carrier as if in the middle of a frame, and never lets go. */
    private static void hold(NicImpl nic) {
        nic.station().seizeCarrier();
        say("holding");
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
