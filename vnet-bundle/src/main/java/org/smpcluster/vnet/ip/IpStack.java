package org.smpcluster.vnet.ip;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.api.vnet.Nic;
import org.smpcluster.api.vnet.UdpSocket;
import org.smpcluster.vnet.nic.NicImpl;
import org.smpcluster.vnet.nic.Subnet;
import org.smpcluster.vnet.link.FrameCodec;

/**
 * ARP (RFC 826), IPv4 (RFC 791, no fragmentation: DF set, 1500-byte MTU), ICMP echo (RFC 792)
 * and UDP (RFC 768, checksummed) over a vnode's NICs. Packets are handled on the NICs' receive
 * thread; what answers (ARP replies, echo replies) is sent from there.
 *
 * <pre>
 *  IPv4 header, 20 bytes (no options):
 *   0      4      8              16     19                      31
 *  +------+------+--------------+--------------------------------+
 *  | 4    | 5    | TOS 0        | total length                   |
 *  | identification             | 0 1 0 | fragment offset 0      |  DF set
 *  | TTL 64      | protocol     | header checksum                |
 *  | source address                                              |
 *  | destination address                                         |
 *  +-------------------------------------------------------------+
 * </pre>
 */
public final class IpStack {

    private static final System.Logger LOG = System.getLogger(IpStack.class.getName());

    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ICMP = 1;
    public static final int UDP = 17;
    static final int IP_HEADER = 20;
    static final int UDP_HEADER = 8;
    static final Duration ARP_TIMEOUT = Duration.ofMillis(300);
    static final int ARP_ATTEMPTS = 3;

    private final Supplier<List<NicImpl>> nics;
    private final java.util.function.BooleanSupplier receiveThread;
    private final Map<Integer, List<byte[]>> parked = new ConcurrentHashMap<>();
    private final Map<Integer, MacAddress> arpCache = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<MacAddress>> arpPending = new ConcurrentHashMap<>();
    private final Map<Integer, UdpSocketImpl> sockets = new ConcurrentHashMap<>();
    /** The same sockets by port, for the receive path (no boxing, no hashing per datagram). */
    private final java.util.concurrent.atomic.AtomicReferenceArray<UdpSocketImpl> byPort =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(65536);
    private final Map<Integer, CompletableFuture<Long>> echoes = new ConcurrentHashMap<>();
    private final AtomicInteger identification = new AtomicInteger(ThreadLocalRandom.current().nextInt());
    private final AtomicInteger echoSequence = new AtomicInteger();
    private final int echoId = ThreadLocalRandom.current().nextInt(1 << 16);
    private final AtomicInteger ephemeral = new AtomicInteger(49152);
    private final AtomicLong badPackets = new AtomicLong();

    /** {@code receiveThread}: whether the calling thread is the one that delivers received frames. */
    public IpStack(Supplier<List<NicImpl>> nics, java.util.function.BooleanSupplier receiveThread) {
        this.nics = nics;
        this.receiveThread = receiveThread;
    }

    /** Hooks a newly attached NIC's ARP and IPv4 frames. */
    public void attached(NicImpl nic) {
        nic.listen(ETHERTYPE_ARP, this::arp);
        nic.listenRaw(ETHERTYPE_IPV4, this::ipv4);
    }

    // Routing.

    /** The NIC whose subnet holds {@code ip}. */
    NicImpl route(int ip) throws NoRouteToHostException {
        for (NicImpl nic : nics.get()) {
            if (nic.subnet().contains(ip)) {
                return nic;
            }
        }
        throw new NoRouteToHostException(Subnet.text(ip) + " is on no network of this vnode; its networks: "
                + nics.get().stream().map(n -> n.network() + " " + n.subnet()).toList());
    }

    static int ip(NicImpl nic) {
        return nic.subnet().host(nic.vnode());
    }

    // ARP.

    private void arp(Nic n, EthernetFrame frame) {
        NicImpl nic = (NicImpl) n;
        ByteBuffer b = ByteBuffer.wrap(frame.payload());
        if (frame.payload().length < 28 || b.getShort(0) != 1 || b.getShort(2) != ETHERTYPE_IPV4 || b.get(4) != 6
                || b.get(5) != 4) {
            badPackets.incrementAndGet();
            return;
        }
        int op = b.getShort(6);
        MacAddress sha = MacAddress.of(frame.payload(), 8);
        int spa = b.getInt(14);
        int tpa = b.getInt(24);
        if (nic.subnet().contains(spa) && !sha.isMulticast()) {
            learn(spa, sha);
        }
        if (op == 1 && tpa == ip(nic)) {
            send(nic, sha, ETHERTYPE_ARP, arpPacket(2, nic.mac(), ip(nic), sha, spa));
        }
    }

    private void learn(int ip, MacAddress mac) {
        arpCache.put(ip, mac);
        confirmedIp = ip;
        confirmedMac = mac.value();
        CompletableFuture<MacAddress> waiting = arpPending.remove(ip);
        if (waiting != null) {
            waiting.complete(mac);
        }
        List<byte[]> queued = parked.remove(ip);
        if (queued != null) {
            NicImpl nic;
            try {
                nic = route(ip);
            } catch (NoRouteToHostException e) {
                return;
            }
            for (byte[] packet : queued) {
                send(nic, mac, ETHERTYPE_IPV4, packet);
            }
        }
    }

    private static byte[] arpPacket(int op, MacAddress sha, int spa, MacAddress tha, int tpa) {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short) 1).putShort((short) ETHERTYPE_IPV4).put((byte) 6).put((byte) 4).putShort((short) op);
        b.put(sha.bytes()).putInt(spa).put(tha.bytes()).putInt(tpa);
        return b.array();
    }

    /** The MAC of {@code ip} on {@code nic}'s network, asking by ARP if it is not cached. */
    MacAddress resolve(NicImpl nic, int ip) throws IOException {
        if (ip == nic.subnet().broadcast()) {
            return MacAddress.BROADCAST;
        }
        MacAddress known = arpCache.get(ip);
        if (known != null) {
            return known;
        }
        CompletableFuture<MacAddress> answer = arpPending.computeIfAbsent(ip, k -> new CompletableFuture<>());
        known = arpCache.get(ip); // learned between the first look and the future's registration
        if (known != null) {
            arpPending.remove(ip, answer);
            return known;
        }
        for (int attempt = 0; attempt < ARP_ATTEMPTS; attempt++) {
            known = arpCache.get(ip); // another waiter's future may have been answered and removed
            if (known != null) {
                return known;
            }
            answer = arpPending.computeIfAbsent(ip, k -> new CompletableFuture<>());
            send(nic, MacAddress.BROADCAST, ETHERTYPE_ARP, arpPacket(1, nic.mac(), ip(nic), new MacAddress(0), ip));
            try {
                return answer.get(ARP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // ask again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted resolving " + Subnet.text(ip), e);
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            }
        }
        arpPending.remove(ip, answer);
        throw new IOException(Subnet.text(ip) + " does not answer ARP on " + nic.network() + " (" + ARP_ATTEMPTS
                + " requests, " + ARP_TIMEOUT.toMillis() + " ms each): is that vnode up?");
    }

    /**
     * The MAC of {@code address}, from the cache or asked by ARP.
     *
     * @throws IOException if it is on no network of this vnode, or does not answer ARP
     */
    public MacAddress arp(Inet4Address address) throws IOException {
        int ip = Subnet.ip(address);
        return resolve(route(ip), ip);
    }

    /** The ARP cache, for display. */
    public Map<Integer, MacAddress> arpCache() {
        return Map.copyOf(arpCache);
    }

    private static void send(NicImpl nic, MacAddress to, int etherType, byte[] payload) {
        try {
            nic.send(new EthernetFrame(to, nic.mac(), etherType, payload));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot send on " + nic.network() + ": " + e.getMessage());
        }
    }

    // IPv4.

    /** Where a packet's parts start in the frame it is built in (see {@link #frame}). */
    static final int IP_AT = FrameCodec.HEADER;
    static final int UDP_AT = IP_AT + IP_HEADER;

    /**
     * A frame for an IPv4 packet of {@code ipPayload} bytes: Ethernet, IPv4 and (for UDP) the
     * UDP header are filled in place around the payload, which the caller copies in once, and
     * the FCS after it; room for the 46-byte minimum payload and the FCS included.
     */
    static byte[] frame(int ipPayload) {
        return new byte[FrameCodec.HEADER + Math.max(IP_HEADER + ipPayload, EthernetFrame.MIN_PAYLOAD) + FrameCodec.FCS];
    }

    /** Sends an IPv4 packet of {@code protocol} carrying {@code payload} to {@code destination}. */
    public void sendIp(int destination, int protocol, byte[] payload, int offset, int length) throws IOException {
        NicImpl nic = route(destination);
        byte[] frame = frame(length);
        System.arraycopy(payload, offset, frame, UDP_AT, length);
        transmitIp(nic, destination, protocol, frame, length);
    }

    /**
     * Fills in the IPv4 header of the packet in {@code frame} (its payload, {@code length}
     * bytes, in place) and the Ethernet header, resolving the destination's MAC, and sends it.
     */
    private void transmitIp(NicImpl nic, int destination, int protocol, byte[] frame, int length) throws IOException {
        MacAddress mac = prepareIp(nic, destination, protocol, frame, length);
        if (mac != null) {
            nic.send(frame, mac, ETHERTYPE_IPV4, IP_HEADER + length);
        }
    }

    /**
     * Fills in the IPv4 header of the packet in {@code frame} and resolves the destination's
     * MAC; null if the packet was parked to wait for an ARP reply instead (it goes out then).
     */
    private MacAddress prepareIp(NicImpl nic, int destination, int protocol, byte[] frame, int length) throws IOException {
        MacAddress mac = arpCache.get(destination);
        boolean park = mac == null && destination != nic.subnet().broadcast() && receiveThread.getAsBoolean();
        if (mac == null && !park) {
            mac = resolve(nic, destination);
        }
        int total = IP_HEADER + length;
        ByteBuffer b = ByteBuffer.wrap(frame, IP_AT, IP_HEADER).slice();
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) identification.getAndIncrement())
                .putShort((short) 0x4000).put((byte) 64).put((byte) protocol).putShort((short) 0).putInt(ip(nic))
                .putInt(destination);
        b.putShort(10, (short) checksum(frame, IP_AT, IP_HEADER, 0));
        if (park) {
            // On the receive thread, which must be free to take the ARP reply: the packet waits
            // for it (a few at most per address, as Linux's neighbour queue), and goes out then.
            List<byte[]> queue = parked.computeIfAbsent(destination, k -> new java.util.concurrent.CopyOnWriteArrayList<>());
            if (queue.size() < 8) {
                queue.add(java.util.Arrays.copyOfRange(frame, IP_AT, IP_AT + total));
            }
            send(nic, MacAddress.BROADCAST, ETHERTYPE_ARP, arpPacket(1, nic.mac(), ip(nic), new MacAddress(0), destination));
            return null;
        }
        return mac;
    }

    /** The sender last seen to be where the ARP cache says: most packets need no look at the cache. */
    private int confirmedIp;
    private long confirmedMac = -1;

    /** An IPv4 packet in the frame's bytes, {@code length} of them (padding included) from {@code at}. */
    private void ipv4(NicImpl nic, byte[] f, int at, int length) {
        if (length < IP_HEADER || (f[at] & 0xFF) >>> 4 != 4) {
            badPackets.incrementAndGet();
            return;
        }
        int ihl = (f[at] & 0x0F) * 4;
        int total = (short) BIG_ENDIAN_SHORT.get(f, at + 2) & 0xFFFF;
        if (ihl < IP_HEADER || total < ihl || total > length || checksum(f, at, ihl, 0) != 0
                || ((short) BIG_ENDIAN_SHORT.get(f, at + 6) & 0x3FFF) != 0) {
            badPackets.incrementAndGet(); // bad header, or a fragment (this stack sends none)
            return;
        }
        int source = (int) BIG_ENDIAN_INT.get(f, at + 12);
        int destination = (int) BIG_ENDIAN_INT.get(f, at + 16);
        long sourceMac = (long) BIG_ENDIAN_LONG.get(f, 6) >>> 16;
        if ((source != confirmedIp || sourceMac != confirmedMac) && nic.subnet().contains(source)
                && (sourceMac >>> 40 & 1) == 0) {
            MacAddress known = arpCache.get(source);
            if (known == null || known.value() != sourceMac) {
                learn(source, new MacAddress(sourceMac)); // the sender is on the wire: no need to ask ARP to answer it
            }
            confirmedIp = source;
            confirmedMac = sourceMac;
        }
        if (destination != ip(nic) && destination != nic.subnet().broadcast() && destination != -1) {
            return;
        }
        switch (f[at + 9]) {
            case ICMP -> icmp(nic, source, f, at + ihl, total - ihl);
            case UDP -> udp(source, destination, f, at + ihl, total - ihl);
            default -> badPackets.incrementAndGet();
        }
    }

    private static final java.lang.invoke.VarHandle BIG_ENDIAN_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle BIG_ENDIAN_INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.invoke.VarHandle BIG_ENDIAN_SHORT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(short[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private static final java.lang.invoke.VarHandle LITTLE_ENDIAN_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /**
     * The Internet checksum (RFC 1071) of {@code length} bytes, added to {@code initial}: the
     * one's complement sum of 16-bit words. The sum does not depend on byte order (RFC 1071
     * 2(B)), so it is taken over the machine's own 64-bit loads, their 32-bit halves into four
     * 64-bit sums side by side (the carries fold back in at the end, which is the same sum),
     * and swapped once at the end; what is left over goes in 16 bits at a time.
     */
    static int checksum(byte[] data, int offset, int length, long initial) {
        long a = 0;
        long b = 0;
        long c = 0;
        long d = 0;
        int i = offset;
        int end = offset + length;
        for (; i + 31 < end; i += 32) { // no overflow below 2^30 bytes
            long v = (long) LITTLE_ENDIAN_LONG.get(data, i);
            long w = (long) LITTLE_ENDIAN_LONG.get(data, i + 8);
            long x = (long) LITTLE_ENDIAN_LONG.get(data, i + 16);
            long y = (long) LITTLE_ENDIAN_LONG.get(data, i + 24);
            a += (v >>> 32) + (v & 0xFFFF_FFFFL);
            b += (w >>> 32) + (w & 0xFFFF_FFFFL);
            c += (x >>> 32) + (x & 0xFFFF_FFFFL);
            d += (y >>> 32) + (y & 0xFFFF_FFFFL);
        }
        for (; i + 7 < end; i += 8) {
            long v = (long) LITTLE_ENDIAN_LONG.get(data, i);
            a += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        long all = a + b + c + d;
        long sum = (all & 0xFFFF) + (all >>> 16 & 0xFFFF) + (all >>> 32 & 0xFFFF) + (all >>> 48);
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        sum = (sum & 0xFF) << 8 | sum >>> 8; // the words were read byte-swapped
        sum += initial;
        for (; i + 1 < end; i += 2) {
            sum += (data[i] & 0xFF) << 8 | data[i + 1] & 0xFF;
        }
        if (i < end) {
            sum += (data[i] & 0xFF) << 8;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) ~sum & 0xFFFF;
    }

    // ICMP echo.

    private void icmp(NicImpl nic, int source, byte[] p, int at, int length) {
        if (length < 8 || checksum(p, at, length, 0) != 0) {
            badPackets.incrementAndGet();
            return;
        }
        int type = p[at] & 0xFF;
        if (type == 8) { // echo request: answer with the same identifier, sequence and data
            byte[] reply = java.util.Arrays.copyOfRange(p, at, at + length);
            reply[0] = 0;
            reply[2] = 0;
            reply[3] = 0;
            int sum = checksum(reply, 0, reply.length, 0);
            reply[2] = (byte) (sum >>> 8);
            reply[3] = (byte) sum;
            try {
                sendIp(source, ICMP, reply, 0, reply.length);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot answer a ping from " + Subnet.text(source) + ": " + e);
            }
        } else if (type == 0) {
            ByteBuffer b = ByteBuffer.wrap(p, at, length);
            int key = (b.getShort(at + 4) & 0xFFFF) << 16 | b.getShort(at + 6) & 0xFFFF;
            CompletableFuture<Long> waiting = echoes.remove(key);
            if (waiting != null) {
                waiting.complete(System.nanoTime());
            }
        }
    }

    /** One ICMP echo round trip to {@code address}. */
    public Duration ping(Inet4Address address, Duration timeout) throws IOException {
        int seq = echoSequence.incrementAndGet() & 0xFFFF;
        int key = echoId << 16 | seq;
        CompletableFuture<Long> reply = new CompletableFuture<>();
        echoes.put(key, reply);
        byte[] request = new byte[8 + 56];
        ByteBuffer b = ByteBuffer.wrap(request);
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) echoId).putShort((short) seq);
        for (int i = 8; i < request.length; i++) {
            request[i] = (byte) i;
        }
        b.putShort(2, (short) checksum(request, 0, request.length, 0));
        int to = Subnet.ip(address);
        try {
            resolve(route(to), to); // ARP first, so that the round trip is the echo's alone
            long start = System.nanoTime();
            sendIp(to, ICMP, request, 0, request.length);
            long end = reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return Duration.ofNanos(end - start);
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("no echo reply from " + address.getHostAddress() + " within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        } finally {
            echoes.remove(key);
        }
    }

    // UDP.

    /** Opens a UDP socket on {@code port}, 0 for an ephemeral one. */
    public UdpSocketImpl openUdp(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("UDP port " + port + " is outside 0..65535");
        }
        if (port == 0) {
            for (int i = 0; i < 16384; i++) {
                int candidate = 49152 + Math.floorMod(ephemeral.getAndIncrement() - 49152, 16384);
                UdpSocketImpl s = new UdpSocketImpl(this, candidate);
                if (sockets.putIfAbsent(candidate, s) == null) {
                    byPort.set(candidate, s);
                    return s;
                }
            }
            throw new IllegalStateException("no ephemeral UDP port left");
        }
        UdpSocketImpl s = new UdpSocketImpl(this, port);
        if (sockets.putIfAbsent(port, s) != null) {
            throw new IllegalArgumentException("UDP port " + port + " is taken on this vnode");
        }
        byPort.set(port, s);
        return s;
    }

    void closed(UdpSocketImpl socket) {
        if (sockets.remove(socket.port(), socket)) {
            byPort.compareAndSet(socket.port(), socket, null);
        }
    }

    void sendUdp(int sourcePort, int destination, int port, byte[] payload, int offset, int length) throws IOException {
        if (length > UdpSocket.MAX_PAYLOAD) {
            throw new IOException("a UDP payload of " + length + " bytes; at most " + UdpSocket.MAX_PAYLOAD);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("UDP port " + port + " is outside 1..65535");
        }
        byte[] frame = frame(UDP_HEADER + length); // the one copy of the payload on its way to the wire
        System.arraycopy(payload, offset, frame, UDP_AT + UDP_HEADER, length);
        sendUdpFrame(sourcePort, destination, port, frame, length);
    }

    /** Sends the datagram of {@code length} bytes whose payload is in {@code frame} (see {@link UdpSocketImpl#frame}). */
    /**
     * Sends {@code count} datagrams to one destination, each in a frame made by
     * {@link UdpSocketImpl#frame} ({@code lengths}: their payloads'), back to back: in bursts
     * on the wire. Frames sent are completed in place; returns how many went out (the rest
     * collided 16 times, or wait for an ARP reply).
     */
    int sendUdpFrames(int sourcePort, int destination, int port, byte[][] frames, int[] lengths, int count)
            throws IOException {
        NicImpl nic = route(destination);
        byte[][] ready = new byte[count][];
        int[] sealed = new int[count];
        int n = 0;
        for (int i = 0; i < count; i++) {
            byte[] frame = frames[i];
            int length = lengths[i];
            if (length > UdpSocket.MAX_PAYLOAD) {
                throw new IOException("a UDP payload of " + length + " bytes; at most " + UdpSocket.MAX_PAYLOAD);
            }
            int udpLength = UDP_HEADER + length;
            udpHeader(sourcePort, ip(nic), destination, port, frame, udpLength);
            MacAddress mac = prepareIp(nic, destination, UDP, frame, udpLength);
            if (mac != null) {
                ready[n] = frame;
                sealed[n++] = FrameCodec.seal(frame, mac, nic.mac(), ETHERTYPE_IPV4, IP_HEADER + udpLength);
            }
        }
        return nic.sendSealed(ready, sealed, n);
    }

    private static void udpHeader(int sourcePort, int source, int destination, int port, byte[] frame, int udpLength) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("UDP port " + port + " is outside 1..65535");
        }
        ByteBuffer b = ByteBuffer.wrap(frame, UDP_AT, UDP_HEADER).slice();
        b.putShort((short) sourcePort).putShort((short) port).putShort((short) udpLength).putShort((short) 0);
        int sum = checksum(frame, UDP_AT, udpLength, pseudoHeader(source, destination, udpLength));
        b.putShort(6, (short) (sum == 0 ? 0xFFFF : sum));
    }

    void sendUdpFrame(int sourcePort, int destination, int port, byte[] frame, int length) throws IOException {
        if (length > UdpSocket.MAX_PAYLOAD) {
            throw new IOException("a UDP payload of " + length + " bytes; at most " + UdpSocket.MAX_PAYLOAD);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("UDP port " + port + " is outside 1..65535");
        }
        NicImpl nic = route(destination);
        int udpLength = UDP_HEADER + length;
        ByteBuffer b = ByteBuffer.wrap(frame, UDP_AT, UDP_HEADER).slice();
        b.putShort((short) sourcePort).putShort((short) port).putShort((short) udpLength).putShort((short) 0);
        int sum = checksum(frame, UDP_AT, udpLength, pseudoHeader(ip(nic), destination, udpLength));
        b.putShort(6, (short) (sum == 0 ? 0xFFFF : sum));
        transmitIp(nic, destination, UDP, frame, udpLength);
    }

    private static long pseudoHeader(int source, int destination, int length) {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + UDP + length;
    }

    private void udp(int source, int destination, byte[] p, int at, int length) {
        if (length < UDP_HEADER) {
            badPackets.incrementAndGet();
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(p);
        int udpLength = b.getShort(at + 4) & 0xFFFF;
        if (udpLength < UDP_HEADER || udpLength > length
                || b.getShort(at + 6) != 0 && checksum(p, at, udpLength, pseudoHeader(source, destination, udpLength)) != 0) {
            badPackets.incrementAndGet();
            return;
        }
        UdpSocketImpl socket = byPort.get(b.getShort(at + 2) & 0xFFFF);
        if (socket == null) {
            return; // no ICMP port unreachable: the transport answers for itself
        }
        socket.deliver(source, b.getShort(at) & 0xFFFF, p, at + UDP_HEADER, udpLength - UDP_HEADER);
    }

    /** Packets dropped as malformed (bad checksums, lengths, unknown protocols). */
    public long badPackets() {
        return badPackets.get();
    }
}
