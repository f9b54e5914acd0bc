package org.smpcluster.vfs.fuzz;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** A fuzz target's committed seed inputs ({@code src/test/resources/fuzz/NAME/}) and their mutations. */
public final class Corpus {

    private final List<byte[]> seeds;

    private Corpus(List<byte[]> seeds) {
        this.seeds = seeds;
    }

    /** The seeds of {@code fuzz/NAME} on the test class path, in file-name order. */
    public static Corpus load(String name) {
        try {
            Path dir = Path.of(Corpus.class.getResource("/fuzz/" + name).toURI());
            List<byte[]> seeds = new ArrayList<>();
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.sorted().toList()) {
                    seeds.add(Files.readAllBytes(p));
                }
            }
            if (seeds.isEmpty()) {
                throw new IllegalStateException("the corpus fuzz/" + name + " is empty");
            }
            return new Corpus(seeds);
        } catch (IOException | URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("cannot read the corpus fuzz/" + name + ": " + e, e);
        }
    }

    public List<byte[]> seeds() {
        return seeds;
    }

    /** The seeds as they are. */
    public Arbitrary<byte[]> asIs() {
        return Arbitraries.of(seeds);
    }

    /** Seeds with 1 to 8 edits each: a bit flipped, a byte inserted or deleted, a piece of another seed spliced in. */
    public Arbitrary<byte[]> mutated() {
        return Combinators.combine(Arbitraries.integers().between(0, seeds.size() - 1),
                Arbitraries.integers().between(0, seeds.size() - 1), Arbitraries.integers().between(1, 8),
                Arbitraries.longs()).as(this::mutate);
    }

    byte[] mutate(int seed, int other, int edits, long random) {
        Random r = new Random(random);
        List<Byte> b = new ArrayList<>();
        for (byte x : seeds.get(seed)) {
            b.add(x);
        }
        byte[] donor = seeds.get(other);
        for (int i = 0; i < edits; i++) {
            int at = b.isEmpty() ? 0 : r.nextInt(b.size() + 1);
            switch (r.nextInt(5)) {
                case 0 -> {
                    if (at < b.size()) {
                        b.set(at, (byte) (b.get(at) ^ (1 << r.nextInt(8))));
                    }
                }
                case 1 -> b.add(at, (byte) "/.\0\u00ff".charAt(r.nextInt(4)));
                case 2 -> {
                    if (at < b.size()) {
                        b.remove(at);
                    }
                }
                case 3 -> b.add(at, (byte) r.nextInt(256));
                default -> {
                    int from = donor.length == 0 ? 0 : r.nextInt(donor.length);
                    int n = Math.min(donor.length - from, 1 + r.nextInt(64));
                    for (int k = 0; k < n; k++) {
                        b.add(Math.min(at + k, b.size()), donor[from + k]);
                    }
                }
            }
        }
        byte[] out = new byte[b.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get(i);
        }
        return out;
    }
}
