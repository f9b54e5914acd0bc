package org.smpcluster.nanokernel.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.Bridge;
import org.smpcluster.api.nanokernel.BridgeInfo;
import org.smpcluster.nanokernel.Kernel;
import org.smpcluster.nanokernel.layout.ControlArea;

/** Transient bridges on the root: compaction, freezing, callbacks, contents kept. */
class RelocationTest {

    private static final long PAGE = ControlArea.PAGE_SIZE;

    @TempDir
    Path dir;

    private Kernel root;

    @BeforeEach
    void boot() {
        root = Kernel.boot(Kernel.Config.root(dir, "reloc", 8L << 20));
    }

    @AfterEach
    void shutDown() {
        root.close();
    }

    @Test
    void shouldSlideATransientBridgeIntoTheHoleBelowKeepingItsBytesAndTellingItsUser() {
        List<String> calls = new ArrayList<>();
        Bridge below = root.bridges().open("below", PAGE);
        Bridge moving = root.bridges().openTransient("moving", 2 * PAGE,
                (b, from, to) -> calls.add(b.name() + " " + from + "->" + to));
        try (Bridge pinned = root.bridges().open("pinned", PAGE)) {
            fill(moving.segment(), 7);
            below.close();

            long moved = root.bridges().compact();

            assertEquals(2 * PAGE, moved);
            assertEquals(List.of("moving " + (ControlArea.SIZE + PAGE) + "->" + ControlArea.SIZE), calls);
            assertEquals(ControlArea.SIZE, info("moving").offset());
            assertEquals(ControlArea.SIZE + 3 * PAGE, info("pinned").offset(), "a fixed bridge stays put");
            assertTrue(holds(moving.segment(), 7), "the bytes moved with the bridge");
            try (Bridge.Access access = moving.access()) {
                assertEquals(ControlArea.SIZE, access.segment().address() - root.physmem().segment().address());
            }
            assertEquals(0, root.bridges().compact(), "nothing left to move");
        } finally {
            moving.close();
        }
    }

    @Test
    void shouldFreezeUntilOpenAccessesCloseAndHoldNewOnesBack() throws Exception {
        Bridge below = root.bridges().open("below", PAGE);
        Bridge moving = root.bridges().openTransient("moving", PAGE, (b, from, to) -> { });
        fill(moving.segment(), 3);
        below.close();
        CompletableFuture<Long> compaction = new CompletableFuture<>();
        CompletableFuture<Void> accessClosed = new CompletableFuture<>();
        Thread user = Thread.ofPlatform().start(() -> {
            try (Bridge.Access access = moving.access()) {
                Thread.ofPlatform().start(() -> compaction.complete(root.bridges().compact()));
                awaitFrozen("moving");
                assertFalse(compaction.isDone(), "the move waits for the open access");
                assertTrue(holds(access.segment(), 3));
            }
            accessClosed.complete(null);
        });
        assertEquals(PAGE, compaction.get(10, TimeUnit.SECONDS));
        accessClosed.get(10, TimeUnit.SECONDS);
        user.join();
        assertTrue(holds(moving.segment(), 3));
        moving.close();
    }

    @Test
    void shouldRefuseToMixTransientAndFixedOpensOfOneBridge() {
        try (Bridge t = root.bridges().openTransient("t", PAGE, (b, from, to) -> { })) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> root.bridges().open("t", PAGE));
            assertTrue(e.getMessage().contains("transient"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> root.bridges().openTransient("u", PAGE, null));
    }

    private BridgeInfo info(String name) {
        return root.bridges().bridges().stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
    }

    private void awaitFrozen(String name) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (root.bridges().bridges().stream().noneMatch(b -> b.name().equals(name))
                || !org.smpcluster.nanokernel.layout.BridgeDirectoryDescriptor.read(root.physmem().segment(),
                        index(name)).frozen()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " never froze");
            }
            Thread.onSpinWait();
        }
    }

    private int index(String name) {
        return BridgeTable.active(root.physmem().segment()).stream().filter(e -> e.name().equals(name))
                .findFirst().orElseThrow().index();
    }

    private static void fill(MemorySegment s, int seed) {
        for (long i = 0; i < s.byteSize(); i += 8) {
            s.set(ValueLayout.JAVA_LONG, i, i * 31 + seed);
        }
    }

    private static boolean holds(MemorySegment s, int seed) {
        for (long i = 0; i < s.byteSize(); i += 8) {
            if (s.get(ValueLayout.JAVA_LONG, i) != i * 31 + seed) {
                return false;
            }
        }
        return true;
    }
}
