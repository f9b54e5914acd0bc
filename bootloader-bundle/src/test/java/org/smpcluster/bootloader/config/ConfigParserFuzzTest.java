package org.smpcluster.bootloader.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

import org.smpcluster.api.bootloader.ClusterConfig;
import org.smpcluster.api.bootloader.ConfigException;
import org.smpcluster.api.bootloader.VnodeSpec;

/**
 * Fuzz target of the cluster configuration parser: whatever bytes a file holds, the parser
 * answers within a deadline with a checked configuration or a {@link ConfigException} (and
 * nothing else), whose problems are FILE:LINE lines of bounded length and number; a
 * configuration it accepts keeps every invariant the boot relies on. Inputs: arbitrary bytes
 * and text, lines built from the grammar's own words and extreme numbers, and the committed
 * corpus ({@code src/test/resources/fuzz/config-parser/}, valid files and the nasty
 * ones) mutated by flipping, inserting and deleting bytes and splicing files together.
 */
@net.jqwik.api.Tag("fuzz")
class ConfigParserFuzzTest {

    private static final Set<Integer> CPUS = Set.of(0, 1);
    private static final long HOST_MEMORY = 16L << 30;
    private static final Duration DEADLINE = Duration.ofSeconds(2);
    private static final List<byte[]> CORPUS = corpus();

    @Property(tries = 400)
    void arbitraryBytesAreCheckedOrRefused(@ForAll @Size(max = 3000) byte[] input) {
        check(input);
    }

    @Property(tries = 400)
    void arbitraryTextIsCheckedOrRefused(@ForAll @StringLength(max = 3000) String input) {
        check(input.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 1500)
    void statementsOfTheGrammarAreCheckedOrRefused(@ForAll("statements") String input) {
        check(input.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 1500)
    void mutatedCorpusFilesAreCheckedOrRefused(@ForAll("mutants") byte[] input) {
        check(input);
    }

    @Property(tries = 1)
    void everyCorpusFileIsCheckedOrRefused() {
        assertTrue(CORPUS.size() >= 20, "the corpus is there: " + CORPUS.size() + " files");
        CORPUS.forEach(ConfigParserFuzzTest::check);
    }

    /** The property every input must keep. */
    private static void check(byte[] input) {
        ConfigParser.Checked checked;
        try {
            checked = assertTimeoutPreemptively(DEADLINE, () -> ConfigParser.parse("f", input, CPUS, HOST_MEMORY));
        } catch (ConfigException refused) {
            List<String> problems = refused.problems();
            assertFalse(problems.isEmpty(), "a refusal says why");
            assertTrue(problems.size() <= ConfigParser.MAX_PROBLEMS + 1, "at most 50 problems and a count: " + problems.size());
            for (String p : problems) {
                assertTrue(p.startsWith("f:"), "FILE:LINE: " + p);
                // A value is quoted by a short prefix: no problem echoes a long line back.
                assertTrue(p.length() <= 400, () -> "a problem of " + p.length() + " characters: " + p.substring(0, 200));
            }
            return;
        }
        // Anything but ConfigException propagates and fails the property.
        ClusterConfig c = checked.config();
        assertTrue(c.vnodes().stream().anyMatch(v -> v.id() == 0), "a root");
        Set<Integer> ids = new HashSet<>();
        long regions = 0;
        for (VnodeSpec v : c.vnodes()) {
            assertTrue(v.id() >= 0 && v.id() <= 15 && ids.add(v.id()), "ids unique in 0..15: " + c.vnodes());
            assertTrue(CPUS.containsAll(v.cpus()) && !v.cpus().isEmpty(), "CPUs of this machine: " + v);
            assertTrue(v.memory() > 0 && v.memory() <= HOST_MEMORY, "memory the machine has: " + v);
            if (v.id() != 0) {
                regions = Math.addExact(regions, v.memory());
            }
            for (String d : v.devices()) {
                assertTrue(c.devices().stream().anyMatch(s -> s.address().equals(d)), "declared device " + d);
            }
        }
        assertTrue(regions + ConfigParser.CONTROL_AREA <= c.physmem(), "the regions fit physmem");
        assertTrue(c.devices().size() <= ConfigParser.MAX_DEVICES, "the device table holds them");
        for (ClusterConfig.DeviceSpec d : c.devices()) {
            assertTrue(utf8(d.deviceClass()) <= ConfigParser.DEVICE_CLASS_BYTES && utf8(d.name()) <= ConfigParser.DEVICE_NAME_BYTES
                    && utf8(d.backing()) <= ConfigParser.DEVICE_BACKING_BYTES, "fits the device table: " + d);
        }
        Set<String> names = new HashSet<>();
        for (ClusterConfig.NetworkSpec n : c.networks()) {
            assertTrue(names.add(n.name()), "one network per name: " + c.networks());
            int prefix = Integer.parseInt(n.subnet().substring(n.subnet().indexOf('/') + 1));
            assertTrue(prefix >= ConfigParser.MIN_PREFIX && prefix <= ConfigParser.MAX_PREFIX, "a prefix vnet runs: " + n);
        }
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Lines made of the grammar's words and of numbers at and beyond every bound. */
    @Provide
    Arbitrary<String> statements() {
        Arbitrary<String> number = Arbitraries.oneOf(Arbitraries.integers().between(0, 20).map(String::valueOf),
                Arbitraries.of("0", "1", "15", "16", "-1", "99", "255", "256", "999", "2147483647", "2147483648",
                        "99999999", "4611686018427387904", "9223372036854775807", "9223372036854775808",
                        "99999999999999999999"));
        Arbitrary<String> size = Combinators.combine(number, Arbitraries.of("", "k", "m", "g", "K", "t", "mb"))
                .as((n, u) -> n + u);
        Arbitrary<String> cpus = Arbitraries.oneOf(number, Combinators.combine(number, number).as((a, b) -> a + "-" + b),
                number.list().ofMinSize(1).ofMaxSize(4).map(l -> String.join(",", l)));
        Arbitrary<String> address = Arbitraries.oneOf(Arbitraries.integers().between(0, 40)
                .map(i -> String.format("0000:00:%02x.0", i)), Arbitraries.of("0000:00:04.8", "zzzz", "0000:00:04.0"));
        Arbitrary<String> word = Arbitraries.oneOf(Arbitraries.strings().alpha().numeric().withChars("._-/:")
                .ofMinLength(1).ofMaxLength(140), Arbitraries.of("storage", "net", "disk0", "ディスク"));
        Arbitrary<String> octet = Arbitraries.oneOf(Arbitraries.integers().between(0, 255).map(String::valueOf),
                Arbitraries.of("999", "256"));
        Arbitrary<String> subnet = Combinators.combine(octet, octet, octet, octet, number)
                .as((a, b, c, d, p) -> a + "." + b + "." + c + "." + d + "/" + p);
        Arbitrary<String> network = Arbitraries.of("eth0", "eth1", "Eth0", "a-very-long-network-name", "e");
        Arbitrary<String> vnode = Combinators.combine(number, cpus, size,
                address.list().ofMaxSize(3).map(l -> String.join(",", l)), Arbitraries.of("always", "never", "3", "0",
                        "sometimes")).as((id, c, m, d, r) -> "vnode " + id + " cpus " + c + " memory " + m
                                + (d.isEmpty() ? "" : " devices " + d) + " restart " + r);
        Arbitrary<String> line = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.of("cluster c", "cluster", "physmem 1g", "overcommit yes",
                        "overcommit maybe", "# a comment", "", "vnode 0 cpus 0 memory 256m")),
                net.jqwik.api.Tuple.of(1, size.map(s -> "physmem " + s)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(address, word, word, word)
                        .as((a, k, n, b) -> "device " + a + " " + k + " " + n + " " + b)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(network, subnet).as((n, s) -> "network " + n + " " + s)),
                net.jqwik.api.Tuple.of(3, vnode));
        return line.list().ofMaxSize(40).map(lines -> "cluster c\nphysmem 1g\novercommit yes\n" + String.join("\n", lines));
    }

    /** Corpus files, each mutated a few times. */
    @Provide
    Arbitrary<byte[]> mutants() {
        Arbitrary<byte[]> seed = Arbitraries.of(CORPUS);
        Arbitrary<Mutation> mutation = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.integers().greaterOrEqual(0), Arbitraries.bytes())
                        .as((at, b) -> (Mutation) in -> flip(in, at, b)),
                Combinators.combine(Arbitraries.integers().greaterOrEqual(0),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(64))
                        .as((at, bytes) -> (Mutation) in -> insert(in, at, bytes)),
                Combinators.combine(Arbitraries.integers().greaterOrEqual(0), Arbitraries.integers().between(1, 200))
                        .as((at, n) -> (Mutation) in -> delete(in, at, n)),
                Combinators.combine(seed, Arbitraries.integers().greaterOrEqual(0), Arbitraries.integers().greaterOrEqual(0))
                        .as((other, at, from) -> (Mutation) in -> splice(in, at, other, from)),
                Arbitraries.integers().greaterOrEqual(0).map(at -> (Mutation) in -> duplicateLine(in, at)));
        return Combinators.combine(seed, mutation.list().ofMinSize(1).ofMaxSize(6)).as((s, ms) -> {
            byte[] out = s;
            for (Mutation m : ms) {
                out = m.apply(out);
            }
            return out;
        });
    }

    @FunctionalInterface
    private interface Mutation {
        byte[] apply(byte[] input);
    }

    private static byte[] flip(byte[] in, int at, byte b) {
        if (in.length == 0) {
            return new byte[] {b};
        }
        byte[] out = in.clone();
        out[at % in.length] ^= b == 0 ? 1 : b;
        return out;
    }

    private static byte[] insert(byte[] in, int at, byte[] bytes) {
        int p = in.length == 0 ? 0 : at % (in.length + 1);
        byte[] out = new byte[in.length + bytes.length];
        System.arraycopy(in, 0, out, 0, p);
        System.arraycopy(bytes, 0, out, p, bytes.length);
        System.arraycopy(in, p, out, p + bytes.length, in.length - p);
        return out;
    }

    private static byte[] delete(byte[] in, int at, int n) {
        if (in.length == 0) {
            return in;
        }
        int p = at % in.length;
        int end = Math.min(in.length, p + n);
        byte[] out = new byte[in.length - (end - p)];
        System.arraycopy(in, 0, out, 0, p);
        System.arraycopy(in, end, out, p, in.length - end);
        return out;
    }

    /** The head of {@code in} up to {@code at}, then the tail of {@code other} from {@code from}. */
    private static byte[] splice(byte[] in, int at, byte[] other, int from) {
        int p = in.length == 0 ? 0 : at % (in.length + 1);
        int q = other.length == 0 ? 0 : from % (other.length + 1);
        byte[] out = new byte[p + other.length - q];
        System.arraycopy(in, 0, out, 0, p);
        System.arraycopy(other, q, out, p, other.length - q);
        return out;
    }

    /** Repeats one line: duplicate statements, and long files. */
    private static byte[] duplicateLine(byte[] in, int at) {
        String text = new String(in, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\n", -1);
        String line = lines[at % lines.length];
        return (text + "\n" + (line + "\n").repeat(1 + at % 50)).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<byte[]> corpus() {
        try {
            Path dir = Path.of(ConfigParserFuzzTest.class.getResource("/fuzz/config-parser").toURI());
            List<byte[]> files = new ArrayList<>();
            try (Stream<Path> list = Files.list(dir)) {
                for (Path p : list.sorted().toList()) {
                    files.add(Files.readAllBytes(p));
                }
            }
            return List.copyOf(files);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
