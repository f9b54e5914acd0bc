package org.smpcluster.nanokernel.portal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.Portals;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.DoorbellDescriptor;
import org.smpcluster.nanokernel.layout.Shm;
import org.smpcluster.nanokernel.mem.Physmem;

class PortalTest {

    @TempDir
    Path dir;

    private Physmem physmem;
    private Doorbells doorbells;

    @BeforeEach
    void map() {
        physmem = Physmem.create(dir, "portal", ControlArea.SIZE + 16 * ControlArea.PAGE_SIZE);
        doorbells = new Doorbells(physmem.segment());
    }

    @AfterEach
    void unmap() {
        physmem.close();
    }

    @Test
    void shouldWakeAnInterruptThreadBlockedInFutexWait() throws Exception {
        CountDownLatch delivered = new CountDownLatch(1);
        try (InterruptThread irq = new InterruptThread(physmem.segment(), 3, (v, hits) -> delivered.countDown(), 0).start()) {
            awaitWaiting(3);

            doorbells.raise(3, 20);

            assertTrue(delivered.await(5, TimeUnit.SECONDS), "the futex-waiting thread was woken");
            assertEquals(1, irq.received(20));
        }
    }

    @Test
    void shouldDeliverEveryHitExactlyOnceUnderConcurrentRaisers() throws Exception {
        int raisers = 4;
        int perRaiser = 100_000;
        int[] vectors = {Portals.FIRST_DRIVER_VECTOR, 33, 63};
        AtomicLongArray delivered = new AtomicLongArray(Portals.VECTORS);
        try (InterruptThread irq = new InterruptThread(physmem.segment(), 5,
                (v, hits) -> delivered.addAndGet(v, hits), 20_000).start()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < raisers; t++) {
                int seed = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perRaiser; i++) {
                        doorbells.raise(5, vectors[(i + seed) % vectors.length]);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(30));
            }
            long expected = (long) raisers * perRaiser;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (total(delivered, vectors) < expected && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(expected, total(delivered, vectors));
            for (int v : vectors) {
                assertEquals(irq.received(v), delivered.get(v));
            }
        }
    }

    @Test
    void shouldRefuseVnodesAndVectorsOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> doorbells.raise(16, 0));
        assertThrows(IllegalArgumentException.class, () -> doorbells.raise(0, 64));
    }

    private static long total(AtomicLongArray delivered, int[] vectors) {
        long sum = 0;
        for (int v : vectors) {
            sum += delivered.get(v);
        }
        return sum;
    }

    private void awaitWaiting(int vnode) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long waiting = ControlArea.doorbell(vnode) + DoorbellDescriptor.WAITING_OFFSET;
        while (Shm.getIntVolatile(physmem.segment(), waiting) == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the interrupt thread never went to wait");
            }
            Thread.onSpinWait();
        }
    }
}
