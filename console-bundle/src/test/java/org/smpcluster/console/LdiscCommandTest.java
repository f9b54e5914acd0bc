package org.smpcluster.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@code console:ldisc}'s report (the behaviour itself is checked against a real pty in DifferentialTest). */
class LdiscCommandTest {

    @Test
    void shouldShowTheEchoAndEachRead() {
        assertEquals("""
                echo:   "a\\t^H^H^H^Hx\\r\\n"
                read 1: "ax\\n"
                read 2: would block""", LdiscCommand.run("", 3, "", "a\\t^?x\\n"));
    }

    @Test
    void shouldReadInTheGivenSizesAndReportEndOfFileAndSignals() {
        assertEquals("""
                echo:   "abcdefg\\r\\n"
                read 1: "abc"
                read 2: "def"
                read 3: "g\\n\"""", LdiscCommand.run("", 0, "3,3,3", "abcdefg\\n"));
        assertEquals("""
                echo:   ""
                read 1: end of file
                read 2: would block""", LdiscCommand.run("-echo", 0, "", "^D"));
        assertEquals("""
                echo:   "\\^C"
                read 1: would block
                signals: SIGINT""", LdiscCommand.run("", 0, "", "abc^C"));
    }

    @Test
    void shouldRefuseBadSettingsAndInput() {
        assertThrows(IllegalArgumentException.class, () -> LdiscCommand.run("-nosuchflag", 0, "", "a"));
        assertThrows(IllegalArgumentException.class, () -> LdiscCommand.run("", 0, "x", "a"));
        assertThrows(IllegalArgumentException.class, () -> LdiscCommand.run("", -1, "", "a"));
        assertThrows(IllegalArgumentException.class, () -> LdiscCommand.run("", 0, "", "ab\\"));
        String m = assertThrows(IllegalArgumentException.class, () -> LdiscCommand.run("", 0, "4,0", "a")).getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(m.contains("1..65536"), m);
        m = assertThrows(IllegalArgumentException.class, () -> LdiscCommand.run("", Integer.MAX_VALUE, "", "a")).getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(m.contains("0..4096"), m);
        m = assertThrows(IllegalArgumentException.class, () -> LdiscCommand.run("", 0, "", "\\xqq")).getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(m.contains("two hex digits"), m);
    }
}
