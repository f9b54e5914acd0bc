package org.smpcluster.nanokernel.irq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.smpcluster.api.nanokernel.DomainInfo;
import org.smpcluster.api.nanokernel.InterruptPipeline;
import org.smpcluster.api.nanokernel.InterruptPipeline.Stall;

class PipelineTest {

    private final Pipeline pipeline = new Pipeline();
    /** What the handlers saw, as "domain:vector x hits". */
    private final List<String> seen = new ArrayList<>();

    private void record(String domain, int vector, boolean propagate) {
        pipeline.attach(domain, vector, (v, hits) -> {
            seen.add(domain + ":" + v + "x" + hits);
            return propagate;
        });
    }

    @Test
    void shouldPropagateFromTheHighestPriorityDomainDown() {
        pipeline.addDomain("rt", 300);
        record(InterruptPipeline.KERNEL, 20, true);
        record("rt", 20, true);
        record(InterruptPipeline.NANOKERNEL, 20, true);

        pipeline.trigger(20);

        assertEquals(List.of("rt:20x1", "nanokernel:20x1", "kernel:20x1"), seen);
    }

    @Test
    void shouldStopPropagationWhenAHandlerEndsIt() {
        record(InterruptPipeline.NANOKERNEL, 21, false);
        record(InterruptPipeline.KERNEL, 21, true);

        pipeline.trigger(21);

        assertEquals(List.of("nanokernel:21x1"), seen);
    }

    @Test
    void shouldLogWhileStalledAndPassNothingOn() {
        record(InterruptPipeline.NANOKERNEL, 22, true);
        record(InterruptPipeline.KERNEL, 22, true);
        pipeline.addDomain("idle", 10);
        record("idle", 22, true);

        try (Stall stall = pipeline.stall(InterruptPipeline.KERNEL)) {
            pipeline.dispatch(22, 3);
            assertEquals(List.of("nanokernel:22x3"), seen, "the stalled stage and those below see nothing");
            DomainInfo kernel = info(InterruptPipeline.KERNEL);
            assertEquals(1, kernel.stallDepth());
            assertEquals(Map.of(22, 3L), kernel.logged());
        }

        assertEquals(List.of("nanokernel:22x3", "kernel:22x3", "idle:22x3"), seen);
        assertEquals(Map.of(), info(InterruptPipeline.KERNEL).logged());
    }

    @Test
    void shouldReplayTheLogInArrivalOrderWithCountsKept() {
        for (int v : new int[] {30, 31, 32}) {
            record(InterruptPipeline.KERNEL, v, true);
        }
        Stall stall = pipeline.disableInterrupts();
        pipeline.trigger(31);
        pipeline.trigger(30);
        pipeline.trigger(31);
        pipeline.dispatch(32, 5);
        assertEquals(List.of(), seen);

        stall.close();

        assertEquals(List.of("kernel:31x2", "kernel:30x1", "kernel:32x5"), seen);
    }

    @Test
    void shouldReplayOnlyWhenTheOutermostOfNestedStallsCloses() {
        record(InterruptPipeline.KERNEL, 40, true);
        Stall outer = pipeline.stall(InterruptPipeline.KERNEL);
        Stall inner = pipeline.stall(InterruptPipeline.KERNEL);
        pipeline.trigger(40);

        inner.close();
        inner.close(); // closing twice is one unstall
        assertEquals(List.of(), seen);
        assertEquals(1, info(InterruptPipeline.KERNEL).stallDepth());

        outer.close();
        assertEquals(List.of("kernel:40x1"), seen);
    }

    @Test
    void shouldReplayTheLogBeforeInterruptsRaisedByTheReplay() {
        // A handler that triggers a new interrupt while the log is being replayed: the new one
        // must come after what was already logged.
        pipeline.attach(InterruptPipeline.KERNEL, 50, (v, hits) -> {
            seen.add("kernel:50");
            pipeline.trigger(52);
            return true;
        });
        record(InterruptPipeline.KERNEL, 51, true);
        record(InterruptPipeline.KERNEL, 52, true);
        try (Stall stall = pipeline.disableInterrupts()) {
            pipeline.trigger(50);
            pipeline.trigger(51);
        }
        assertEquals(List.of("kernel:50", "kernel:52x1", "kernel:51x1"), seen,
                "a synthetic interrupt raised by a handler is delivered at once, as a nested one");
    }

    @Test
    void shouldCountHandledHitsPerVectorAndDomain() {
        record(InterruptPipeline.KERNEL, 60, true);
        pipeline.dispatch(60, 4);
        pipeline.trigger(60);

        assertEquals(Map.of(60, 5L), info(InterruptPipeline.KERNEL).handled());
        assertEquals(Map.of(), info(InterruptPipeline.NANOKERNEL).handled(), "no handler, nothing counted");
    }

    @Test
    void shouldDetachAHandler() {
        Runnable detach = pipeline.attach(InterruptPipeline.KERNEL, 61, (v, h) -> {
            seen.add("x");
            return true;
        });
        detach.run();
        pipeline.trigger(61);
        assertEquals(List.of(), seen);
    }

    @Test
    void shouldKeepDeliveringWhenAHandlerThrows() {
        pipeline.attach(InterruptPipeline.NANOKERNEL, 62, (v, h) -> {
            throw new IllegalStateException("broken driver");
        });
        record(InterruptPipeline.KERNEL, 62, true);

        pipeline.trigger(62);

        assertEquals(List.of("kernel:62x1"), seen);
    }

    @Test
    void shouldRefuseBadVectorsAndUnknownDomains() {
        assertThrows(IllegalArgumentException.class, () -> pipeline.trigger(64));
        assertThrows(IllegalArgumentException.class, () -> pipeline.trigger(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pipeline.stall("linux"));
        assertEquals("no interrupt domain 'linux'; domains are [nanokernel, kernel]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pipeline.addDomain("kernel", 5));
    }

    private DomainInfo info(String name) {
        return pipeline.domains().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }
}
