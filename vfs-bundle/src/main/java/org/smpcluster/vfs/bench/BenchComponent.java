package org.smpcluster.vfs.bench;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.vfs.Vfs;
import org.smpcluster.api.vnet.Connection;
import org.smpcluster.api.vnet.Nic;
import org.smpcluster.api.vnet.TransportListener;
import org.smpcluster.api.vnet.Vnet;

/**
 * The filesystem benchmark's parts on every vnode: on the root the NFS-style server and the
 * {@code vfs:bench} command; on the others an agent (transport port {@value #AGENT_PORT}) that
 * runs the benchmark there when the root asks and sends its lines back.
 */
@Component(configurationPolicy = ConfigurationPolicy.IGNORE, immediate = true, service = BenchComponent.class,
        property = {"osgi.command.scope=vfs", "osgi.command.function=bench"})
public final class BenchComponent {

    public static final int AGENT_PORT = 2050;

    private static final System.Logger LOG = System.getLogger(BenchComponent.class.getName());

    private final Nanokernel nanokernel;
    private final Vfs vfs;
    private final Vnet vnet;
    private final NfsStyle.Server server;
    private final TransportListener agent;
    private volatile boolean running = true;

    @Activate
    public BenchComponent(@Reference Nanokernel nanokernel, @Reference Vfs vfs, @Reference Vnet vnet) {
        this.nanokernel = nanokernel;
        this.vfs = vfs;
        this.vnet = vnet;
        if (nanokernel.isRoot()) {
            this.server = new NfsStyle.Server(vnet.transport(), vfs);
            this.agent = null;
        } else {
            this.server = null;
            this.agent = vnet.transport().listen(AGENT_PORT);
            nanokernel.kernelThread("vfs-bench-agent", this::serveAgent).start();
        }
    }

    private Nic nic() {
        return vnet.nics().stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("vnode " + nanokernel.vnodeId() + " is on no network"));
    }

    /** Vnode {@code v}'s address in the default plan of this vnode's first network (the root .1, vnode v .v+1). */
    private Inet4Address addressOf(int v) throws IOException {
        Nic nic = nic();
        byte[] a = nic.address().getAddress();
        int ip = ((a[0] & 0xFF) << 24 | (a[1] & 0xFF) << 16 | (a[2] & 0xFF) << 8 | (a[3] & 0xFF)) - (nanokernel.vnodeId() + 1) + (v + 1);
        return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
    }

    private void serveAgent() {
        while (running) {
            try {
                Connection c = agent.accept(Duration.ofMillis(200));
                if (c == null) {
                    continue;
                }
                Thread.ofPlatform().daemon().name("vfs-bench-run").start(() -> {
                    try (c) {
                        String[] args = new String(c.receive(Duration.ofSeconds(10)), StandardCharsets.UTF_8).split(" ");
                        VfsBench bench = new VfsBench(vfs, vnet.transport(), addressOf(0), line -> {
                            try {
                                c.send(line.getBytes(StandardCharsets.UTF_8));
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                        try {
                            bench.run(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
                            c.send("done".getBytes(StandardCharsets.UTF_8));
                        } catch (Exception e) {
                            LOG.log(Level.WARNING, "vfs bench failed", e);
                            c.send(("failed " + e).getBytes(StandardCharsets.UTF_8));
                        }
                        c.flush(Duration.ofSeconds(10));
                    } catch (IOException | InterruptedException | RuntimeException e) {
                        LOG.log(Level.WARNING, "vfs bench agent: " + e);
                    }
                });
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(Level.WARNING, "vfs bench agent: " + e);
                }
                return;
            }
        }
    }

    @Descriptor("benchmark the cluster filesystem on a non-root vnode: the page cache against an NFS-style protocol over vnet and a memory copy")
    public String bench(
            @Descriptor("the vnode that reads") @Parameter(names = {"-v", "--vnode"}, absentValue = "1") int vnode,
            @Descriptor("file size in MiB (it should fit the page cache)") @Parameter(names = {"-s", "--size"}, absentValue = "24") int size,
            @Descriptor("interleaved rounds") @Parameter(names = {"-r", "--rounds"}, absentValue = "5") int rounds,
            @Descriptor("small files per round") @Parameter(names = {"-f", "--files"}, absentValue = "500") int files)
            throws IOException, InterruptedException {
        if (!nanokernel.isRoot()) {
            throw new IllegalStateException("run vfs:bench on the root; it asks vnode " + vnode + " to read");
        }
        if (vnode < 1 || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException("--vnode " + vnode + ": the reader must be a non-root vnode (1.."
                    + (Nanokernel.MAX_VNODES - 1) + ")");
        }
        if (size < 1 || rounds < 1 || files < 1) {
            throw new IllegalArgumentException("--size, --rounds and --files must be positive");
        }
        StringBuilder out = new StringBuilder();
        Inet4Address peer = addressOf(vnode);
        System.out.println("# connecting to vnode " + vnode + "'s bench agent at " + peer.getHostAddress());
        try (Connection c = connect(peer, vnode)) {
            c.send((size + " " + rounds + " " + files).getBytes(StandardCharsets.UTF_8));
            while (true) {
                byte[] m = c.receive(Duration.ofSeconds(600));
                if (m == null) {
                    throw new IOException("vnode " + vnode + " went quiet for 600 s");
                }
                String line = new String(m, StandardCharsets.UTF_8);
                if (line.equals("done")) {
                    break;
                }
                if (line.startsWith("failed ")) {
                    throw new IOException("the benchmark on vnode " + vnode + " " + line);
                }
                if (line.startsWith("#")) {
                    System.out.println(line);
                } else {
                    out.append(line).append('\n');
                }
            }
        }
        return out.toString();
    }

    /** Connects to the agent, waiting for a vnode that is still starting (its network or filesystem not up yet). */
    private Connection connect(Inet4Address peer, int vnode) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                return vnet.transport().connect(peer, AGENT_PORT, Duration.ofSeconds(5));
            } catch (IOException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("vnode " + vnode + "'s bench agent does not answer in 60 s: " + e.getMessage(), e);
                }
                System.out.println("# vnode " + vnode + " is not ready (" + e.getMessage() + "); trying again");
                Thread.sleep(500); // a retry interval, not a wait for a state
            }
        }
    }

    @Deactivate
    void close() {
        running = false;
        if (server != null) {
            server.close();
        }
        if (agent != null) {
            agent.close();
        }
    }
}
