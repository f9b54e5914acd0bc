package org.smpcluster.vnet;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.VnodeState;
import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.ExcessiveCollisionsException;
import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.api.vnet.Nic;
import org.smpcluster.api.vnet.NicStats;
import org.smpcluster.api.vnet.Vnet;
import org.smpcluster.vnet.link.Pcap;
import org.smpcluster.vnet.link.Wire;
import org.smpcluster.vnet.link.WireLayout.Counter;
import org.smpcluster.vnet.nic.NicImpl;
import org.smpcluster.vnet.nic.VnetCore;

/** Gogo commands, scope {@code net}: interfaces, statistics, the wire, capture. */
public final class NetCommands {

    /** The EtherType of {@code net:send}'s frames: IEEE 802 local experimental 1. */
    public static final int EXPERIMENTAL = 0x88B5;

    static final String[] FUNCTIONS = {"ifconfig", "stats", "wire", "capture", "attach", "send", "ping", "arp", "bench"};

    /** The most frames one {@code net:send}, requests one {@code net:ping}, frames one {@code net:capture}. */
    static final int MAX_COUNT = 1_000_000;
    /** The longest {@code net:ping -W} and {@code net:capture -t}. */
    static final int MAX_WAIT_SECONDS = 3600;

    /** What attaches a network (the driver, which also registers its NIC service). */
    private final Vnet driver;
    private final VnetCore core;
    private final Nanokernel nanokernel;

    NetCommands(Vnet driver, VnetCore core, Nanokernel nanokernel) {
        this.driver = driver;
        this.core = core;
        this.nanokernel = nanokernel;
    }

    private VnetCore core() {
        return core;
    }

    static void checkRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + "=" + value + " is outside " + min + ".." + max);
        }
    }

    /**
     * Vnode {@code vnode} as a peer of this one: an id of the cluster's vnode table, and in the
     * cluster now (joined, or booting again); refused at once otherwise, saying which vnodes
     * there are.
     */
    int peer(String what, int vnode) {
        if (vnode < 0 || vnode >= Nanokernel.MAX_VNODES) {
            throw new IllegalArgumentException(what + "=" + vnode + " is not a vnode id (0.."
                    + (Nanokernel.MAX_VNODES - 1) + "); the cluster has vnodes " + members());
        }
        String state = nanokernel.vnodes().get(vnode).state();
        if (!state.equals(VnodeState.JOINED) && !state.equals(VnodeState.BOOTING)) {
            throw new IllegalArgumentException("vnode " + vnode + " is not in the cluster (" + state
                    + "); the cluster has vnodes " + members());
        }
        return vnode;
    }

    private List<Integer> members() {
        return nanokernel.vnodes().stream().filter(v -> v.state().equals(VnodeState.JOINED)
                || v.state().equals(VnodeState.BOOTING))
                .map(VnodeState::id).toList();
    }

    @Descriptor("show this vnode's interfaces: MAC, IPv4 address, flags, the wire's parameters")
    public String ifconfig() {
        StringBuilder out = new StringBuilder();
        for (NicImpl nic : core().nicImpls()) {
            Wire wire = nic.station().wire();
            out.append(String.format(Locale.ROOT, "%s: flags=<UP,BROADCAST,MULTICAST%s> mtu 1500%n", nic.network(),
                    nic.promiscuous() ? ",PROMISC" : ""));
            out.append(String.format(Locale.ROOT, "    inet %s/%d  broadcast %s%n", nic.address().getHostAddress(),
                    nic.prefixLength(), org.smpcluster.vnet.nic.Subnet.text(nic.subnet().broadcast())));
            out.append(String.format(Locale.ROOT, "    ether %s  station %d of wire bridge %s%s%n", nic.mac(),
                    nic.station().index(), VnetCore.BRIDGE_PREFIX + nic.network(),
                    nic.groups().isEmpty() ? "" : "  groups " + nic.groups()));
            out.append(String.format(Locale.ROOT, "    wire: slot time %d ns, gap %d ns, jabber %d ms, %d ring slots%s%n",
                    wire.params().slotTimeNanos(), wire.params().gapNanos(), wire.params().jabberNanos() / 1_000_000,
                    wire.params().slots(), wire.params().bitsPerSecond() == 0 ? ""
                            : ", " + wire.params().bitsPerSecond() / 1_000_000 + " Mbit/s"));
        }
        return out.isEmpty() ? "no interfaces (net:attach NETWORK SUBNET attaches one)" : out.toString().stripTrailing();
    }

    @Descriptor("show interface statistics, as ip -s link does")
    public String stats(@Descriptor("network (default: all)") @Parameter(names = {"-n", "--network"},
            absentValue = "") String network) {
        StringBuilder out = new StringBuilder();
        for (Nic nic : core().nics()) {
            if (!network.isEmpty() && !nic.network().equals(network)) {
                continue;
            }
            out.append(format(nic.network(), nic.mac(), nic.stats())).append('\n');
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no interface on network '" + network + "'; this vnode has "
                    + core().networks());
        }
        return out.toString().stripTrailing();
    }

    static String format(String name, MacAddress mac, NicStats s) {
        return String.format(Locale.ROOT, """
                %s: link/ether %s
                    RX:  bytes packets errors dropped overrun   crc  runts oversize
                    %10d %7d %6d %7d %7d %5d %6d %8d
                    TX:  bytes packets errors carrier collisions excessive deferred jabbercut
                    %10d %7d %6d %7d %10d %9d %8d %9d
                    NAPI: %d interrupts, %d polls""", name, mac,
                s.rxBytes(), s.rxPackets(), s.rxErrors(), s.rxDropped(), s.rxOverruns(), s.rxCrcErrors(), s.rxRunts(),
                s.rxOversize(), s.txBytes(), s.txPackets(), s.txErrors(), s.txCarrierErrors(), s.collisions(),
                s.excessiveCollisions(), s.deferrals(), s.jabberCuts(), s.interrupts(), s.polls());
    }

    @Descriptor("show every station on a network's wire (any vnode's), with its counters")
    public String wire(@Descriptor("network") String network) {
        Wire wire = core().wire(network).orElseThrow(() -> new IllegalArgumentException(
                "this vnode is not on network '" + network + "'; it is on " + core().networks()));
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "wire %s: %d frames carried, carrier %s%n%-3s %-5s %-17s %-8s %10s %10s %10s %10s %9s%n", network,
                wire.head(), carrier(wire.carrier()), "#", "vnode", "mac", "pid", "tx", "rx", "collisions",
                "overruns", "deferred"));
        for (Wire.StationView v : wire.stations()) {
            Map<Counter, Long> c = v.counters();
            out.append(String.format(Locale.ROOT, "%-3d %-5d %-17s %-8d %10d %10d %10d %10d %9d%n", v.index(), v.vnode(),
                    v.mac(), v.pid(), c.get(Counter.TX_PACKETS), c.get(Counter.RX_PACKETS), c.get(Counter.COLLISIONS),
                    c.get(Counter.RX_OVERRUNS), c.get(Counter.DEFERRALS)));
        }
        return out.toString().stripTrailing();
    }

    private static String carrier(long word) {
        return switch (org.smpcluster.vnet.link.WireLayout.state(word)) {
            case org.smpcluster.vnet.link.WireLayout.IDLE -> "idle";
            case org.smpcluster.vnet.link.WireLayout.OPEN -> "open (station " + org.smpcluster.vnet.link.WireLayout.holder(word) + ")";
            case org.smpcluster.vnet.link.WireLayout.SENDING -> "sending (station " + org.smpcluster.vnet.link.WireLayout.holder(word) + ")";
            case org.smpcluster.vnet.link.WireLayout.COLLIDED -> "collided (station " + org.smpcluster.vnet.link.WireLayout.holder(word) + ")";
            default -> "committing (station " + org.smpcluster.vnet.link.WireLayout.holder(word) + ")";
        };
    }

    @Descriptor("capture what a wire carries into a pcap file (Ethernet), for tshark or Wireshark")
    public String capture(
            @Descriptor("stop after this many frames") @Parameter(names = {"-c", "--count"}, absentValue = "100") int count,
            @Descriptor("stop after this many seconds") @Parameter(names = {"-t", "--time"}, absentValue = "10") double seconds,
            @Descriptor("network") String network,
            @Descriptor("the pcap file to write") String file) throws IOException {
        checkRange("--count", count, 1, MAX_COUNT);
        if (!(seconds > 0 && seconds <= MAX_WAIT_SECONDS)) { // NaN fails both
            throw new IllegalArgumentException("--time=" + seconds + " is not a number of seconds in (0, "
                    + MAX_WAIT_SECONDS + "]");
        }
        Wire wire = core().wire(network).orElseThrow(() -> new IllegalArgumentException(
                "this vnode is not on network '" + network + "'; it is on " + core().networks()));
        Path path = Path.of(file).toAbsolutePath();
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException(path + " is a directory: name the pcap file to write, e.g. " + path
                    + "/" + network + ".pcap");
        }
        if (!Files.isDirectory(path.getParent())) {
            throw new IllegalArgumentException("the directory " + path.getParent() + " of " + path + " does not exist");
        }
        Wire.Tap tap = wire.tap();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        Path partial = path.resolveSibling(path.getFileName() + ".part");
        try (Pcap pcap = new Pcap(new BufferedOutputStream(Files.newOutputStream(partial)))) {
            while (pcap.records() < count && System.nanoTime() < deadline) {
                Wire.RawFrame f = tap.next();
                if (f == null) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000); // a capture, not a NIC: no interrupts
                    continue;
                }
                pcap.frame(f.epochMicros(), f.bytes());
            }
            pcap.close();
            Files.move(partial, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return String.format(Locale.ROOT, "captured %d frames on %s into %s%s", pcap.records(), network, path,
                    tap.overruns() == 0 ? "" : " (" + tap.overruns() + " lost to overrun)");
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    @Descriptor("attach this vnode to a network (its wire is created if no vnode has it)")
    public String attach(@Descriptor("network name, e.g. eth1") String network,
            @Descriptor("IPv4 subnet, e.g. 10.0.1.0/24") String subnet) {
        return driver.attach(network, subnet).toString();
    }

    @Descriptor("send raw frames (EtherType 0x88b5, local experimental) with a text payload")
    public String send(
            @Descriptor("how many frames") @Parameter(names = {"-n", "--count"}, absentValue = "1") int count,
            @Descriptor("network") String network,
            @Descriptor("destination MAC, or 'broadcast'") String destination,
            @Descriptor("payload text") String text) throws ExcessiveCollisionsException {
        checkRange("--count", count, 1, MAX_COUNT);
        Nic nic = driver.nic(network).orElseThrow(() -> new IllegalArgumentException(
                "this vnode is not on network '" + network + "'; it is on " + core().networks()));
        MacAddress to = mac(destination);
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > EthernetFrame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("a payload of " + payload.length + " bytes does not fit a frame (at most "
                    + EthernetFrame.MAX_PAYLOAD + ")");
        }
        for (int i = 0; i < count; i++) {
            nic.send(new EthernetFrame(to, nic.mac(), EXPERIMENTAL, payload));
        }
        return "sent " + count + " frame" + (count == 1 ? "" : "s") + " to " + to + " on " + network;
    }

    @Descriptor("send ICMP echo requests to another vnode, as ping does; fails if none is answered")
    public String ping(
            @Descriptor("how many requests") @Parameter(names = {"-c", "--count"}, absentValue = "4") int count,
            @Descriptor("milliseconds to wait for each reply") @Parameter(names = {"-W", "--timeout"},
                    absentValue = "1000") int timeoutMillis,
            @Descriptor("an IPv4 address, or vnode:N for vnode N on the first network") String target)
            throws IOException, InterruptedException {
        checkRange("--count", count, 1, MAX_COUNT);
        checkRange("--timeout", timeoutMillis, 1, MAX_WAIT_SECONDS * 1000L);
        java.net.Inet4Address address = address(target);
        StringBuilder out = new StringBuilder("PING " + address.getHostAddress() + ": 56 data bytes\n");
        List<Double> rtts = new java.util.ArrayList<>();
        for (int i = 1; i <= count; i++) {
            try {
                java.time.Duration rtt = driver.ping(address, java.time.Duration.ofMillis(timeoutMillis));
                rtts.add(rtt.toNanos() / 1e6);
                out.append(String.format(Locale.ROOT, "64 bytes from %s: icmp_seq=%d time=%.3f ms%n",
                        address.getHostAddress(), i, rtt.toNanos() / 1e6));
            } catch (java.net.SocketTimeoutException e) {
                out.append("no reply for icmp_seq=").append(i).append('\n');
            }
        }
        out.append(String.format(Locale.ROOT, "%d packets transmitted, %d received, %.0f%% packet loss", count,
                rtts.size(), 100.0 * (count - rtts.size()) / count));
        if (!rtts.isEmpty()) {
            out.append(String.format(Locale.ROOT, "%nrtt min/avg/max = %.3f/%.3f/%.3f ms",
                    rtts.stream().mapToDouble(d -> d).min().orElseThrow(),
                    rtts.stream().mapToDouble(d -> d).average().orElseThrow(),
                    rtts.stream().mapToDouble(d -> d).max().orElseThrow()));
        }
        if (rtts.isEmpty()) {
            throw new IOException(out.toString());
        }
        return out.toString();
    }

    /** A MAC address, or "broadcast". */
    static MacAddress mac(String text) {
        if (text.equals("broadcast")) {
            return MacAddress.BROADCAST;
        }
        try {
            return MacAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address like 02:53:4d:00:00:01, or broadcast");
        }
    }

    java.net.Inet4Address address(String target) {
        if (target.startsWith("vnode:")) {
            String id = target.substring("vnode:".length());
            if (!id.matches("\\d{1,9}")) {
                throw new IllegalArgumentException("'" + target + "' is not vnode:N with N a vnode id (0.."
                        + (Nanokernel.MAX_VNODES - 1) + ")");
            }
            int vnode = peer("vnode", Integer.parseInt(id));
            NicImpl nic = core().nicImpls().stream().findFirst().orElseThrow(
                    () -> new IllegalArgumentException("this vnode is on no network"));
            return org.smpcluster.vnet.nic.Subnet.inet(nic.subnet().host(vnode));
        }
        String[] octets = target.split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException("'" + target + "' is not an IPv4 address (like 10.0.0.2) or vnode:N");
        }
        int ip = 0;
        for (String o : octets) {
            if (!o.matches("\\d{1,3}") || Integer.parseInt(o) > 255) {
                throw new IllegalArgumentException("'" + target + "' is not an IPv4 address: each of its four numbers is"
                        + " 0..255");
            }
            ip = ip << 8 | Integer.parseInt(o);
        }
        return org.smpcluster.vnet.nic.Subnet.inet(ip);
    }

    @Descriptor("show the ARP cache: IPv4 address to MAC, learned from the wires")
    public String arp() {
        StringBuilder out = new StringBuilder("Address          HWaddress\n");
        core().ip().arpCache().entrySet().stream().sorted(Map.Entry.comparingByKey(Integer::compareUnsigned))
                .forEach(e -> out.append(String.format(Locale.ROOT, "%-16s %s%n",
                        org.smpcluster.vnet.nic.Subnet.text(e.getKey()), e.getValue())));
        return out.toString().stripTrailing();
    }

    @Descriptor("measure vnet against loopback TCP and UDP between this vnode and another, and CSMA/CD efficiency")
    public String bench(
            @Descriptor("interleaved rounds; medians are printed") @Parameter(names = {"-r", "--rounds"},
                    absentValue = "5") int rounds,
            @Descriptor("milliseconds each rate is measured over") @Parameter(names = {"-w", "--window"},
                    absentValue = "500") int window,
            @Descriptor("the other vnode") @Parameter(names = {"-n", "--vnode"}, absentValue = "1") int vnode)
            throws Exception {
        checkRange("--rounds", rounds, 1, 1000);
        checkRange("--window", window, 10, 60_000);
        peer("--vnode", vnode);
        if (vnode == nanokernel.vnodeId()) {
            throw new IllegalArgumentException("--vnode=" + vnode + " is this vnode: the bench measures against another one");
        }
        new org.smpcluster.vnet.bench.VnetBench(core(), System.out, rounds, window).run(vnode,
                v -> nanokernel.vnodes().get(v));
        return "";
    }
}
