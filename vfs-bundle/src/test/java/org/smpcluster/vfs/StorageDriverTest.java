package org.smpcluster.vfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.DeviceInfo;
import org.smpcluster.api.nanokernel.Nanokernel;
import org.smpcluster.api.nanokernel.VnodeState;

/** The storage driver makes its directory and files this user's alone, and follows no link in them. */
class StorageDriverTest {

    @TempDir
    Path tmp;

    static Nanokernel vnode(int id) {
        return new Nanokernel() {
            @Override
            public String clusterName() {
                return "test";
            }

            @Override
            public int vnodeId() {
                return id;
            }

            @Override
            public String physmemPath() {
                return "/dev/null";
            }

            @Override
            public long physmemSize() {
                return 0;
            }

            @Override
            public List<VnodeState> vnodes() {
                return List.of();
            }

            @Override
            public boolean rootGone() {
                return false;
            }

            @Override
            public Thread kernelThread(String name, Runnable body) {
                return Thread.ofPlatform().daemon().name(name).unstarted(body);
            }

            @Override
            public void panic(String reason, Throwable cause) {
                throw new AssertionError("panic: " + reason, cause);
            }
        };
    }

    @Test
    void shouldMakeItsDirectoryAndFilesOwnerOnlyAndFollowNoLink() throws IOException {
        Path disk = tmp.resolve("disks/disk0");
        Files.writeString(tmp.resolve("secret"), "OUTSIDE");
        StorageDriver driver = new StorageDriver(vnode(1));
        DeviceInfo info = new DeviceInfo("0000:00:04.0", "storage", "disk0", disk.toString(), 1, 33);
        driver.plug(() -> info);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(disk)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(disk.resolve(StorageDriver.OWNER))));
        assertEquals("wrote " + disk.resolve("note"), driver.write("note", "hello"));
        assertEquals("hello\n", driver.cat("note"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(disk.resolve("note"))));
        Files.createSymbolicLink(disk.resolve("link"), tmp.resolve("secret"));
        assertThrows(IOException.class, () -> driver.cat("link"));
        assertThrows(IOException.class, () -> driver.write("link", "overwritten"));
        assertEquals("OUTSIDE", Files.readString(tmp.resolve("secret")));
        assertThrows(IllegalArgumentException.class, () -> driver.cat("../secret"));
        assertFalse(driver.ls().contains("OUTSIDE"));
        assertTrue(driver.ls().contains("note"), driver.ls());
    }
}
