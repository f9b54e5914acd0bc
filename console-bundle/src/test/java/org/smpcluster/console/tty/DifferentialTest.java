package org.smpcluster.console.tty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LineDiscipline} against the kernel's N_TTY: every case of {@code cases.tsv} runs through
 * a real pty ({@link PtyOracle}) and through the Java line discipline, and the echo and the reads
 * must be the same bytes. Skipped where the oracle cannot run (not Linux, no python3, no ptys).
 */
class DifferentialTest {

    private static final String TABLE = "cases.tsv";
    private static final String HEADER = "name\tstty\tcolumn\tinput\treads";
    private static final int MAX_READS = 64;
    private static final int DEFAULT_READ = 4096;
    private static final Pattern REPEAT = Pattern.compile("\\{([^{}]*)\\*(\\d+)\\}");

    /** One line of the case table; {@code reads} empty means "4096 until a read would block". */
    record Case(String name, String stty, int column, String input, List<Integer> reads, int line) {

        byte[] inputBytes() {
            return Escapes.unescape(expand(input));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Expands the table's repetition form {@code {text*N}} (text written N times). */
    static String expand(String input) {
        Matcher m = REPEAT.matcher(input);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1).repeat(Integer.parseInt(m.group(2)))));
        }
        m.appendTail(out);
        return out.toString();
    }

    static List<Case> cases() {
        try (InputStream in = DifferentialTest.class.getResourceAsStream(TABLE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + TABLE + " is missing");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<Case> cases = new ArrayList<>();
            boolean header = false;
            int number = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                number++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                if (!header) {
                    if (!line.equals(HEADER)) {
                        throw new IllegalArgumentException(TABLE + ":" + number + ": expected the header '"
                                + HEADER.replace("\t", "\\t") + "'");
                    }
                    header = true;
                    continue;
                }
                cases.add(parse(line, number));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Case parse(String line, int number) {
        String[] f = line.split("\t", -1);
        String where = TABLE + ":" + number + ": ";
        if (f.length != 5) {
            throw new IllegalArgumentException(where + "expected 5 tab-separated fields, found " + f.length);
        }
        if (f[0].isBlank()) {
            throw new IllegalArgumentException(where + "no name");
        }
        int column;
        try {
            column = Integer.parseInt(f[2].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + "column '" + f[2] + "' is not a number");
        }
        if (column < 0) {
            throw new IllegalArgumentException(where + "negative column");
        }
        List<Integer> reads = new ArrayList<>();
        String r = f[4].strip();
        if (!r.equals("-")) {
            for (String size : r.split(",")) {
                try {
                    reads.add(Integer.parseInt(size.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + "read size '" + size + "' is not a number");
                }
                if (reads.getLast() <= 0) {
                    throw new IllegalArgumentException(where + "read sizes must be positive");
                }
            }
        }
        return new Case(f[0].strip(), f[1].strip(), column, f[3], List.copyOf(reads), number);
    }

    static Stream<Arguments> table() {
        return cases().stream().map(c -> Arguments.of(c.name(), c));
    }

    @Test
    void caseTableParses() {
        List<Case> cases = cases();
        assertTrue(cases.size() >= 50, "only " + cases.size() + " cases");
        Set<String> names = new HashSet<>();
        for (Case c : cases) {
            assertTrue(names.add(c.name()), "case name " + c.name() + " is used twice");
            assertTrue(c.reads().size() <= MAX_READS, c.name() + ": more than " + MAX_READS + " reads");
            c.inputBytes(); // throws for a malformed input
        }
    }

    @Test
    void repetitionExpands() {
        assertEquals("xababab\\ny", expand("x{ab*3}\\ny"));
        assertEquals(4101, Escapes.unescape(expand("{a*4100}\\n")).length);
        assertEquals("{no repeat}", expand("{no repeat}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void matchesTheKernel(String name, Case c) throws Exception {
        assumeTrue(PtyOracle.available(), "no pty oracle here (needs Linux, python3, stty and /dev/ptmx)");
        byte[] input = c.inputBytes();

        PtyOracle.Result linux = PtyOracle.run(c.stty(), c.column(), input, c.reads());

        Termios termios = Termios.sane();
        if (!c.stty().isBlank()) {
            termios = termios.stty(c.stty());
        }
        LineDiscipline ld = new LineDiscipline(termios);
        ld.column(c.column());
        ld.receive(input);
        byte[] echo = ld.takeEcho();
        List<byte[]> reads = read(ld, c.reads());

        String context = "case " + c.name() + " (" + TABLE + ":" + c.line() + "): stty '" + c.stty()
                + "', column " + c.column() + ", input '" + c.input() + "' = '" + Escapes.escape(input) + "'";
        assertEquals(describe(linux.echo(), linux.reads()), describe(echo, reads),
                () -> context + "\n  linux echo:  " + Escapes.escape(linux.echo())
                        + "\n  java echo:   " + Escapes.escape(echo)
                        + "\n  linux reads: " + describeReads(linux.reads())
                        + "\n  java reads:  " + describeReads(reads) + "\n");
    }

    /** The reads a program makes, as the oracle makes them: the given sizes, or 4096 repeatedly; stop when one would block. */
    private static List<byte[]> read(LineDiscipline ld, List<Integer> sizes) {
        List<byte[]> results = new ArrayList<>();
        for (int i = 0; results.size() < MAX_READS; i++) {
            int size;
            if (sizes.isEmpty()) {
                size = DEFAULT_READ;
            } else if (i < sizes.size()) {
                size = sizes.get(i);
            } else {
                break;
            }
            byte[] got = ld.read(size);
            if (got == null) {
                break;
            }
            results.add(got);
        }
        return results;
    }

    private static String describe(byte[] echo, List<byte[]> reads) {
        return "echo: " + Escapes.escape(echo) + "\nreads: " + describeReads(reads);
    }

    private static String describeReads(List<byte[]> reads) {
        if (reads.isEmpty()) {
            return "(would block)";
        }
        return reads.stream()
                .map(r -> r.length == 0 ? "<EOF>" : "[" + Escapes.escape(r) + "]")
                .collect(Collectors.joining(" "));
    }
}
