package org.smpcluster.vfs.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.time.Duration;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.fuzz.Corpus;
import org.smpcluster.vfs.server.RepoPath;

/**
 * Fuzz target for the client's half of the path resolver: a program's path text through
 * {@code VfsPath} and the mount table to a repository path (what a request carries), with the
 * corpus of {@code fuzz/path-resolver} (read as UTF-8 and as Latin-1) mutated and fresh text.
 * Only {@link InvalidPathException} (a NUL) may come out; a path that reaches a mount reaches
 * that mount's export and nothing else ({@code ..} is lexical and stops at "/"), and the server's
 * check refuses it only for its length, never for a {@code ..}, an empty or a {@code .} name.
 */
@net.jqwik.api.Tag("fuzz")
class ClientPathFuzzTest {

    static final Corpus CORPUS = Corpus.load("path-resolver");

    static VfsFileSystem mounted() {
        VfsFileSystem fs = new VfsFileSystem(null); // the mount table alone: no request is made here
        fs.mountUnchecked("tmp", "/tmp");
        fs.mountUnchecked("data", "/srv/data");
        return fs;
    }

    @Property(tries = 3000)
    void shouldMapEveryPathIntoItsMountOrNowhere(@ForAll("texts") String text) {
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            VfsFileSystem fs = mounted();
            VfsPath p;
            try {
                p = VfsPath.parse(fs, text);
            } catch (InvalidPathException e) {
                assertTrue(text.indexOf('\0') >= 0, e.toString());
                return;
            }
            VfsFileSystem.Target t = fs.target(p);
            if (t == null || t.repo() == null) {
                return;
            }
            String repo = t.repo();
            String export = repo.split("/", 2)[0];
            assertTrue(Set.of("tmp", "data").contains(export), "'" + text + "' reached " + repo);
            String normalized = p.toAbsolutePath().normalize().toString();
            String mountPoint = export.equals("tmp") ? "/tmp" : "/srv/data";
            assertTrue(normalized.equals(mountPoint) || normalized.startsWith(mountPoint + "/"),
                    "'" + text + "' (" + normalized + ") reached " + repo + " outside " + mountPoint);
            try {
                assertEquals(repo, RepoPath.check(repo));
            } catch (Failure f) {
                assertEquals(Errno.ENAMETOOLONG, f.errno(), "'" + text + "' gave " + repo + ": " + f.getMessage());
            }
        });
    }

    @Provide
    Arbitrary<String> texts() {
        Arbitrary<byte[]> bytes = Arbitraries.frequencyOf(Tuple.of(4, CORPUS.mutated()), Tuple.of(1, CORPUS.asIs()),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(600)));
        Arbitrary<String> fromBytes = Arbitraries.oneOf(bytes.map(b -> new String(b, StandardCharsets.UTF_8)),
                bytes.map(b -> new String(b, StandardCharsets.ISO_8859_1)));
        Arbitrary<String> shaped = Arbitraries.of("", "/", "tmp", "srv", "data", "..", ".", "x", "\u00e9", "/..", "//")
                .list().ofMaxSize(12).map(parts -> String.join("/", parts));
        Arbitrary<String> absolute = shaped.map(s -> "/" + s);
        return Arbitraries.frequencyOf(Tuple.of(4, fromBytes), Tuple.of(3, shaped), Tuple.of(3, absolute),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(300)));
    }
}
