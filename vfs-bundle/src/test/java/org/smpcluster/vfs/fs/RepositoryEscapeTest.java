package org.smpcluster.vfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.vfs.Commands;
import org.smpcluster.vfs.VfsCommands;

/**
 * Issue 11, item 3: with a link {@code tmp/link -> elsewhere} inside the repository, nothing
 * reaches through it: {@code vfs:cat /tmp/link/secret}, {@code vfs:write /tmp/link/x} and every
 * other operation fail with ELOOP naming the path, a symlinked export does not mount, and a
 * link swapped in while requests run is never followed.
 */
class RepositoryEscapeTest {

    @TempDir
    Path repository;
    @TempDir
    Path elsewhere;
    RootFixture root;
    VfsCommands vfs;

    @BeforeEach
    void boot(TestInfo test) throws Exception {
        Files.createDirectories(repository.resolve("tmp"));
        Files.writeString(elsewhere.resolve("secret"), "OUTSIDE");
        Files.createSymbolicLink(repository.resolve("tmp/link"), elsewhere);
        Files.createSymbolicLink(repository.resolve("tmp/secretlink"), elsewhere.resolve("secret"));
        root = new RootFixture(Integer.toHexString(test.getDisplayName().hashCode()), repository, 256);
        vfs = Commands.of(root.vfs, root.server);
    }

    @AfterEach
    void shutDown() throws Exception {
        root.close();
    }

    private static void assertLoop(String path, FileSystemException e) {
        assertTrue(e.getMessage().contains("ELOOP"), e.getMessage());
        assertTrue(e.getMessage().contains(path), "names the path: " + e.getMessage());
    }

    @Test
    void shouldNotReadOrWriteThroughALinkedDirectory() {
        assertLoop("/tmp/link/secret", assertThrows(FileSystemException.class, () -> vfs.cat("/tmp/link/secret")));
        assertLoop("/tmp/link/x", assertThrows(FileSystemException.class, () -> vfs.write(false, "/tmp/link/x", "hi")));
        assertLoop("/tmp/link/x", assertThrows(FileSystemException.class, () -> vfs.write(true, "/tmp/link/x", "hi")));
        assertFalse(Files.exists(elsewhere.resolve("x")), "nothing was written outside the repository");
    }

    @Test
    void shouldNotOpenALinkAsTheLastComponent() {
        assertLoop("/tmp/secretlink", assertThrows(FileSystemException.class, () -> vfs.cat("/tmp/secretlink")));
        assertThrows(FileSystemException.class, () -> vfs.write(false, "/tmp/secretlink", "overwritten"));
        assertEquals("OUTSIDE", read(elsewhere.resolve("secret")));
    }

    @Test
    void shouldRefuseEveryOperationThroughALink() throws Exception {
        Path through = root.vfs.path("/tmp/link/secret");
        assertThrows(FileSystemException.class, () -> Files.size(through));
        String link = vfs.ls("/tmp/link"); // the link itself, not followed: not a directory
        assertFalse(link.contains("secret") || link.startsWith("d"), link);
        assertThrows(FileSystemException.class, () -> vfs.mkdir("/tmp/link/made"));
        assertThrows(FileSystemException.class, () -> vfs.rm("/tmp/link/secret"));
        assertThrows(FileSystemException.class, () -> vfs.mv("/tmp/link/secret", "/tmp/stolen"));
        Files.writeString(root.vfs.path("/tmp/mine"), "x");
        assertThrows(FileSystemException.class, () -> vfs.mv("/tmp/mine", "/tmp/link/planted"));
        assertThrows(FileSystemException.class, () -> Files.setLastModifiedTime(through, FileTime.fromMillis(0)));
        assertThrows(FileSystemException.class, () -> vfs.cp("/tmp/link/secret", "/tmp/copy"));
        assertEquals("OUTSIDE", read(elsewhere.resolve("secret")));
        assertTrue(Files.getLastModifiedTime(elsewhere.resolve("secret")).toMillis() > 0);
        try (Stream<Path> s = Files.list(elsewhere)) {
            assertEquals(List.of("secret"), s.map(p -> p.getFileName().toString()).toList());
        }
        // the directory holding the links still lists, and shows them without following them
        String ls = vfs.ls("/tmp");
        assertTrue(ls.contains("link") && ls.contains("secretlink"), ls);
    }

    @Test
    void shouldNotMountALinkedExport() throws Exception {
        Files.createSymbolicLink(repository.resolve("data"), elsewhere);
        FileSystemException e = assertThrows(FileSystemException.class, () -> root.vfs.mount("data", "/data"));
        assertTrue(e.getMessage().contains("ELOOP") && e.getMessage().contains("symbolic link"), e.getMessage());
        assertFalse(root.vfs.mounts().stream().anyMatch(m -> m.mountPoint().equals("/data")), root.vfs.mounts().toString());
        // an export others can write is refused the same way (anyone could swap what is in it)
        Files.createDirectory(repository.resolve("open"));
        Files.setPosixFilePermissions(repository.resolve("open"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        e = assertThrows(FileSystemException.class, () -> root.vfs.mount("open", "/open"));
        assertTrue(e.getMessage().contains("writable by"), e.getMessage());
        // an export that is a directory of the repository mounts, made owner-only when missing
        assertEquals("mounted work on /work", vfs.mount("work", "/work"));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(repository.resolve("work"))));
    }

    /**
     * A check-then-open on paths loses this race: {@code tmp/d} flips between a directory of the
     * repository and a link to elsewhere while fresh names under it are read and made.
     */
    @Test
    void shouldNeverFollowALinkSwappedInDuringRequests() throws Exception {
        Path real = repository.resolve("tmp/real");
        Path evil = repository.resolve("tmp/evil");
        Path d = repository.resolve("tmp/d");
        Files.createDirectories(real);
        int names = 400;
        for (int i = 0; i < names; i++) {
            Files.writeString(real.resolve("s" + i), "inside");
            Files.writeString(elsewhere.resolve("s" + i), "OUTSIDE");
        }
        Files.createSymbolicLink(evil, elsewhere);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> swapFailed = new AtomicReference<>();
        java.util.concurrent.CountDownLatch swapping = new java.util.concurrent.CountDownLatch(1);
        Thread swapper = Thread.ofPlatform().name("swapper").start(() -> {
            try {
                while (!stop.get()) {
                    move(real, d);
                    move(d, real);
                    move(evil, d);
                    move(d, evil);
                    swapping.countDown();
                }
            } catch (IOException | RuntimeException e) {
                swapFailed.set(e);
            }
        });
        int inside = 0;
        try {
            assertTrue(swapping.await(30, java.util.concurrent.TimeUnit.SECONDS), "the swapper runs");
            inside = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                int seen = 0;
                for (int i = 0; i < names; i++) {
                    try {
                        String text = new String(Files.readAllBytes(root.vfs.path("/tmp/d/s" + i)));
                        assertEquals("inside", text, "read /tmp/d/s" + i + " through the swapped-in link");
                        seen++;
                    } catch (FileSystemException e) {
                        // ENOENT, ELOOP: the swap was elsewhere at that moment
                    }
                    try {
                        Files.writeString(root.vfs.path("/tmp/d/w" + i), "made");
                    } catch (FileSystemException e) {
                        // as above
                    }
                }
                return seen;
            });
        } finally {
            stop.set(true);
            swapper.join(10_000);
        }
        assertEquals(null, swapFailed.get());
        try (Stream<Path> s = Files.list(elsewhere)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith("w")).count(),
                    "no file was made outside the repository");
        }
        assertTrue(inside > 0, "some reads found the real directory");
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
