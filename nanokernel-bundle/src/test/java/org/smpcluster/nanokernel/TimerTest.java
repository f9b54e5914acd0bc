package org.smpcluster.nanokernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smpcluster.api.nanokernel.DomainInfo;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.Portals;

class TimerTest {

    @TempDir
    Path dir;

    @Test
    void shouldTickThroughThePipelineAndBeLoggedWhileInterruptsAreDisabled() {
        try (Kernel root = Kernel.boot(Kernel.Config.root(dir, "timer", 8L << 20).withTimerHz(500))) {
            AtomicLong ticks = new AtomicLong();
            root.pipeline().attach(InterruptPipeline.KERNEL, Portals.VECTOR_TIMER, (v, hits) -> {
                ticks.addAndGet(hits);
                return true;
            });
            await("ticks", ticks::get, 10);

            long logged;
            long before;
            try (InterruptPipeline.Stall off = root.pipeline().disableInterrupts()) {
                before = ticks.get();
                await("logged ticks", () -> kernelDomain(root).logged().getOrDefault(Portals.VECTOR_TIMER, 0L), 5);
                assertEquals(before, ticks.get(), "no tick handled while interrupts are disabled");
                logged = kernelDomain(root).logged().get(Portals.VECTOR_TIMER);
            }
            assertTrue(ticks.get() >= before + logged, "the logged ticks were replayed on unstall");
        }
    }

    private static DomainInfo kernelDomain(Kernel k) {
        return k.pipeline().domains().stream().filter(d -> d.name().equals(InterruptPipeline.KERNEL))
                .findFirst().orElseThrow();
    }

    private static void await(String what, LongSupplier value, long atLeast) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (value.getAsLong() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": " + value.getAsLong() + " < " + atLeast + " after 10 s");
            }
            Thread.onSpinWait();
        }
    }
}
