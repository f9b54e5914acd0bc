package org.smpcluster.vfs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.fuzz.Corpus;

/**
 * Fuzz target for the path resolver: the bytes of a request's path field, as a client's slot
 * holds them, through {@link RepoPath#read} and then {@link Beneath} against a repository with
 * links to elsewhere in it. Inputs are fresh bytes and the committed corpus
 * ({@code src/test/resources/fuzz/path-resolver/}) mutated (bytes flipped, inserted, deleted,
 * seeds spliced). Each input is fed twice: as a whole request (its first two bytes are the
 * length) and behind a correct length. Nothing but {@link Failure} may come out, no call may
 * hang, a path that passes is normalized and within the limits, and whatever is pinned or made
 * lies beneath the repository and is not a link.
 */
@net.jqwik.api.Tag("fuzz")
class PathResolverFuzzTest {

    static final Duration CALL = Duration.ofSeconds(2);

    static Path tmp;
    static Path repositoryReal;
    static Beneath beneath;
    static Corpus corpus;

    @BeforeContainer
    static void layOut() throws IOException, Failure {
        tmp = Files.createTempDirectory("vfs-fuzz-");
        Path repository = tmp.resolve("repo");
        Path outside = tmp.resolve("elsewhere");
        Files.createDirectories(repository.resolve("tmp/dir"));
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret"), "OUTSIDE");
        Files.writeString(repository.resolve("tmp/dir/file"), "inside");
        Files.createSymbolicLink(repository.resolve("tmp/link"), outside);
        Files.createSymbolicLink(repository.resolve("tmp/filelink"), outside.resolve("secret"));
        Files.createSymbolicLink(repository.resolve("tmp/dotdot"), Path.of(".."));
        Files.createSymbolicLink(repository.resolve("proc"), Path.of("/proc"));
        beneath = Beneath.open(repository);
        repositoryReal = repository.toRealPath();
        corpus = Corpus.load("path-resolver");
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        if (beneath != null) {
            beneath.close();
        }
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Property(tries = 2000) // 3-9 s on this machine (two resolutions and two kernel calls per input)
    void shouldOnlyRefuseWithAnErrnoAndNeverLeaveTheRepository(@ForAll("inputs") byte[] input) {
        resolve(ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN)); // garbage lengths
        ByteBuffer framed = ByteBuffer.allocate(2 + Math.min(input.length, 0xFFFF)).order(ByteOrder.LITTLE_ENDIAN);
        framed.putShort((short) Math.min(input.length, 0xFFFF)).put(input, 0, framed.remaining()).flip();
        resolve(framed);
    }

    private static void resolve(ByteBuffer request) {
        assertTimeoutPreemptively(CALL, () -> {
            String path;
            try {
                path = RepoPath.read(request);
            } catch (Failure f) {
                assertTrue(f.errno() != Errno.OK && f.errno() != Errno.EIO, f.errno() + " " + f.getMessage());
                return;
            }
            checkNormalized(path);
            for (boolean create : new boolean[] {false, true}) {
                int fd = -1;
                try {
                    fd = create ? beneath.create(path, 0600) : beneath.pin(path).fd;
                } catch (Failure f) {
                    assertTrue(f.errno() != Errno.OK, f.getMessage());
                    continue;
                }
                try {
                    Path real = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
                    assertTrue(real.startsWith(repositoryReal), "'" + path + "' reached " + real);
                    assertFalse(Files.isSymbolicLink(real), "'" + path + "' pinned a link: " + real);
                    if (create) {
                        Files.delete(real);
                    }
                } finally {
                    Sys.close(fd);
                }
            }
        });
    }

    private static void checkNormalized(String path) throws Failure {
        assertEquals(path, RepoPath.check(path), "checking again changes nothing");
        assertTrue(path.getBytes(StandardCharsets.UTF_8).length <= VfsServer.PATH_MAX, path);
        assertFalse(path.indexOf('\0') >= 0, path);
        for (String part : path.split("/", -1)) {
            assertFalse(part.isEmpty() || part.equals(".") || part.equals(".."), path);
            assertTrue(part.getBytes(StandardCharsets.UTF_8).length <= VfsServer.NAME_MAX, path);
        }
    }

    @Provide
    Arbitrary<byte[]> inputs() {
        Arbitrary<byte[]> fresh = Arbitraries.bytes().array(byte[].class).ofMaxSize(1200);
        // mostly-path-shaped fresh input: components drawn from the interesting ones
        Arbitrary<byte[]> shaped = Arbitraries.of("tmp", "dir", "file", "link", "filelink", "dotdot", "proc", "..", ".", "",
                        "secret", "\0", "\u00e9", "x".repeat(256), "self", "root")
                .list().ofMaxSize(12).map(parts -> String.join("/", parts).getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(Tuple.of(2, fresh), Tuple.of(3, shaped), Tuple.of(5, corpus.mutated()),
                Tuple.of(1, corpus.asIs()));
    }
}
