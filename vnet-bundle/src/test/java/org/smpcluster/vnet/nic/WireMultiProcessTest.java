package org.smpcluster.vnet.nic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Tag;
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

    /**
     * A live holder is not cut however long it holds; killed (SIGKILL) it is, within the 10 ms
     * bound, measured from the kill to the root's frame on the wire, five times.
     */
    @Test
    @Tag("fault-injection")
    void shouldNotCutALiveHolderButCutItWithin10msOfItsKill() throws Exception {
        List<Long> micros = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            Child holder = start(1, 1, "hold");
            holder.expect("attached");
            holder.expect("holding");
            long cutsBefore = nic.station().counter(Counter.JABBER_CUTS);
            long[] sentAt = new long[1];
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    nic.send(new EthernetFrame(org.smpcluster.api.vnet.MacAddress.BROADCAST, nic.mac(), 0x88B5,
                            new byte[10]));
                    sentAt[0] = System.nanoTime();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // Held by a live process for four jabber timeouts: the root's station defers, it does not cut.
            assertFalse(sender.join(Duration.ofMillis(20)), "the root sent while a live holder held the carrier");
            assertEquals(cutsBefore, nic.station().counter(Counter.JABBER_CUTS));
            long killed = System.nanoTime();
            holder.process.destroyForcibly(); // SIGKILL
            assertTrue(sender.join(DEADLINE), "the root never sent after the holder died");
            long took = sentAt[0] - killed;
            micros.add(took / 1_000);
            assertEquals(cutsBefore + 1, nic.station().counter(Counter.JABBER_CUTS));
            assertTrue(took < 5 * WireParams.MAX_JABBER.toNanos(), "sent " + took / 1_000 + " us after the holder's kill");
            holder.process.waitFor(10, TimeUnit.SECONDS);
        }
        System.out.println("WireMultiProcessTest: a SIGKILLed carrier holder cut, kill to frame sent (us): " + micros);
        // The bound is 10 ms; on a loaded 2-CPU machine the root's sending thread itself may wait
        // that long for a CPU once in a while, so one round of five may miss it (by under 50 ms).
        long over = micros.stream().filter(us -> us * 1_000 >= WireParams.MAX_JABBER.toNanos()).count();
        assertTrue(over <= 1, "the wire was free within 10 ms of the holder's kill in only " + (5 - over)
                + " of 5 rounds: " + micros + " us");
    }

    /**
     * A holder stopped (SIGSTOP) for 20 ms, four jabber timeouts, in the middle of its frame
     * keeps the carrier: nobody cuts it, its frame arrives whole, and the root's after it.
     */
    @Test
    @Tag("fault-injection")
    void shouldNotCutAHolderStoppedFor20msAndDeliverItsFrame() throws Exception {
        Child holder = start(1, 1, "stall");
        holder.expect("attached");
        java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        nic.listen(0x88B5, (n, frame) -> got.add(new String(frame.payload(), java.nio.charset.StandardCharsets.US_ASCII)
                .replace("\0", "")));
        holder.say("go");
        holder.expect("holding");
        signal("STOP", holder.process);
        long[] took = new long[1];
        Thread sender = Thread.ofPlatform().start(() -> {
            long t = System.nanoTime();
            try {
                nic.send(new EthernetFrame(VnetCore.mac("eth0", 1), nic.mac(), 0x88B5, new byte[10]));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            took[0] = System.nanoTime() - t;
        });
        boolean early = sender.join(Duration.ofMillis(20)); // the stop: four jabber timeouts
        holder.say("release");
        signal("CONT", holder.process);
        String sent = holder.expect("sent");
        assertTrue(sender.join(DEADLINE), "the root never sent");
        assertFalse(early, "the root sent while the stopped holder held the carrier");
        assertEquals("stalled", got.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS), "the stopped holder's frame arrived");
        assertEquals("sent SENT carrierlost 0", sent);
        assertEquals(0, nic.station().counter(Counter.JABBER_CUTS), "nobody cut the stopped holder");
        assertEquals(0, nic.stats().rxErrors(), "no frame damaged");
        assertTrue(took[0] >= 20_000_000, "the root waited for the holder: " + took[0] / 1_000 + " us");
        System.out.println("WireMultiProcessTest: a holder stopped 20 ms kept the carrier; the root's frame waited "
                + took[0] / 1_000 + " us");
    }

    static void signal(String signal, Process p) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + p.pid());
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
