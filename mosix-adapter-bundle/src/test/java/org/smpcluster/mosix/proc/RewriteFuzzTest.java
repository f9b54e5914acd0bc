package org.smpcluster.mosix.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzz target of the rewrite a process loader applies to every class: arbitrary bytes and
 * mutated class files (the corpus in {@code src/test/resources/fuzz/rewrite}) give a rewritten
 * class or a {@link ClassFormatError}, never anything else, never a hang; a rewritten class
 * parses again and has the methods it had.
 */
@net.jqwik.api.Tag("fuzz")
class RewriteFuzzTest {

    private static final List<byte[]> CORPUS = corpus();
    private static final Rewriter REWRITER = new Rewriter(
            ClassHierarchyResolver.ofResourceParsing(ClassLoader.getPlatformClassLoader()).cached());

    private static List<byte[]> corpus() {
        try (Stream<Path> s = Files.list(Path.of(RewriteFuzzTest.class.getResource("/fuzz/rewrite").toURI()))) {
            return s.sorted().map(p -> {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("the fuzz corpus fuzz/rewrite is missing", e);
        }
    }

    @Property(tries = 2000, edgeCases = net.jqwik.api.EdgeCasesMode.NONE)
    void shouldRewriteOrRefuseWithAClassFormatError(@ForAll("classFiles") byte[] input) {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            byte[] out;
            try {
                out = ProcessLoader.rewrite(REWRITER, "Fuzzed", input);
            } catch (ClassFormatError e) {
                return;
            }
            List<String> before;
            try {
                before = signatures(ClassFile.of().parse(input));
            } catch (IllegalArgumentException e) {
                // A method without code (abstract, native) passes through as it came, bad
                // constant pool index and all: defineClass, not the rewrite, refuses it.
                return;
            }
            assertEquals(before, signatures(ClassFile.of().parse(out)), "the rewrite keeps every method");
        });
    }

    private static List<String> signatures(ClassModel c) {
        return c.methods().stream().map(RewriteFuzzTest::signature).toList();
    }

    private static String signature(MethodModel m) {
        return m.methodName().stringValue() + m.methodType().stringValue();
    }

    @Provide
    Arbitrary<byte[]> classFiles() {
        Arbitrary<byte[]> fresh = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
        Arbitrary<byte[]> seeds = Arbitraries.of(CORPUS);
        Arbitrary<byte[]> mutated = Combinators.combine(seeds, Arbitraries.of(CORPUS),
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 1 << 16),
                Arbitraries.integers().between(1, 8), Arbitraries.bytes())
                .as(RewriteFuzzTest::mutate);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, fresh), net.jqwik.api.Tuple.of(1, seeds), net.jqwik.api.Tuple.of(6, mutated));
    }

    /** Flip, insert, delete a few bytes, or splice two seeds. */
    static byte[] mutate(byte[] seed, byte[] other, int op, int where, int count, byte value) {
        if (seed.length == 0) {
            return other.clone();
        }
        int at = where % seed.length;
        return switch (op) {
            case 0 -> {
                byte[] b = seed.clone();
                for (int k = 0; k < count && at + k < b.length; k++) {
                    b[at + k] ^= (byte) (value == 0 ? 0x5a : value);
                }
                yield b;
            }
            case 1 -> {
                byte[] b = new byte[seed.length + count];
                System.arraycopy(seed, 0, b, 0, at);
                java.util.Arrays.fill(b, at, at + count, value);
                System.arraycopy(seed, at, b, at + count, seed.length - at);
                yield b;
            }
            case 2 -> {
                int n = Math.min(count, seed.length - at);
                byte[] b = new byte[seed.length - n];
                System.arraycopy(seed, 0, b, 0, at);
                System.arraycopy(seed, at + n, b, at, seed.length - at - n);
                yield b;
            }
            default -> {
                int cut = other.length == 0 ? 0 : where % other.length;
                byte[] b = new byte[at + other.length - cut];
                System.arraycopy(seed, 0, b, 0, at);
                System.arraycopy(other, cut, b, at, other.length - cut);
                yield b;
            }
        };
    }
}
