package org.smpcluster.console.tty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Blocking reads by MIN and TIME, as POSIX (and n_tty_read) define them. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BlockingReadTest {

    final Object monitor = new Object();

    LineDiscipline ld(String stty) {
        return new LineDiscipline(Termios.sane().stty(stty));
    }

    /** Types {@code keys} after {@code millis}, from another thread, notifying the reader. */
    void typeLater(LineDiscipline ld, String keys, long millis) {
        CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(millis); // the test's typist: the read must wait for this
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (monitor) {
                ld.receive(keys.getBytes());
                monitor.notifyAll();
            }
        });
    }

    byte[] read(LineDiscipline ld, int max) throws InterruptedException {
        synchronized (monitor) {
            return ld.read(max, monitor);
        }
    }

    @Test
    void shouldWaitForALineInCanonicalMode() throws Exception {
        LineDiscipline ld = ld("");
        typeLater(ld, "ab", 50);
        typeLater(ld, "c\n", 150);
        assertArrayEquals("abc\n".getBytes(), read(ld, 100));
    }

    @Test
    void shouldWaitForMinBytesWhenTimeIsZero() throws Exception {
        LineDiscipline ld = ld("-icanon min 3 time 0");
        typeLater(ld, "a", 30);
        typeLater(ld, "bc", 120);
        assertArrayEquals("abc".getBytes(), read(ld, 100));
    }

    @Test
    void shouldReturnNothingAfterTimeWhenMinIsZero() throws Exception {
        LineDiscipline ld = ld("-icanon min 0 time 2");
        long start = System.nanoTime();
        byte[] got = read(ld, 100);
        long took = System.nanoTime() - start;
        assertEquals(0, got.length);
        assertTrue(took >= 190_000_000L, "waited TIME (0.2 s): " + took / 1_000_000 + " ms");
        ld.receive("x".getBytes());
        assertArrayEquals("x".getBytes(), read(ld, 100), "and returns at once what is there");
    }

    @Test
    void shouldEndAtTheInterByteTimerOnceStarted() throws Exception {
        LineDiscipline ld = ld("-icanon min 10 time 1");
        typeLater(ld, "ab", 50);
        long start = System.nanoTime();
        byte[] got = read(ld, 100);
        assertArrayEquals("ab".getBytes(), got, "fewer than MIN: the 0.1 s after the last byte ended it");
        assertTrue(System.nanoTime() - start >= 140_000_000L);
    }

    @Test
    void shouldPollWithMinAndTimeZero() throws Exception {
        LineDiscipline ld = ld("-icanon min 0 time 0");
        assertEquals(0, read(ld, 10).length);
        ld.receive("ok".getBytes());
        assertArrayEquals("ok".getBytes(), read(ld, 10));
    }
}
