package org.smpcluster.vfs.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;

/**
 * The repository's resolver on its own: links anywhere on a path refused (with openat2 and with
 * the openat walk), and the repository's own checks (made 0700; a link, another user's, or one
 * others can write, refused in one line).
 */
class BeneathTest {

    @TempDir
    Path tmp;
    Path repository;
    Path outside;

    @BeforeEach
    void layOut() throws Exception {
        repository = tmp.resolve("repo");
        outside = tmp.resolve("elsewhere");
        Files.createDirectories(repository.resolve("tmp/dir"));
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret"), "OUTSIDE");
        Files.writeString(repository.resolve("tmp/dir/file"), "inside");
        Files.createSymbolicLink(repository.resolve("tmp/link"), outside);
        Files.createSymbolicLink(repository.resolve("tmp/filelink"), outside.resolve("secret"));
        Files.createSymbolicLink(repository.resolve("tmp/dotdot"), Path.of(".."));
    }

    @ParameterizedTest(name = "walk={0}")
    @ValueSource(booleans = {false, true})
    void shouldPinPlainPathsAndRefuseEveryLinkOnTheWay(boolean walk) throws Exception {
        try (Beneath b = Beneath.open(repository, walk)) {
            try (Beneath.Pin p = b.pin("tmp/dir/file")) {
                assertEquals("inside", Files.readString(p.path()));
            }
            try (Beneath.Pin p = b.parent("tmp/dir/file")) {
                assertTrue(Files.isRegularFile(p.child("file")));
            }
            for (String through : new String[] {"tmp/link/secret", "tmp/link", "tmp/filelink", "tmp/dotdot/tmp/dir/file"}) {
                Failure f = assertThrows(Failure.class, () -> b.pin(through).close(), through);
                assertEquals(Errno.ELOOP, f.errno(), through + ": " + f.getMessage());
                assertTrue(f.getMessage().contains(through), f.getMessage());
            }
            assertEquals(Errno.ELOOP, assertThrows(Failure.class, () -> b.parent("tmp/link/x").close()).errno());
            assertEquals(Errno.ELOOP, assertThrows(Failure.class, () -> b.create("tmp/link/x", 0644)).errno());
            assertFalse(Files.exists(outside.resolve("x")), "nothing was made outside");
            // a file made over a dangling link is refused too (O_EXCL does not follow it)
            Files.createSymbolicLink(repository.resolve("tmp/dangling"), outside.resolve("made"));
            Failure f = assertThrows(Failure.class, () -> b.create("tmp/dangling", 0644));
            assertTrue(f.errno() == Errno.EEXIST || f.errno() == Errno.ELOOP, f.errno() + " " + f.getMessage());
            assertFalse(Files.exists(outside.resolve("made")));
            assertEquals(Errno.ENOENT, assertThrows(Failure.class, () -> b.pin("tmp/nothing")).errno());
            assertEquals(Errno.ENOTDIR, assertThrows(Failure.class, () -> b.pin("tmp/dir/file/x")).errno());
            int fd = b.create("tmp/dir/new", 0600);
            Sys.close(fd);
            assertTrue(Files.isRegularFile(repository.resolve("tmp/dir/new")));
        }
    }

    @Test
    void shouldMakeAMissingRepositoryOwnerOnly() throws Exception {
        Path fresh = tmp.resolve("made/here");
        try (Beneath b = Beneath.open(fresh)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
            assertEquals(fresh, b.dir());
        }
    }

    @Test
    void shouldRefuseARepositoryThatIsALink() throws Exception {
        Path link = tmp.resolve("smpcluster-vfs-squatted");
        Files.createSymbolicLink(link, outside);
        Failure f = assertThrows(Failure.class, () -> Beneath.open(link));
        assertTrue(f.getMessage().contains("is a symbolic link"), f.getMessage());
        assertOneLineSayingWhatToDo(f);
        assertFalse(Files.exists(outside.resolve("tmp")));
    }

    @Test
    void shouldRefuseARepositoryOthersCanWrite() throws Exception {
        Path open = tmp.resolve("smpcluster-vfs-open");
        Files.createDirectory(open);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Failure f = assertThrows(Failure.class, () -> Beneath.open(open));
        assertTrue(f.getMessage().contains("writable by") && f.getMessage().contains("0777"), f.getMessage());
        assertOneLineSayingWhatToDo(f);
    }

    @Test
    void shouldRefuseARepositoryOfAnotherUser() throws Exception {
        assumeTrue(isRoot(), "only root can give a directory to another user");
        Path theirs = tmp.resolve("smpcluster-vfs-theirs");
        Files.createDirectory(theirs);
        Files.setAttribute(theirs, "unix:uid", 65534);
        Failure f = assertThrows(Failure.class, () -> Beneath.open(theirs));
        assertTrue(f.getMessage().contains("owned by uid 65534"), f.getMessage());
        assertOneLineSayingWhatToDo(f);
    }

    private static boolean isRoot() throws Exception {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }

    private static void assertOneLineSayingWhatToDo(Failure f) {
        assertEquals(Errno.EACCES, f.errno());
        assertFalse(f.getMessage().contains("\n"), f.getMessage());
        assertTrue(f.getMessage().contains("smpcluster.vfs.repository"), f.getMessage());
    }
}
