package org.smpcluster.nanokernel.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.nanokernel.Kernel;

/** Sequence locks whose writer died in the middle of a write: readers give up, the writer repairs. */
class SeqLockTest {

    @TempDir
    Path dir;

    @Test
    void shouldGiveUpOnAnOddSequenceAfterItsPatienceInsteadOfSpinningForever() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate(64, 8);
            Shm.setIntRelease(s, 0, 7); // a writer died holding it
            long start = System.nanoTime();
            Object copy = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> Shm.seqRead(s, 0, 100_000_000L, () -> "torn"));
            long took = System.nanoTime() - start;
            assertEquals(null, copy);
            assertTrue(took >= 100_000_000L && took < 2_000_000_000L, "gave up after " + took / 1_000_000 + " ms");
        }
    }

    @Test
    void shouldTakeAnOddSequenceAsTheNextEvenOneWhenWritingAgain() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64, 8);
            Shm.setIntRelease(s, 0, 7);
            Shm.seqWrite(s, 0, () -> s.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, 42L));
            assertEquals(10, Shm.getIntAcquire(s, 0), "odd 7 taken as 8, written as 9, released as 10");
            assertEquals(42L, (long) Shm.seqRead(s, 0, 1, () -> s.get(java.lang.foreign.ValueLayout.JAVA_LONG, 8)));
        }
    }

    @Test
    void shouldRefuseAHalfWrittenBridgeEntryToReadersAndRepairItOnTheRoot() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "seq", 8L << 20))) {
            MemorySegment physmem = root.physmem().segment();
            try (Bridge wire = root.bridges().open("wire", 4096)) {
                long seq = BridgeDirectoryDescriptor.entry(0) + BridgeDirectoryDescriptor.SEQ_OFFSET;
                Shm.setIntRelease(physmem, seq, Shm.getIntAcquire(physmem, seq) + 1); // odd: a write never finished

                IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                        () -> assertThrows(IllegalStateException.class, () -> BridgeDirectoryDescriptor.read(physmem, 0)));
                assertTrue(e.getMessage().startsWith("bridge directory entry 0 stays half-written (sequence"),
                        e.getMessage());

                // The root, its only writer, takes the entry as it is and goes on.
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                    try (Bridge again = root.bridges().open("wire", 4096)) {
                        assertEquals(wire.segment().address(), again.segment().address());
                    }
                });
                assertEquals("wire", BridgeDirectoryDescriptor.read(physmem, 0).name(), "readers see it again");
            }
        }
    }

    @Test
    void shouldRepairAHalfWrittenDeviceEntryOnTheRoot() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "seqdev", 8L << 20))) {
            MemorySegment physmem = root.physmem().segment();
            root.devices().add("0000:00:04.0", "storage", "disk0", "/srv/disk0");
            long seq = DeviceTableDescriptor.entry(0) + DeviceTableDescriptor.SEQ_OFFSET;
            Shm.setIntRelease(physmem, seq, Shm.getIntAcquire(physmem, seq) + 1);

            assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertEquals("disk0", root.devices().devices().get(0).name()));
        }
    }
}
