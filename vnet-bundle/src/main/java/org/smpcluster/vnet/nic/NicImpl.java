package org.smpcluster.vnet.nic;

import java.net.Inet4Address;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.ExcessiveCollisionsException;
import org.smpcluster.api.vnet.FrameListener;
import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.api.vnet.Nic;
import org.smpcluster.api.vnet.NicStats;
import org.smpcluster.vnet.link.FrameCodec;
import org.smpcluster.vnet.link.Station;
import org.smpcluster.vnet.link.WireLayout.Counter;

/** A {@link Nic} over a wire {@link Station}. */
public final class NicImpl implements Nic {

    private static final System.Logger LOG = System.getLogger(NicImpl.class.getName());

    private final String network;
    private final Station station;
    private final int vnode;
    private final Subnet subnet;
    private final List<Listening> listeners = new CopyOnWriteArrayList<>();
    private final Station.RawSink sink = this::deliver;
    /** The listeners that take frames in place (the IP stack), by EtherType; copied on write. */
    private volatile RawListening[] raw = new RawListening[0];

    private record Listening(int etherType, FrameListener listener) {
    }

    /** Takes a frame's payload in place, on the receive thread: {@code length} bytes of {@code frame} from {@code offset}. */
    @FunctionalInterface
    public interface RawListener {
        void received(NicImpl nic, byte[] frame, int offset, int length);
    }

    private record RawListening(int etherType, RawListener listener) {
    }

    NicImpl(String network, Station station, int vnode, Subnet subnet) {
        this.network = network;
        this.station = station;
        this.vnode = vnode;
        this.subnet = subnet;
    }

    public Station station() {
        return station;
    }

    public Subnet subnet() {
        return subnet;
    }

    @Override
    public String network() {
        return network;
    }

    @Override
    public MacAddress mac() {
        return station.mac();
    }

    @Override
    public int vnode() {
        return vnode;
    }

    @Override
    public Inet4Address address() {
        return Subnet.inet(subnet.host(vnode));
    }

    @Override
    public int prefixLength() {
        return subnet.prefix();
    }

    @Override
    public void send(EthernetFrame frame) throws ExcessiveCollisionsException {
        byte[] bytes = FrameCodec.encode(frame);
        if (station.transmit(bytes, bytes.length) == Station.Outcome.EXCESSIVE_COLLISIONS) {
            throw new ExcessiveCollisionsException("a frame to " + frame.destination() + " on " + network
                    + " collided 16 times and was given up");
        }
    }

    /**
     * Sends the frame built in {@code wire} around a payload of {@code payload} bytes at
     * {@link FrameCodec#HEADER} (the array has room for padding and the FCS): fills in the
     * Ethernet header and the FCS in place. The stack's way, one copy less than {@link #send(EthernetFrame)}.
     */
    public void send(byte[] wire, MacAddress destination, int etherType, int payload)
            throws ExcessiveCollisionsException {
        int length = FrameCodec.seal(wire, destination, station.mac(), etherType, payload);
        if (station.transmit(wire, length) == Station.Outcome.EXCESSIVE_COLLISIONS) {
            throw new ExcessiveCollisionsException("a frame to " + destination + " on " + network
                    + " collided 16 times and was given up");
        }
    }

    /**
     * Sends {@code count} frames built as {@link #send(byte[], MacAddress, int, int)} takes
     * them, sealed already by {@link FrameCodec#seal} ({@code lengths}: theirs), in bursts
     * (see {@link Station#transmit(byte[][], int[], int)}). Returns how many were sent.
     */
    public int sendSealed(byte[][] frames, int[] lengths, int count) {
        return station.transmit(frames, lengths, count);
    }

    @Override
    public Registration listen(int etherType, FrameListener listener) {
        Listening l = new Listening(etherType, listener);
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    /**
     * Hands frames of {@code etherType} to {@code listener} in place, before any
     * {@link FrameListener}: no {@link EthernetFrame} is made for it (the receive buffer is
     * the station's, valid during the call only).
     */
    public synchronized void listenRaw(int etherType, RawListener listener) {
        RawListening[] next = java.util.Arrays.copyOf(raw, raw.length + 1);
        next[raw.length] = new RawListening(etherType, listener);
        raw = next;
    }

    /** Delivers up to {@code budget} waiting frames to the listeners; returns how many. */
    int poll(int budget) {
        return station.pollInPlace(sink, budget);
    }

    private void deliver(byte[] wire, int length) {
        int etherType = (wire[12] & 0xFF) << 8 | (wire[13] & 0xFF);
        for (RawListening r : raw) {
            if (r.etherType() == etherType) {
                try {
                    r.listener().received(this, wire, FrameCodec.HEADER, length - FrameCodec.HEADER - FrameCodec.FCS);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "a frame listener on " + network + " failed", e);
                }
            }
        }
        if (listeners.isEmpty()) {
            return;
        }
        EthernetFrame frame = null;
        for (Listening l : listeners) {
            if (l.etherType() == -1 || l.etherType() == etherType) {
                if (frame == null) {
                    frame = FrameCodec.frame(wire, length);
                }
                try {
                    l.listener().received(this, frame);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "a frame listener on " + network + " failed", e);
                }
            }
        }
    }

    @Override
    public void join(MacAddress group) {
        station.join(group);
    }

    @Override
    public void leave(MacAddress group) {
        station.leave(group);
    }

    @Override
    public List<MacAddress> groups() {
        return station.groups();
    }

    @Override
    public void promiscuous(boolean on) {
        station.promiscuous(on);
    }

    @Override
    public boolean promiscuous() {
        return station.promiscuous();
    }

    @Override
    public NicStats stats() {
        return stats(station.view().counters());
    }

    static NicStats stats(java.util.Map<Counter, Long> c) {
        return new NicStats(c.get(Counter.RX_PACKETS), c.get(Counter.RX_BYTES), c.get(Counter.RX_ERRORS),
                c.get(Counter.RX_BAD_FCS), c.get(Counter.RX_RUNTS), c.get(Counter.RX_OVERSIZE), c.get(Counter.RX_DROPPED),
                c.get(Counter.RX_OVERRUNS), c.get(Counter.TX_PACKETS), c.get(Counter.TX_BYTES), c.get(Counter.TX_ERRORS),
                c.get(Counter.TX_CARRIER_LOST), c.get(Counter.COLLISIONS), c.get(Counter.EXCESSIVE_COLLISIONS),
                c.get(Counter.DEFERRALS), c.get(Counter.JABBER_CUTS), c.get(Counter.INTERRUPTS), c.get(Counter.POLLS));
    }

    @Override
    public String toString() {
        return network + " " + mac() + " " + Subnet.text(subnet.host(vnode)) + "/" + subnet.prefix();
    }
}
