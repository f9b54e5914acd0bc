package org.smpcluster.nanokernel.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.nanokernel.Kernel;

/** {@code BridgeManager.peek}: a read-only look at another vnode's local bridge that never creates one. */
class PeekTest {

    @TempDir
    Path dir;

    private Kernel root;

    @BeforeEach
    void boot() {
        root = Kernel.boot(Kernel.Config.root(dir, "peek", 8L << 20));
    }

    @AfterEach
    void shutDown() {
        root.close();
    }

    @Test
    void shouldSeeWhatTheOwnerWritesAndRefuseToWrite() {
        try (Bridge own = root.bridges().open(3, "proc", 4096)) {
            own.segment().set(ValueLayout.JAVA_LONG, 8, 0x1234_5678_9abcL);
            Bridge peek = root.bridges().peek(3, "proc").orElseThrow();
            assertEquals(3, peek.owner());
            assertEquals(4096, peek.size());
            assertEquals(0x1234_5678_9abcL, peek.segment().get(ValueLayout.JAVA_LONG, 8));
            own.segment().set(ValueLayout.JAVA_LONG, 8, 42L);
            assertEquals(42L, peek.segment().get(ValueLayout.JAVA_LONG, 8), "the same memory, not a copy");
            assertTrue(peek.segment().isReadOnly());
            assertThrows(IllegalArgumentException.class, () -> peek.segment().set(ValueLayout.JAVA_LONG, 8, 1L));
        }
    }

    @Test
    void shouldNotCreateABridgeThatIsNotThere() {
        assertTrue(root.bridges().peek(3, "proc").isEmpty());
        assertTrue(root.bridges().peek(2, "proc").isEmpty());
        assertTrue(root.bridges().bridges().stream().noneMatch(b -> b.name().equals("proc")), "peek created nothing");
        try (Bridge other = root.bridges().open(2, "other", 4096)) {
            assertTrue(root.bridges().peek(2, "proc").isEmpty(), "a bridge of another name is not it");
            assertTrue(root.bridges().peek(3, "other").isEmpty(), "nor one of another vnode");
        }
    }

    @Test
    void shouldNotKeepABridgeAliveAndSayItIsGone() {
        Bridge own = root.bridges().open(3, "proc", 4096);
        Bridge peek = root.bridges().peek(3, "proc").orElseThrow();
        own.close();
        assertTrue(root.bridges().bridges().stream().noneMatch(b -> b.name().equals("proc")),
                "the owner's close freed it although a peek was open");
        IllegalStateException gone = assertThrows(IllegalStateException.class, peek::segment);
        assertTrue(gone.getMessage().contains("is gone"), gone.getMessage());
    }

    @Test
    void shouldRefuseABadVnodeOrName() {
        assertThrows(IllegalArgumentException.class, () -> root.bridges().peek(-1, "proc"));
        assertThrows(IllegalArgumentException.class, () -> root.bridges().peek(64, "proc"));
        assertThrows(IllegalArgumentException.class, () -> root.bridges().peek(1, ""));
    }
}
