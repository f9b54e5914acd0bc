package org.smpcluster.nanokernel.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
    void shouldRefuseBadNamesAndSizes() {
        assertThrows(IllegalArgumentException.class, () -> Physmem.pathOf(dir, "../etc"));
        assertThrows(IllegalArgumentException.class, () -> Physmem.pathOf(dir, ""));
        assertThrows(IllegalArgumentException.class, () -> Physmem.create(dir, "eps", ControlArea.SIZE));
        assertThrows(IllegalArgumentException.class, () -> Physmem.create(dir, "eps", SIZE + 1));
    }
}
