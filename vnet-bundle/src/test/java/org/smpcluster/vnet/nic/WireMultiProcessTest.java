package org.smpcluster.vnet.nic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.vnet.EthernetFrame;
import org.smpcluster.vnet.link.WireLayout.Counter;
import org.smpcluster.vnet.link.WireParams;

/**
 * Stations in separate JVMs pinned to different CPUs on one wire in a real physmem file:
 * contention really collides, a dead carrier holder does not hold the wire, and receivers are
 * woken by real portal interrupts.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WireMultiProcessTest extends MultiProcessFixture {

    @Test
    void shouldCollideWhenTwoStationsOnTwoCpusContendAndStillDeliverEveryFrameInOrder() throws Exception {
        int count = 20_000;
        long[] next = new long[3];
        AtomicLong disorder = new AtomicLong();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong received = new AtomicLong();
        nic.listen(0x88B5, (n, frame) -> {
            ByteBuffer b = ByteBuffer.wrap(frame.payload());
            int from = b.getInt();
            int seq = b.getInt();
            if (seq == next[from] - 1) {
                duplicates.incrementAndGet();
            } else if (seq < next[from]) {
                disorder.incrementAndGet();
            }
            next[from] = Math.max(next[from], seq + 1);
            received.incrementAndGet();
        });
        Child one = start(0, 1, "send", Integer.toString(count), "0");
        Child two = start(1, 2, "send", Integer.toString(count), "0");
        one.expect("attached");
        two.expect("attached");
        one.say("go");
        two.say("go");
        String a = one.expect("sent");
        String b = two.expect("sent");
        long collisions = number(a, "collisions") + number(b, "collisions");
        long cuts = number(a, "jabbercuts") + number(b, "jabbercuts") + nic.stats().jabberCuts();
        awaitQuiet(received, nic);
        long lost = nic.stats().rxOverruns();
        long damaged = nic.stats().rxErrors();
        System.out.printf("WireMultiProcessTest: 2 x %d frames, %d collisions, %d received (%d twice), %d overrun,"
                + " %d damaged, %d jabber cuts; %s; %s%n", count, collisions, received.get(), duplicates.get(), lost,
                damaged, cuts, a, b);
        assertTrue(collisions > 0, "stations on two CPUs sending flat out must collide: " + a + " / " + b);
        assertEquals(0, disorder.get(), "frames of one sender arrive in its order");
        // A frame twice needs a holder stalled past the jabber timeout (see Station); bounded by those.
        assertTrue(duplicates.get() <= cuts, duplicates.get() + " frames twice, with " + cuts + " jabber cuts");
        long carried = vnet.wire("eth0").orElseThrow().head();
        assertEquals(carried, received.get() + lost + damaged, "every frame on the wire was received, or counted");
        assertEquals(2L * count, carried, "the wire carried one committed frame per frame sent");
    }

    @Test
    void shouldCutTheCarrierOfAStationKilledWhileHoldingIt() throws Exception {
        Child holder = start(1, 1, "hold");
        holder.expect("attached");
        holder.expect("holding");
        holder.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        long start = System.nanoTime();
        nic.send(new EthernetFrame(org.smpcluster.api.vnet.MacAddress.BROADCAST, nic.mac(), 0x88B5, new byte[10]));
        long took = System.nanoTime() - start;
        assertEquals(1, nic.station().counter(Counter.JABBER_CUTS));
        assertEquals(1, nic.stats().txPackets());
        assertTrue(took < WireParams.MAX_JABBER.toNanos(), "sent " + took / 1_000_000 + " ms after the holder died");
    }

    @Test
    void shouldWakeASleepingReceiverWithAPortalInterrupt() throws Exception {
        Child sender = start(1, 1, "send", "1", "0");
        sender.expect("attached");
        BlockingQueue<EthernetFrame> got = new LinkedBlockingQueue<>();
        nic.listen(0x88B5, (n, frame) -> got.add(frame));
        // Well past the busy poll: the receive thread is parked, armed for an interrupt.
        awaitArmed();
        sender.say("go");
        sender.expect("sent");
        EthernetFrame f = got.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(f != null, "the frame was delivered");
        assertTrue(nic.stats().interrupts() >= 1, "it came with an interrupt: " + nic.stats());
    }

    private void awaitArmed() throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!armed()) {
            assertTrue(System.nanoTime() < end, "the receiver never armed");
            Thread.sleep(1);
        }
    }

    private boolean armed() {
        return nic.station().armed();
    }

    private static long number(String line, String word) {
        String[] parts = line.split(" ");
        for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i].equals(word)) {
                return Long.parseLong(parts[i + 1]);
            }
        }
        throw new AssertionError("no '" + word + "' in " + line);
    }

    /** Until the receiver has caught up with the wire. */
    private static void awaitQuiet(AtomicLong received, NicImpl nic) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (nic.station().pending()) {
            assertTrue(System.nanoTime() < end, "the receiver did not catch up; received " + received.get());
            Thread.sleep(1);
        }
    }
}
