package org.smpcluster.mosix.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smpcluster.api.process.ExitStatus;
import org.smpcluster.api.process.ProcessInfo;
import org.smpcluster.api.process.ProcessState;
import org.smpcluster.mosix.layout.ProcTableDescriptor.Free;
import org.smpcluster.mosix.layout.ProcTableDescriptor.Torn;
import org.smpcluster.mosix.layout.ProcTableDescriptor.Used;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProcTableDescriptorTest {

    private final Arena arena = Arena.ofShared();

    @AfterEach
    void free() {
        arena.close();
    }

    private MemorySegment table(int vnode, int capacity) {
        MemorySegment s = arena.allocate(ProcTableDescriptor.length(capacity), 64);
        s.fill((byte) 0x5a); // what a reused page may hold
        ProcTableDescriptor.initialise(s, vnode, capacity, 2);
        return s;
    }

    private static ProcessInfo running(long pid, String name) {
        return new ProcessInfo(pid, 2000001, name, 2, 1, ProcessState.RUNNING, 123_456_789L, 1L << 33, 1_700_000_000_123L,
                Optional.empty(), "not migratable");
    }

    @Test
    void shouldReadBackWhatWasWrittenFieldForField() {
        MemorySegment s = table(2, 8);
        ProcessInfo p = running(2000042, "Spin");
        ProcessInfo q = new ProcessInfo(2000043, 0, "Exit3", 2, 2, ProcessState.EXITED, 5, 6, 7,
                Optional.of(new ExitStatus(3, "exited")), "");
        ProcTableDescriptor.write(s, 8, 5, p);
        ProcTableDescriptor.write(s, 8, 0, q);
        assertEquals(new Used(p), ProcTableDescriptor.read(s, 8, 5));
        assertEquals(new Used(q), ProcTableDescriptor.read(s, 8, 0));
        assertInstanceOf(Free.class, ProcTableDescriptor.read(s, 8, 1));
        assertEquals(List.of(q, p), ProcTableDescriptor.readAll(s, 2));
        ProcTableDescriptor.free(s, 8, 5);
        assertEquals(List.of(q), ProcTableDescriptor.readAll(s, 2));
    }

    @Test
    void shouldCutLongStringsAtACharacterBoundary() {
        MemorySegment s = table(1, 1);
        String name = "é".repeat(40); // 80 bytes of UTF-8: 32 characters fit
        ProcTableDescriptor.write(s, 1, 0, running(1000001, name));
        ProcessInfo back = ((Used) ProcTableDescriptor.read(s, 1, 0)).info();
        assertEquals("é".repeat(32), back.name());
        assertTrue(back.name().getBytes(StandardCharsets.UTF_8).length <= ProcTableDescriptor.STRING_CAPACITY);
    }

    @Test
    void shouldReportATornEntryInsteadOfGarbage() {
        MemorySegment s = table(1, 4);
        ProcTableDescriptor.write(s, 4, 2, running(1000007, "victim"));
        long e = ProcTableDescriptor.entry(4, 2);
        // the writer died half-way: sequence odd, half the fields new
        int seq = s.get(ValueLayout.JAVA_INT, e + ProcTableDescriptor.SEQ_OFFSET);
        s.set(ValueLayout.JAVA_INT, e + ProcTableDescriptor.SEQ_OFFSET, seq + 1);
        s.set(ValueLayout.JAVA_LONG, e + ProcTableDescriptor.PID_OFFSET, 99L);
        assertInstanceOf(Torn.class, ProcTableDescriptor.read(s, 4, 2));
        assertEquals(List.of(), ProcTableDescriptor.readAll(s, 1), "a torn entry is left out");
    }

    @Test
    void shouldNeverShowAHalfWrittenEntryToAConcurrentReader() throws Exception {
        MemorySegment s = table(1, 1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            for (long i = 1; !stop.get(); i++) {
                // each write has the same number in every field, so a mix of two writes shows
                ProcTableDescriptor.write(s, 1, 0, new ProcessInfo(i, i, "n" + i, 1, 1, ProcessState.RUNNING, i, i, i,
                        Optional.empty(), "c" + i));
            }
        });
        writer.start();
        try {
            long reads = 0;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (System.nanoTime() < deadline) {
                if (ProcTableDescriptor.read(s, 1, 0) instanceof Used u) {
                    ProcessInfo p = u.info();
                    long i = p.pid();
                    if (p.parent() != i || p.cpuNanos() != i || p.allocatedBytes() != i || p.startedMillis() != i
                            || !p.name().equals("n" + i) || !p.cantMove().equals("c" + i)) {
                        failed.set(new AssertionError("a torn copy: " + p));
                        break;
                    }
                    reads++;
                }
            }
            assertTrue(reads > 0, "the reader got a consistent copy at least once");
        } finally {
            stop.set(true);
            writer.join();
        }
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
    }

    @Test
    void shouldReadNothingFromATableThatIsNotReadyOrNotThatVnodes() {
        MemorySegment s = arena.allocate(ProcTableDescriptor.length(4), 64);
        s.fill((byte) 0x5a);
        assertEquals(0, ProcTableDescriptor.readyCapacity(s, 1), "garbage is no table");
        ProcTableDescriptor.initialise(s, 1, 4, 2);
        ProcTableDescriptor.write(s, 4, 0, running(1000001, "x"));
        assertEquals(4, ProcTableDescriptor.readyCapacity(s, 1));
        assertEquals(0, ProcTableDescriptor.readyCapacity(s, 2), "vnode 1's table is not vnode 2's");
        assertEquals(List.of(), ProcTableDescriptor.readAll(s, 2));
        s.set(ValueLayout.JAVA_INT, ProcTableDescriptor.VERSION_OFFSET, 0); // being laid out again
        assertEquals(List.of(), ProcTableDescriptor.readAll(s, 1));
        // a capacity in the header larger than the segment is not believed
        ProcTableDescriptor.initialise(s, 1, 4, 2);
        s.set(ValueLayout.JAVA_INT, ProcTableDescriptor.CAPACITY_OFFSET, 5);
        assertEquals(0, ProcTableDescriptor.readyCapacity(s, 1));
    }

    @Test
    void shouldSayWhatDoesNotFit() {
        MemorySegment s = arena.allocate(1000, 64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProcTableDescriptor.initialise(s, 1, 4, 2));
        assertEquals("bridge size=1000 is too small for capacity=4 entries: needs 1152 bytes (128 + 4 * 256)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProcTableDescriptor.length(0));
        assertThrows(IllegalArgumentException.class, () -> ProcTableDescriptor.entry(4, 4));
        assertThrows(IllegalArgumentException.class, () -> ProcTableDescriptor.entry(4, -1));
    }

    @Test
    void shouldPublishTheLoadWord() {
        MemorySegment s = table(1, 1);
        ProcTableDescriptor.writeLoad(s, 3, 1500, 1L << 30, 42);
        assertEquals(3, ProcTableDescriptor.runnable(s));
        assertEquals(2, ProcTableDescriptor.cpus(s));
        assertEquals(1500, ProcTableDescriptor.load(s));
        assertEquals(1L << 30, ProcTableDescriptor.freeMemory(s));
    }
}
