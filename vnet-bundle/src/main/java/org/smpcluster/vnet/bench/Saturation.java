package org.smpcluster.vnet.bench;

import java.util.ArrayList;
import java.util.List;

import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.api.vnet.MacAddress;
import org.smpcluster.vnet.link.FrameCodec;
import org.smpcluster.vnet.link.Station;
import org.smpcluster.vnet.link.Wire;
import org.smpcluster.vnet.link.WireLayout.Counter;
import org.smpcluster.vnet.link.WireParams;
import org.smpcluster.vnet.nic.VnetCore;

/**
 * Stations that saturate one wire for a while: each sends frames back to back, as fast as
 * CSMA/CD lets it. For the efficiency figure of {@code net:bench}.
 */
final class Saturation {

    record Result(long frames, long collisions, long excessive) {
    }

    private Saturation() {
    }

    /**
     * Runs {@code stations} stations (MACs numbered from {@code first}) on wire {@code network}
     * for {@code millis} ms, sending {@code frameBytes}-byte frames to a MAC nobody has.
     */
    static Result run(VnetCore core, String network, int stations, int first, long millis, int frameBytes)
            throws InterruptedException {
        try (VnetCore.BenchWire bench = core.benchWire(network, params())) {
            Wire wire = bench.wire();
            List<Station> list = new ArrayList<>();
            for (int i = 0; i < stations; i++) {
                list.add(wire.station(core.vnode(), MacAddress.of(0xBE, first + i), VnetCore.VECTOR, (v, x) -> { }));
            }
            byte[] frame = FrameCodec.encode(new EthernetFrame(MacAddress.of(0xBE, 0xFFFF), list.get(0).mac(), 0x88B5,
                    new byte[frameBytes - FrameCodec.HEADER - FrameCodec.FCS]));
            long end = System.nanoTime() + millis * 1_000_000;
            List<Thread> threads = new ArrayList<>();
            for (Station s : list) {
                threads.add(Thread.ofPlatform().daemon().name("vnet-bench-station-" + s.index()).start(() -> {
                    while (System.nanoTime() < end) {
                        s.transmit(frame, frame.length);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            long frames = 0;
            long collisions = 0;
            long excessive = 0;
            for (Station s : list) {
                frames += s.counter(Counter.TX_PACKETS);
                collisions += s.counter(Counter.COLLISIONS);
                excessive += s.counter(Counter.EXCESSIVE_COLLISIONS);
                s.detach();
            }
            return new Result(frames, collisions, excessive);
        }
    }

    /** The bench wire: 100 Mbit/s (a 1518-byte frame holds it 121 µs), slot time 5 µs, gap 1 µs. */
    static WireParams params() {
        return WireParams.DEFAULT.withBitRate(BIT_RATE).withSlotTime(SLOT_NANOS).withGap(1_000).withSlots(64);
    }

    static final long BIT_RATE = 100_000_000;
    static final long SLOT_NANOS = 5_000;
}
