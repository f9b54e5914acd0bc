package org.smpcluster.nanokernel.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.nanokernel.layout.ControlArea;
import org.smpcluster.nanokernel.layout.HeaderDescriptor;

class PhysmemTest {

    private static final long SIZE = ControlArea.SIZE + 64 * ControlArea.PAGE_SIZE;

    @TempDir
    Path dir;

    @Test
    void shouldLayOutAndPublishTheHeader() {
        try (Physmem root = Physmem.create(dir, "alpha", SIZE)) {
            assertEquals(dir.resolve("smpcluster-alpha"), root.path());
            assertEquals(HeaderDescriptor.LAYOUT_VERSION, HeaderDescriptor.layoutVersion(root.segment()));
            assertEquals(SIZE, HeaderDescriptor.physmemSize(root.segment()));
            assertEquals(ControlArea.SIZE, HeaderDescriptor.controlSize(root.segment()));
            assertEquals("alpha", HeaderDescriptor.clusterName(root.segment()));
            assertEquals(ProcessHandle.current().pid(), HeaderDescriptor.rootPid(root.segment()));
        }
    }

    @Test
    void shouldShareBytesBetweenRootAndJoinerAndRemoveTheFileWithTheRoot() throws Exception {
        Path file;
        try (Physmem root = Physmem.create(dir, "beta", SIZE);
                Physmem joiner = Physmem.attach(dir, "beta", Duration.ofSeconds(1))) {
            file = root.path();
            root.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, ControlArea.SIZE, 0xC0FFEEL);
            assertEquals(0xC0FFEEL, joiner.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, ControlArea.SIZE));
            joiner.close();
            assertTrue(Files.exists(file), "a joiner leaving keeps the file");
        }
        assertFalse(Files.exists(file), "the root removes the file");
    }

    @Test
    void shouldGiveUpJoiningAtTheDeadlineWithAClearMessage() {
        long start = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Physmem.attach(dir, "nobody", Duration.ofMillis(200)));
        assertTrue(System.nanoTime() - start >= 200_000_000L);
        assertTrue(e.getMessage().contains("no root published cluster 'nobody'"), e.getMessage());
    }

    @Test
    void shouldRefuseToJoinAStaleRoot() {
        try (Physmem root = Physmem.create(dir, "gamma", SIZE)) {
            HeaderDescriptor.rootHeartbeat(root.segment(), System.nanoTime() - Duration.ofSeconds(10).toNanos());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Physmem.attach(dir, "gamma", Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains("heartbeat"), e.getMessage());
        }
    }

    @Test
    void shouldRefuseASecondLiveRootButReplaceADeadOnesFile() {
        try (Physmem root = Physmem.create(dir, "delta", SIZE)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Physmem.create(dir, "delta", SIZE));
            assertTrue(e.getMessage().contains("is running"), e.getMessage());

            HeaderDescriptor.rootHeartbeat(root.segment(), System.nanoTime() - Duration.ofSeconds(10).toNanos());
            try (Physmem again = Physmem.create(dir, "delta", SIZE)) {
                assertEquals(HeaderDescriptor.LAYOUT_VERSION, HeaderDescriptor.layoutVersion(again.segment()));
            }
        }
    }

    @Test
    void shouldCreateTheFileForItsOwnerAlone() throws Exception {
        try (Physmem root = Physmem.create(dir, "zeta", SIZE)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.path())));
        }
    }

    @Test
    void shouldRefuseAClusterNameSquattedByAnotherUserInOneLineNamingTheOwner() throws Exception {
        assumeTrue(Physmem.myUid() == 0, "only root can make a file another user's; this test runs as root in CI");
        Path squatted = dir.resolve("smpcluster-eta");
        // Another user's file with a header that passes for a live root's: magic, version, a fresh
        // heartbeat and this very process's pid.
        try (Physmem fake = Physmem.create(dir, "eta", SIZE)) {
            Files.copy(fake.path(), dir.resolve("copy"));
        }
        Files.move(dir.resolve("copy"), squatted);
        Files.setAttribute(squatted, "unix:uid", 65534);

        ClusterUnavailableException e = assertThrows(ClusterUnavailableException.class,
                () -> Physmem.create(dir, "eta", SIZE));
        String owner = Files.getOwner(squatted).getName();
        assertEquals("cluster 'eta' is taken by another user: " + squatted + " belongs to user '" + owner
                + "' (uid 65534), not to you (uid 0); choose another cluster name (--cluster NAME) or ask " + owner
                + " to remove it", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(Files.exists(squatted), "another user's file is left alone");
        assertThrows(ClusterUnavailableException.class, () -> Physmem.attach(dir, "eta", Duration.ofMillis(100)),
                "a joiner does not map another user's file either");
    }

    @Test
    void shouldRefuseALinkWhereThePhysmemFileGoes() throws Exception {
        Path target = Files.createFile(dir.resolve("elsewhere"));
        Files.createSymbolicLink(dir.resolve("smpcluster-theta"), target);
        ClusterUnavailableException e = assertThrows(ClusterUnavailableException.class,
                () -> Physmem.create(dir, "theta", SIZE));
        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
        assertEquals(0, Files.size(target), "nothing written through the link");
    }

    @Test
    void shouldRefuseBadNamesAndSizes() {
        assertThrows(IllegalArgumentException.class, () -> Physmem.pathOf(dir, "../etc"));
        assertThrows(IllegalArgumentException.class, () -> Physmem.pathOf(dir, ""));
        assertThrows(IllegalArgumentException.class, () -> Physmem.create(dir, "eps", ControlArea.SIZE));
        assertThrows(IllegalArgumentException.class, () -> Physmem.create(dir, "eps", SIZE + 1));
    }
}
