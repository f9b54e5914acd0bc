package org.smpcluster.mosix.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class MosixBenchTest {

    @Test
    void shouldReadItsOptionsAndNameWhatIsWrong() {
        assertEquals(new MosixBench.Options(3, 1.0, 1), MosixBench.Options.parse());
        assertEquals(new MosixBench.Options(1, 0.1, 2), MosixBench.Options.parse("--rounds", "1", "--scale", "0.1",
                "--vnode", "2"));
        assertNull(MosixBench.Options.parse("--help"));
        assertEquals("--rounds=0 is not a positive number", assertThrows(IllegalArgumentException.class,
                () -> MosixBench.Options.parse("--rounds", "0")).getMessage());
        assertEquals("--scale=11 is not a number in (0, 10]", assertThrows(IllegalArgumentException.class,
                () -> MosixBench.Options.parse("--scale", "11")).getMessage());
        assertEquals(List.of("rewrite", "deputy"), MosixBench.Options.parse("--only", "rewrite,deputy").parts());
        assertEquals("--only=rewrite,gc: gc is not one of [balancing, rewrite, migration, deputy]",
                assertThrows(IllegalArgumentException.class, () -> MosixBench.Options.parse("--only", "rewrite,gc"))
                        .getMessage());
        assertEquals("option=--frob is not one of --rounds N --scale F --vnode V --only PARTS --help (mosix:bench --help)",
                assertThrows(IllegalArgumentException.class, () -> MosixBench.Options.parse("--frob")).getMessage());
        assertEquals("option=--rounds needs a value", assertThrows(IllegalArgumentException.class,
                () -> MosixBench.Options.parse("--rounds")).getMessage());
    }

    @Test
    void shouldPrintFiguresAsBenchLinesWithWhatTheyAreBeside() {
        StringBuilder out = new StringBuilder();
        MosixBench.line(out, "balanced-over-ideal-ratio", 1.0834, "x", "bar <= 1.15");
        MosixBench.line(out, "deputy-write-p99", 12669.21, "us", null);
        assertEquals("mosix balanced-over-ideal-ratio 1.083 x   (bar <= 1.15)\nmosix deputy-write-p99 12669.2 us\n",
                out.toString());
    }

    @Test
    void shouldTakeMediansAndPercentilesOfTheSamples() {
        assertEquals(2.0, MosixBench.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(50L, MosixBench.percentile(List.of(100L, 1L, 50L, 20L, 70L), 0.5));
        assertEquals(100L, MosixBench.percentile(List.of(100L, 1L, 50L, 20L, 70L), 0.99));
    }

    @Test
    void shouldWriteItsProgramsAsClassFilesForProcessesAndJavaCp() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("mosix-bench-test");
        try {
            MosixBench.writePrograms(dir);
            for (String c : List.of("Work", "Burn", "BurnWork", "BurnThreads", "Ballast", "Stamps")) {
                assertEquals(true, java.nio.file.Files.isRegularFile(dir.resolve("org/smpcluster/mosix/bench/" + c
                        + ".class")), c);
            }
        } finally {
            MosixBench.delete(dir);
        }
    }
}
