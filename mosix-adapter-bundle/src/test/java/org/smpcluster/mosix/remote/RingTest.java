package org.smpcluster.mosix.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.mosix.layout.ChannelDescriptor;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RingTest {

    private final Arena arena = Arena.ofShared();

    @AfterEach
    void free() {
        arena.close();
    }

    private Ring ring(int capacity) {
        MemorySegment s = arena.allocate(ChannelDescriptor.RING_HEADER + capacity, 128);
        s.fill((byte) 0);
        return new Ring(s, capacity);
    }

    @Test
    void shouldDeliverEveryRecordOnceAndInOrderAcrossTheEndWhileTheProducerWaitsForRoom() throws Exception {
        Ring r = ring(1024); // small: wraps every few records, and fills up
        int records = 200_000;
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                for (int i = 0; i < records; i++) {
                    byte[] b = ("record " + i + " ").repeat(1 + i % 7).getBytes();
                    assertTrue(r.offer(ChannelDescriptor.STDOUT, i, b, 0, b.length, () -> true));
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        producer.start();
        int[] next = {0};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        while (next[0] < records && failed.get() == null) {
            r.poll((type, pid, payload) -> {
                int i = next[0]++;
                assertEquals(ChannelDescriptor.STDOUT, type);
                assertEquals(i, pid, "records in order");
                assertEquals(("record " + i + " ").repeat(1 + i % 7), new String(payload.toArray(ValueLayout.JAVA_BYTE)));
            });
            assertTrue(System.nanoTime() < deadline, "consumed " + next[0] + " of " + records + " in time");
        }
        producer.join();
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
        assertEquals(records, next[0]);
        assertEquals(0, r.poll((t, p, b) -> {
            throw new AssertionError("no more");
        }));
    }

    @Test
    void shouldGiveUpWhenTheConsumerIsGoneAndRefuseAnOversizedRecord() {
        Ring r = ring(1024);
        byte[] b = new byte[r.maxPayload()];
        int sent = 0;
        while (r.offer(ChannelDescriptor.STDOUT, 1, b, 0, b.length, () -> false)) {
            sent++;
        }
        assertTrue(sent >= 2, "room for a few records, then full: " + sent);
        assertFalse(r.offer(ChannelDescriptor.STDOUT, 1, b, 0, b.length, () -> false));
        assertThrows(IllegalArgumentException.class,
                () -> r.offer(ChannelDescriptor.STDOUT, 1, new byte[r.maxPayload() + 1], 0, r.maxPayload() + 1, () -> true));
        List<Integer> lengths = new ArrayList<>();
        r.poll((t, p, payload) -> lengths.add((int) payload.byteSize()));
        assertEquals(sent, lengths.size());
        assertTrue(lengths.stream().allMatch(n -> n == r.maxPayload()), "exact payload lengths: " + lengths);
    }

    @Test
    void shouldSayARingIsCorruptInsteadOfReadingPastIt() {
        MemorySegment s = arena.allocate(ChannelDescriptor.RING_HEADER + 1024, 128);
        s.fill((byte) 0);
        Ring r = new Ring(s, 1024);
        s.set(ValueLayout.JAVA_LONG, ChannelDescriptor.TAIL_OFFSET, 64L); // a producer that published garbage
        s.set(ValueLayout.JAVA_INT, ChannelDescriptor.RING_HEADER, 5000);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.poll((t, p, b) -> { }));
        assertTrue(e.getMessage().contains("record length=5000"), e.getMessage());
    }
}
