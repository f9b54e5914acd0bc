package org.smpcluster.console.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.smpcluster.console.tty.Escapes;
import org.smpcluster.console.tty.LineDiscipline;
import org.smpcluster.console.tty.Termios;

/** The console commands refuse what they cannot do as asked, saying what is allowed. */
class ConsoleCommandsTest {

    /** No vnode behind it: a command that gets as far as typing fails on the null nanokernel. */
    final ConsoleService consoles = new ConsoleService(null, null, null, null);

    static String refused(Executable command) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, command);
        assertEquals(IllegalArgumentException.class, e.getClass(), "a clear refusal, not a raw " + e.getClass().getName());
        return e.getMessage();
    }

    @Test
    void shouldRefuseToTypeALineLongerThanTheConsoleKeeps() {
        String m = refused(() -> consoles.write(false, 1, "x".repeat(6000)));
        assertTrue(m.contains("a line of 6000 bytes") && m.contains("4095"), m);
        m = refused(() -> consoles.write(true, 1, "ls\\r" + "y".repeat(4096) + "\\rls"));
        assertTrue(m.contains("a line of 4096 bytes"), m);
        assertDoesNotThrow(() -> ConsoleService.checkLines(("z".repeat(4095) + "\r" + "z".repeat(4095) + "\n").getBytes()));
        assertDoesNotThrow(() -> ConsoleService.checkLines(("z".repeat(3000) + "\u0003" + "z".repeat(3000)).getBytes()),
                "^C drops the line: what follows is a new one");
    }

    @Test
    void shouldRefuseASleepThatIsNotANumberOfSecondsInRange() {
        for (double s : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1, 86_401}) {
            String m = refused(() -> consoles.sleep(s));
            assertTrue(m.contains("seconds=" + s) && m.contains("0..86400"), m);
        }
    }

    @Test
    void shouldRefuseBadEscapesWithAMessageNotARawException() {
        assertTrue(refused(() -> Escapes.unescape("\\xZZ")).contains("two hex digits"));
        assertTrue(refused(() -> Escapes.unescape("\\x4")).contains("two hex digits"));
        assertTrue(refused(() -> Escapes.unescape("^1")).contains("no control character"));
        assertTrue(refused(() -> Escapes.unescape("^\u00e9")).contains("no control character"));
        assertArrayEquals(new byte[] {3, 0x7f, 0, 0x1f, 'A'}, Escapes.unescape("^c^?^@^_\\x41"));
    }

    @Test
    void shouldBoundWhatTheLineDisciplineHoldsForReadersAndSayHowMuchItTook() {
        LineDiscipline ld = new LineDiscipline(Termios.sane().stty("-icanon -echo"));
        byte[] lots = new byte[200_000];
        assertEquals(LineDiscipline.PENDING_LIMIT, ld.receive(lots));
        assertEquals(LineDiscipline.BUFFER - 1, ld.receive(lots), "the read buffer took 4095 of the first");
        assertEquals(LineDiscipline.PENDING_LIMIT, ld.pending(), "no more waits for readers than the limit");
        assertEquals(0, ld.room());
        assertEquals(0, ld.receive(new byte[10]), "nothing more until a reader reads");
        assertEquals(LineDiscipline.BUFFER - 1, ld.read(4096).length);
        assertEquals(LineDiscipline.BUFFER - 1, ld.room(), "what the read made room for came in from what waited");
    }

    @Test
    void shouldRestartOutputStoppedByStopWhenIxonIsCleared() {
        LineDiscipline ld = new LineDiscipline(Termios.sane());
        ld.receive(new byte[] {0x13, 'a', 'b'}); // ^S, then keys whose echo waits
        assertEquals(0, ld.takeEcho().length, "stopped: no echo");
        ld.termios(Termios.sane().stty("-ixon"));
        assertArrayEquals("ab".getBytes(), ld.takeEcho(), "no START can come any more: output goes on, as Linux does");
    }

    @Test
    void shouldTakeOnlyAsManyKeysAsAskedAndLeaveTheRestInTheRing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(ConsoleLayout.SIZE, 4096);
            ConsoleLayout.format(s, 1);
            byte[] keys = "hello, world".getBytes();
            assertEquals(keys.length, ConsoleLayout.type(s, keys, 0));
            assertArrayEquals("hello".getBytes(), ConsoleLayout.takeKeys(s, 5));
            assertArrayEquals(", world".getBytes(), ConsoleLayout.takeKeys(s, 100));
            assertEquals(0, ConsoleLayout.takeKeys(s, 100).length);
            // A typist that wrote garbage into the ring's counters: dropped, not an exception.
            ConsoleLayout.set(s, ConsoleLayout.OFF_KEYS_HEAD, -5);
            assertEquals(0, ConsoleLayout.takeKeys(s, 100).length);
            assertEquals(3, ConsoleLayout.type(s, "abc".getBytes(), 0));
            assertArrayEquals("abc".getBytes(), ConsoleLayout.takeKeys(s, 100));
        }
    }
}
