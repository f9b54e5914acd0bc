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
    private final Station.Sink sink = this::deliver;

    private record Listening(int etherType, FrameListener listener) {
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

    @Override
    public Registration listen(int etherType, FrameListener listener) {
        Listening l = new Listening(etherType, listener);
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    /** Delivers up to {@code budget} waiting frames to the listeners; returns how many. */
    int poll(int budget) {
        return station.poll(sink, budget);
    }

    private void deliver(EthernetFrame frame, byte[] wire) {
        for (Listening l : listeners) {
            if (l.etherType() == -1 || l.etherType() == frame.etherType()) {
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
