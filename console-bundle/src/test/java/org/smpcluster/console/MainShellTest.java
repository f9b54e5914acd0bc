package org.smpcluster.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class MainShellTest {

    @Test
    void shouldSplitAScriptIntoItsTopLevelStatements() {
        assertEquals(List.of("lb", "nk:status", "echo done"), MainShell.statements("lb; nk:status ;echo done"));
    }

    @Test
    void shouldKeepSemicolonsInsideClosuresAndQuotes() {
        assertEquals(List.of("each [1 2] { echo $it; echo again }", "echo 'a; b'"),
                MainShell.statements("each [1 2] { echo $it; echo again }; echo 'a; b'"));
    }

    @Test
    void shouldTreatNewlinesAsSeparators() {
        assertEquals(List.of("echo one", "echo two"), MainShell.statements("echo one\necho two\n"));
    }

    @Test
    void shouldKeepConditionalChainsTogether() {
        assertEquals(List.of("nk:status && echo ok || echo failed", "lb"),
                MainShell.statements("nk:status && echo ok || echo failed; lb"));
    }

    @Test
    void shouldRefuseAnUnterminatedClosure() {
        assertThrows(RuntimeException.class, () -> MainShell.statements("echo {"));
    }

    @Test
    void shouldDescribeCommandErrorsWithoutNoise() {
        assertEquals("no vnode 7", MainShell.describe(new IllegalArgumentException("no vnode 7")));
        assertEquals("IllegalStateException: bridge closed",
                MainShell.describe(new IllegalStateException("bridge closed")));
        assertEquals("java.lang.NullPointerException", MainShell.describe(new NullPointerException()));
    }
}
