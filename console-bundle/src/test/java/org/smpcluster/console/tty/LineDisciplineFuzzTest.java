package org.smpcluster.console.tty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Fuzz target of the console's line discipline ({@link LineDiscipline}): arbitrary keyboard
 * bytes under arbitrary termios-like settings, fed in batches between reads of any size,
 * program output and settings changes, as a console's input thread, shell and {@code stty}
 * would. Inputs are the corpus in {@code src/test/resources/fuzz/ldisc} (every case of the
 * differential table {@code cases.tsv} and nasty ones, see {@code make_seeds.py}) mutated
 * (bytes flipped, set, inserted, deleted, duplicated, spliced; settings flags and control
 * characters changed), and fresh random ones.
 *
 * <p>Invariants: nothing throws; nothing takes more than 10 s (a hang, not a slow machine);
 * the buffers stay bounded (what waits for readers at most {@link LineDiscipline#PENDING_LIMIT},
 * a read at most its size and the 4096-byte read buffer, the echo of one batch bounded by its
 * size); and, in a model property, canonical lines come out as N_TTY gives them (each line's
 * first 4095 bytes and its end, erase and kill applied), and raw input comes out byte for byte.
 */
@net.jqwik.api.Tag("fuzz")
class LineDisciplineFuzzTest {

    static final List<Seed> seeds = new ArrayList<>();
    static final Pattern REPEAT = Pattern.compile("\\{([^{}]*)\\*(\\d+)\\}");

    /** A corpus case: settings on top of {@code stty sane}, the cursor column, the keyboard bytes. */
    record Seed(String name, String stty, int column, byte[] input) {
    }

    static synchronized List<Seed> seeds() {
        if (seeds.isEmpty()) {
            try {
                Path dir = Path.of(LineDisciplineFuzzTest.class.getResource("/fuzz/ldisc").toURI());
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path p : files.filter(f -> f.toString().endsWith(".txt")).sorted().toList()) {
                        seeds.add(parse(p.getFileName().toString(), Files.readString(p, StandardCharsets.UTF_8)));
                    }
                }
            } catch (IOException | URISyntaxException e) {
                throw new IllegalStateException("the ldisc corpus cannot be read", e);
            }
            assertTrue(seeds.size() >= 100, "the corpus has " + seeds.size() + " seeds");
        }
        return seeds;
    }

    static Seed parse(String name, String text) {
        String[] lines = text.split("\n", 3);
        assertTrue(lines.length == 3 && lines[0].startsWith("stty") && lines[1].startsWith("column "), name);
        String input = lines[2].endsWith("\n") ? lines[2].substring(0, lines[2].length() - 1) : lines[2];
        Matcher m = REPEAT.matcher(input);
        StringBuilder expanded = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(expanded, Matcher.quoteReplacement(m.group(1).repeat(Integer.parseInt(m.group(2)))));
        }
        m.appendTail(expanded);
        return new Seed(name, lines[0].substring(4).strip(), Integer.parseInt(lines[1].substring(7).strip()),
                Escapes.unescape(expanded.toString()));
    }

    // The fuzzed sessions.

    /** One step of a session: keys typed, a read, program output, new settings, the cursor column. */
    sealed interface Step {
    }

    record Type(byte[] keys) implements Step {
        @Override
        public String toString() {
            return "type " + Escapes.escape(java.util.Arrays.copyOf(keys, Math.min(keys.length, 200)))
                    + (keys.length > 200 ? "... (" + keys.length + " bytes)" : "");
        }
    }

    record Read(int max) implements Step {
    }

    record Write(byte[] output) implements Step {
        @Override
        public String toString() {
            return "write " + Escapes.escape(output);
        }
    }

    record Settings(Termios termios) implements Step {
        @Override
        public String toString() {
            return "stty " + termios;
        }
    }

    record Column(int column) implements Step {
    }

    record Session(Termios termios, List<Step> steps) {
        @Override
        public String toString() {
            return "settings " + termios + "; " + steps;
        }
    }

    @Example
    void shouldRunEverySeedOfTheCorpusAsItIs() {
        for (Seed s : seeds()) {
            Termios t = Termios.sane().stty(s.stty());
            run(new Session(t, List.of(new Column(s.column()), new Type(s.input()), new Read(4096), new Read(4096))));
        }
    }

    @Example
    void shouldBoundTheEchoOfAReprintThatIstripMadeFromAnEightBitByte() {
        byte[] keys = "s\u0092ky".repeat(120).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        run(new Session(Termios.sane().stty("istrip"), List.of(new Type(keys), new Read(4096))));
    }

    /**
     * CI's second failure: with output stopped (IXON and STOP), 40 KB typed and read echoed into
     * a 4 KiB ring that never dropped its oldest, and clearing IXON let out 75 KB of wrapped
     * garbage. n_tty discards the oldest echo even while stopped; what comes out on restart is
     * the newest typed, at most the ring's worth.
     */
    @Example
    void shouldKeepOnlyTheNewestEchoWhileOutputIsStoppedAndLetItOutWhenIxonIsCleared() {
        Termios raw = Termios.sane().stty("-icanon min 1");
        LineDiscipline ld = new LineDiscipline(raw);
        ld.receive(new byte[] {(byte) raw.cc(Termios.Cc.VSTOP)});
        ByteArrayOutputStream typed = new ByteArrayOutputStream();
        for (int round = 0; round < 10; round++) {
            byte[] keys = new byte[4000];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = (byte) ('a' + (round * 7 + i) % 26);
            }
            assertEquals(keys.length, ld.receive(keys));
            typed.writeBytes(keys);
            while (ld.readable()) {
                ld.read(LineDiscipline.BUFFER);
            }
            assertEquals(0, ld.takeEcho().length, "a stopped output echoes nothing");
        }
        ld.termios(raw.copy().stty("-ixon"));
        byte[] echo = ld.takeEcho();
        String all = typed.toString(StandardCharsets.ISO_8859_1);
        String out = new String(echo, StandardCharsets.ISO_8859_1);
        assertTrue(echo.length > 0 && echo.length < LineDiscipline.BUFFER, "echo of " + echo.length + " bytes");
        assertTrue(all.endsWith(out), "the echo is the newest typed: " + out.substring(0, Math.min(40, out.length())));
    }

    @Property(tries = 1000, generation = GenerationMode.RANDOMIZED)
    void shouldNeverThrowHangOrGrowWithoutBound(@ForAll("sessions") Session session) {
        run(session);
    }

    static void run(Session session) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> play(session), () -> "a session hung: " + session);
    }

    static void play(Session session) {
        List<Integer> signals = new ArrayList<>();
        LineDiscipline ld = new LineDiscipline(session.termios(), signals::add);
        // Characters that may echo a whole line (kill, word erase, reprint) or the echo held
        // back (start), under any of the session's settings; any other echoes a few bytes.
        boolean[] heavy = new boolean[256];
        markHeavy(heavy, session.termios());
        for (Step step : session.steps()) {
            if (step instanceof Settings s) {
                markHeavy(heavy, s.termios());
            }
        }
        ByteArrayOutputStream queued = new ByteArrayOutputStream(); // taken, not through the line discipline yet
        for (Step step : session.steps()) {
            int before = ld.pending();
            long output = 0;
            switch (step) {
                case Type t -> {
                    int taken = ld.receive(t.keys());
                    assertEquals(Math.min(t.keys().length, LineDiscipline.PENDING_LIMIT - before), taken,
                            () -> "keys taken, with " + before + " waiting: " + session);
                    queued.write(t.keys(), 0, taken);
                }
                case Read r -> {
                    byte[] got = ld.read(r.max()); // makes room: what waited goes through, and echoes
                    assertTrue(got == null || got.length <= Math.min(r.max(), LineDiscipline.BUFFER),
                            "a read of " + r.max() + " gave " + (got == null ? 0 : got.length) + ": " + session);
                }
                case Write w -> {
                    ld.write(w.output());
                    output = w.output().length;
                }
                case Settings s -> ld.termios(s.termios());
                case Column c -> ld.column(c.column());
            }
            // The echo of this step: for each character that went through, a few bytes, or a
            // line's worth for the heavy ones; program output at most a tab's 8 columns a byte;
            // and what was held back (committed echo, a stopped output restarted).
            byte[] q = queued.toByteArray();
            int through = q.length - ld.pending();
            long bound = 2L * LineDiscipline.BUFFER + 8 * output;
            for (int i = 0; i < through; i++) {
                bound += heavy[q[i] & 0xFF] ? 6L * LineDiscipline.BUFFER + 16 : 16;
            }
            queued.reset();
            queued.write(q, through, q.length - through);
            int echo = ld.takeEcho().length;
            long limit = bound;
            assertTrue(echo <= limit, () -> "an echo of " + echo + " bytes (at most " + limit + ") for " + through
                    + " characters and " + step + " in: " + session);
            assertTrue(ld.pending() <= LineDiscipline.PENDING_LIMIT, "pending " + ld.pending() + ": " + session);
            assertTrue(ld.room() >= 0, session::toString);
        }
        // Whatever is left can be read, a read at a time, and each is bounded.
        for (int i = 0; i < 200 && ld.readable(); i++) {
            byte[] got = ld.read(LineDiscipline.BUFFER);
            assertTrue(got != null && got.length <= LineDiscipline.BUFFER, session::toString);
        }
    }

    static void markHeavy(boolean[] heavy, Termios t) {
        for (Termios.Cc c : new Termios.Cc[] {Termios.Cc.VKILL, Termios.Cc.VWERASE, Termios.Cc.VREPRINT,
            Termios.Cc.VSTART}) { // START writes out what a stopped output held back
            heavy[t.cc(c) & 0xFF] = true;
            if (t.is(Termios.Flag.ISTRIP)) { // 0x92 is ^R once its eighth bit is stripped
                heavy[(t.cc(c) | 0x80) & 0xFF] = true;
            }
        }
    }

    // Inputs.

    @Provide
    Arbitrary<Session> sessions() {
        Arbitrary<Session> fromSeed = Arbitraries.randomValue(r -> session(seeds().get(r.nextInt(seeds().size())), r, true));
        Arbitrary<Session> seedAsIs = Arbitraries.randomValue(r -> session(seeds().get(r.nextInt(seeds().size())), r, false));
        Arbitrary<Session> fresh = Arbitraries.randomValue(r -> session(new Seed("random", "", r.nextInt(80),
                randomBytes(r, r.nextInt(r.nextInt(10) == 0 ? 80_000 : 600))), r, true));
        return Arbitraries.frequencyOf(Tuple.of(2, seedAsIs), Tuple.of(6, fromSeed), Tuple.of(3, fresh));
    }

    static Session session(Seed seed, Random r, boolean mutate) {
        Termios t;
        try {
            t = Termios.sane().stty(seed.stty());
        } catch (IllegalArgumentException e) {
            throw new AssertionError("seed " + seed.name() + ": " + e.getMessage(), e);
        }
        byte[] input = seed.input().clone();
        if (mutate) {
            if (r.nextInt(3) > 0) {
                t = mutate(t, r);
            }
            input = mutate(input, r);
        }
        List<Step> steps = new ArrayList<>();
        steps.add(new Column(r.nextInt(10) == 0 ? interesting(r) : seed.column()));
        int at = 0;
        while (at < input.length || steps.size() < 3) {
            int n = Math.min(input.length - at, r.nextInt(5) == 0 ? 1 : 1 + r.nextInt(Math.max(1, input.length / 3 + 1)));
            if (n > 0) {
                steps.add(new Type(java.util.Arrays.copyOfRange(input, at, at + n)));
                at += n;
            }
            int k = r.nextInt(10);
            if (k < 4) {
                steps.add(new Read(1 + (r.nextInt(4) == 0 ? r.nextInt(8) : r.nextInt(5000))));
            } else if (k == 4) {
                steps.add(new Write(randomBytes(r, r.nextInt(40))));
            } else if (k == 5 && mutate) {
                steps.add(new Settings(mutate(t, r)));
            } else if (k == 6) {
                steps.add(new Column(r.nextInt(200)));
            }
            if (n == 0) {
                break;
            }
        }
        return new Session(t, steps);
    }

    /** Some flags switched and some control characters changed (to anything, 0 disables). */
    static Termios mutate(Termios t, Random r) {
        Termios m = t.copy();
        int flags = 1 + r.nextInt(4);
        Termios.Flag[] all = Termios.Flag.values();
        for (int i = 0; i < flags; i++) {
            Termios.Flag f = all[r.nextInt(all.length)];
            m.set(f, !m.is(f));
        }
        if (r.nextBoolean()) {
            Termios.Cc[] cc = Termios.Cc.values();
            Termios.Cc c = cc[r.nextInt(cc.length)];
            m.set(c, c == Termios.Cc.VMIN || c == Termios.Cc.VTIME ? r.nextInt(4) : r.nextInt(256));
        }
        return m;
    }

    static byte[] mutate(byte[] b, Random r) {
        int n = 1 + r.nextInt(8);
        byte[] specials = {0x03, 0x04, 0x0a, 0x0d, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x1a, 0x1c, 0x7f, (byte) 0xff,
            (byte) 0x80, (byte) 0xc3, (byte) 0xe2, 0x09, 0x08, 0x00};
        for (int i = 0; i < n; i++) {
            int at = b.length == 0 ? 0 : r.nextInt(b.length);
            switch (r.nextInt(8)) {
                case 0 -> {
                    if (b.length > 0) {
                        b[at] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                case 1 -> {
                    if (b.length > 0) {
                        b[at] = specials[r.nextInt(specials.length)];
                    }
                }
                case 2 -> b = insert(b, at, new byte[] {specials[r.nextInt(specials.length)]});
                case 3 -> b = insert(b, at, randomBytes(r, 1 + r.nextInt(16)));
                case 4 -> b = delete(b, at, 1 + r.nextInt(32));
                case 5 -> { // duplicate a range, sometimes many times (long lines, erase storms)
                    int len = Math.min(1 + r.nextInt(16), b.length - at);
                    byte[] piece = java.util.Arrays.copyOfRange(b, at, at + Math.max(0, len));
                    int times = r.nextInt(4) == 0 ? r.nextInt(500) : 1;
                    ByteArrayOutputStream many = new ByteArrayOutputStream();
                    for (int k = 0; k < times; k++) {
                        many.writeBytes(piece);
                    }
                    b = insert(b, at, many.toByteArray());
                }
                case 6 -> { // splice with another seed's input
                    byte[] other = seeds().get(r.nextInt(seeds().size())).input();
                    int from = other.length == 0 ? 0 : r.nextInt(other.length);
                    b = insert(java.util.Arrays.copyOf(b, at), at,
                            java.util.Arrays.copyOfRange(other, from, Math.min(other.length, from + 2000)));
                }
                default -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length + 1));
            }
        }
        return b;
    }

    static int interesting(Random r) {
        int[] values = {0, 1, 7, 8, 79, 80, 4095, 4096, Integer.MAX_VALUE - 8, Integer.MAX_VALUE, -1};
        return values[r.nextInt(values.length)];
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] out = new byte[b.length + what.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(b, at, out, at + what.length, b.length - at);
        return out;
    }

    static byte[] delete(byte[] b, int at, int n) {
        n = Math.min(n, b.length - at);
        byte[] out = new byte[b.length - n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + n, out, at, b.length - at - n);
        return out;
    }

    // The model: canonical lines as N_TTY gives them; raw bytes as they are.

    /**
     * Lines of printable ASCII with erase (DEL) and kill (^U), ended by Enter (CR, which ICRNL
     * makes a newline, or LF) or ^D, typed in random batches between reads of random sizes:
     * what the reads return, put together, is each line as edited, its first 4095 bytes and
     * its end (a ^D's end is not delivered), as N_TTY keeps a canonical line.
     */
    @Property(tries = 200, generation = GenerationMode.RANDOMIZED)
    void shouldGiveCanonicalLinesAsNttyGivesThem(@ForAll("lines") List<String> lines, @ForAll("settings") String stty,
            @ForAll("splits") long split) {
        ByteArrayOutputStream typed = new ByteArrayOutputStream();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        Random r = new Random(split);
        for (String line : lines) {
            StringBuilder edited = new StringBuilder();
            for (char c : line.toCharArray()) {
                typed.write(c);
                if (c == 0x7f) {
                    if (!edited.isEmpty()) {
                        edited.setLength(edited.length() - 1);
                    }
                } else if (c == 0x15) {
                    edited.setLength(0);
                } else {
                    edited.append(c);
                }
            }
            int end = r.nextInt(5);
            typed.write(end == 0 ? 0x04 : end == 1 ? '\n' : '\r');
            expected.writeBytes(edited.substring(0, Math.min(edited.length(), LineDiscipline.BUFFER - 1))
                    .getBytes(StandardCharsets.US_ASCII));
            if (end != 0) {
                expected.write('\n');
            }
        }
        byte[] keys = typed.toByteArray();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            LineDiscipline ld = new LineDiscipline(Termios.sane().stty(stty));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int at = 0;
            while (at < keys.length || ld.readable()) {
                int n = Math.min(keys.length - at, 1 + r.nextInt(3000));
                if (at < keys.length && r.nextBoolean() && ld.room() >= n) { // a console's input thread waits for room
                    assertEquals(n, ld.receive(java.util.Arrays.copyOfRange(keys, at, at + n)), "all taken");
                    at += n;
                    ld.takeEcho();
                } else {
                    byte[] read = ld.read(1 + (r.nextBoolean() ? r.nextInt(16) : r.nextInt(5000)));
                    if (read != null) {
                        got.writeBytes(read);
                    }
                }
            }
            assertArrayEquals(expected.toByteArray(), got.toByteArray(), () -> "lines " + lines.stream()
                    .map(l -> l.length() > 40 ? l.substring(0, 40) + "...(" + l.length() + ")" : l).toList()
                    + " settings '" + stty + "'");
        });
    }

    @Provide
    Arbitrary<List<String>> lines() {
        Arbitrary<Character> keys = Arbitraries.frequencyOf(Tuple.of(40, Arbitraries.chars().range(' ', '~')),
                Tuple.of(3, Arbitraries.just((char) 0x7f)), Tuple.of(1, Arbitraries.just((char) 0x15)));
        Arbitrary<String> line = Arbitraries.frequencyOf(
                Tuple.of(8, keys.list().ofMaxSize(120).map(LineDisciplineFuzzTest::text)),
                // longer than a canonical line: no erase, so that the first 4095 bytes are the line's
                Tuple.of(1, Arbitraries.chars().range(' ', '~').list().ofMinSize(4090).ofMaxSize(6000)
                        .map(LineDisciplineFuzzTest::text)));
        return line.list().ofMaxSize(12);
    }

    static String text(List<Character> chars) {
        StringBuilder s = new StringBuilder();
        chars.forEach(s::append);
        return s.toString();
    }

    @Provide
    Arbitrary<String> settings() {
        return Arbitraries.of("", "-echo", "iutf8", "echoprt -echoe", "-echoctl", "-echoke", "noflsh", "-iexten",
                "-opost", "-isig");
    }

    @Provide
    Arbitrary<Long> splits() {
        return Arbitraries.longs();
    }

    /** Raw mode: every byte taken comes out as it was typed, in order, whatever the batches and reads. */
    @Property(tries = 200, generation = GenerationMode.RANDOMIZED)
    void shouldPassRawBytesThroughUnchanged(@ForAll("raw") byte[] keys, @ForAll("splits") long split) {
        Random r = new Random(split);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            LineDiscipline ld = new LineDiscipline(Termios.sane().stty("raw -echo"));
            ByteArrayOutputStream taken = new ByteArrayOutputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int at = 0;
            while (at < keys.length || ld.readable()) {
                if (at < keys.length && r.nextBoolean()) {
                    int n = Math.min(keys.length - at, 1 + r.nextInt(20_000));
                    int t = ld.receive(java.util.Arrays.copyOfRange(keys, at, at + n));
                    taken.write(keys, at, t);
                    at += n; // what was not taken is lost, as a full tty drops it
                } else {
                    byte[] read = ld.read(1 + r.nextInt(5000));
                    if (read != null) {
                        got.writeBytes(read);
                    }
                }
            }
            assertArrayEquals(taken.toByteArray(), got.toByteArray());
        });
    }

    @Provide
    Arbitrary<byte[]> raw() {
        return Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.bytes().array(byte[].class).ofMaxSize(3000)),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMinSize(60_000).ofMaxSize(100_000)));
    }
}
