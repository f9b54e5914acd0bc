package org.smpcluster.vfs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.vfs.FileMapping;
import org.smpcluster.vfs.cache.CacheLayout;
import org.smpcluster.vfs.cache.Errno;
import org.smpcluster.vfs.cache.Errno.Failure;
import org.smpcluster.vfs.cache.Op;

/** The filesystem on one vnode (the root, server and client in this JVM): operations, the cache, bad input. */
class FileSystemTest {

    @TempDir
    Path repository;
    RootFixture root;

    @BeforeEach
    void boot(TestInfo test) throws Exception {
        root = new RootFixture(Integer.toHexString(test.getDisplayName().hashCode()), repository, 256);
    }

    @AfterEach
    void shutDown() throws Exception {
        root.close();
    }

    @Test
    void shouldKeepFileDataInTheRepositoryAfterFsync() throws Exception {
        Path p = root.vfs.path("/tmp/a.txt");
        Files.writeString(p, "hello, cluster\n");
        assertEquals("hello, cluster\n", Files.readString(p));
        try (var ch = (FileChannel) Files.newByteChannel(p, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        assertEquals("hello, cluster\n", Files.readString(repository.resolve("tmp/a.txt")));
    }

    @Test
    void shouldReadBackALargeFileAcrossPagesAndRequests() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 123];
        new Random(7).nextBytes(data);
        Path p = root.vfs.path("/tmp/big");
        Files.write(p, data);
        assertArrayEquals(data, Files.readAllBytes(p));
        try (var ch = (FileChannel) Files.newByteChannel(p)) {
            ByteBuffer b = ByteBuffer.allocate(10_000);
            assertEquals(10_000, ch.read(b, 4090));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 4090, 14_090), b.array());
            assertEquals(-1, ch.read(ByteBuffer.allocate(1), data.length));
        }
        // the cache (1 MiB) is smaller than the file: pages were evicted and written back on the way
        var stats = root.vfs.pageCache();
        assertTrue(stats.evictions() > 0, stats.toString());
    }

    @Test
    void shouldRefuseDotDotAndLongNamesWithPosixErrors() throws Exception {
        Failure f = assertThrows(Failure.class, () -> root.client.open("tmp/../../etc/passwd", 0, 0));
        assertEquals(Errno.EACCES, f.errno());
        Failure g = assertThrows(Failure.class, () -> root.client.open("tmp/" + "x".repeat(256), Op.O_CREATE | Op.O_WRITE, 0644));
        assertEquals(Errno.ENAMETOOLONG, g.errno());
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> Files.writeString(root.vfs.path("/tmp/" + "y".repeat(256)), "x"));
        assertTrue(e.getReason().contains("File name too long"), e.getReason());
        // lexically, /tmp/../etc is /etc: not a mount, so nothing is there (and nothing outside the repository is reached)
        assertThrows(NoSuchFileException.class, () -> Files.readString(root.vfs.path("/tmp/../etc/passwd")));
        Files.createDirectory(root.vfs.path("/tmp/d"));
        FileSystemException w = assertThrows(FileSystemException.class, () -> Files.writeString(root.vfs.path("/tmp/d"), "x"));
        assertTrue(w.getReason().contains("Is a directory"), w.getReason());
        assertTrue(Files.isDirectory(root.vfs.path("/tmp/d")), "the directory is unharmed");
    }

    @Test
    void shouldRefuseAPageWithoutAToken() throws Exception {
        // written on the host, so this vnode never had a write token on it
        Files.createDirectories(repository.resolve("tmp"));
        Files.write(repository.resolve("tmp/t"), new byte[8192]);
        var h = root.client.open("tmp/t", 0, 0);
        try {
            // the frame the cache gave page 0 is known; page 1 was never asked for with a token by anyone
            root.client.read(h, 0, MemorySegment.ofArray(new byte[10]), 0, 10);
            int frame = -1;
            for (int f = 0; f < root.client.cache().frames(); f++) {
                if (root.client.cache().frameInode(f) == h.id() && root.client.cache().framePage(f) == 0) {
                    frame = f;
                }
            }
            assertTrue(frame >= 0);
            int mine = frame;
            assertEquals(0, root.client.page(h.id(), 0, mine, false).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
            Failure f = assertThrows(Failure.class, () -> root.client.page(h.id(), 0, mine, true));
            assertEquals(Errno.EACCES, f.errno(), "a read token does not allow writing");
            int other = (mine + 1) % root.client.cache().frames();
            Failure g = assertThrows(Failure.class, () -> root.client.page(h.id(), 5, other, false));
            assertEquals(Errno.EACCES, g.errno());
        } finally {
            h.close();
        }
    }

    @Test
    void shouldMapTheCachedPagesThemselves() throws Exception {
        Path p = root.vfs.path("/tmp/m");
        Files.write(p, "0123456789".repeat(1000).getBytes(StandardCharsets.US_ASCII));
        try (FileMapping m = root.vfs.map(p, 4096, 4096, true)) {
            assertEquals(1, m.pages());
            byte[] b = new byte[4];
            m.get(0, b, 0, 4);
            assertEquals("6789", new String(b, StandardCharsets.US_ASCII)); // 4096 % 10 == 6
            m.put(0, "WXYZ".getBytes(StandardCharsets.US_ASCII), 0, 4);
            m.sync();
        }
        String text = Files.readString(p);
        assertEquals("WXYZ", text.substring(4096, 4100));
        assertEquals("WXYZ", Files.readString(repository.resolve("tmp/m")).substring(4096, 4100), "msync wrote it back");
        FileSystemException e = assertThrows(FileSystemException.class, () -> root.vfs.map(p, 100, 4096, false));
        assertTrue(e.getReason().startsWith("EINVAL"), e.getReason());
    }

    @Test
    void shouldInvalidateAMappingWhenTheFileIsTruncated() throws Exception {
        Path p = root.vfs.path("/tmp/tr");
        Files.write(p, new byte[3 * 4096]);
        FileMapping m = root.vfs.map(p, 8192, 4096, false);
        assertTrue(m.isValid());
        try (var ch = (FileChannel) Files.newByteChannel(p, StandardOpenOption.WRITE)) {
            ch.truncate(100);
        }
        assertFalse(m.isValid());
        assertThrows(IllegalStateException.class, () -> m.page(0));
        m.close();
        assertEquals(100, Files.size(p));
    }

    @Test
    void shouldAppendAtTheEndEvenWhenTheFileGrewElsewhere() throws Exception {
        Path p = root.vfs.path("/tmp/log");
        try (var a = Files.newByteChannel(p, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                var b = Files.newByteChannel(p, StandardOpenOption.WRITE)) {
            a.write(ByteBuffer.wrap("one\n".getBytes()));
            b.position(4).write(ByteBuffer.wrap("two\n".getBytes()));
            a.write(ByteBuffer.wrap("three\n".getBytes()));
        }
        assertEquals("one\ntwo\nthree\n", Files.readString(p));
    }

    @Test
    void shouldListMountsAtTheRoot() throws Exception {
        root.vfs.mount("data", "/data");
        Files.writeString(root.vfs.path("/data/x"), "x");
        try (var s = Files.list(root.vfs.path("/"))) {
            assertEquals(java.util.List.of("/data", "/tmp"), s.map(Path::toString).sorted().toList());
        }
        assertTrue(Files.exists(repository.resolve("data/x")));
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> root.vfs.mount("other", "/data"));
        assertThrows(FileSystemException.class, () -> Files.delete(root.vfs.path("/tmp")));
        assertEquals(Errno.EACCES, assertThrows(Failure.class, () -> root.client.stat("tmp/a/../../x")).errno());
        assertThrows(AccessDeniedException.class, () -> { throw Errno.EACCES.exception("/x", null, "test"); });
    }

    @Test
    void shouldMakeOldHandlesStaleWhenTheServerRestartsAndKeepTheData() throws Exception {
        Path p = root.vfs.path("/tmp/swap");
        Files.writeString(p, "before the new build");
        FileChannel old = (FileChannel) Files.newByteChannel(p);
        FileMapping m = root.vfs.map(p, 0, 4096, false);
        // a new build of the bundle: the old server writes back and stops, a new one takes the same cache
        root.server.close();
        try (var server = VfsProcess.serve(root.kernel, repository, 256, 512)) {
            FileSystemException e = assertThrows(FileSystemException.class, () -> old.read(ByteBuffer.allocate(8), 0));
            assertTrue(e.getReason().startsWith("ESTALE"), e.getReason());
            assertEquals("before the new build", Files.readString(p), "written back by the old server, read through the new one");
            assertFalse(m.isValid(), "a mapping of the old cache is invalid once the client meets the new server");
            Files.writeString(p, "after");
            assertEquals("after", Files.readString(p));
        } finally {
            old.close();
            m.close();
        }
    }
}
