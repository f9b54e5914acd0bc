package org.smpcluster.api.nanokernel;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The vnode's interrupt pipeline, as in Adeos/I-pipe: prioritized domains, each a stage of the
 * pipeline. An interrupt enters at the highest-priority domain and propagates down, handled by
 * each domain's handlers for its vector, until a handler ends the propagation. A stalled stage
 * logs the interrupts that reach it (counts per vector, in arrival order) and passes nothing
 * on; unstalling replays its log, in order, before any new interrupt.
 */
@ProviderType
public interface InterruptPipeline {

    /** The nanokernel's own domain, ahead of every other. */
    String NANOKERNEL = "nanokernel";

    /** The vnode's kernel (the OSGi kernel and its drivers). */
    String KERNEL = "kernel";

    /**
     * Stalls {@code domain}'s stage until the returned guard is closed. Stalls nest: the stage
     * runs again when the last guard is closed.
     *
     * @throws IllegalArgumentException for an unknown domain
     */
    Stall stall(String domain);

    /** The kernel domain's "disable interrupts": a stall of its stage. */
    default Stall disableInterrupts() {
        return stall(KERNEL);
    }

    /** Raises a synthetic (software) interrupt on this vnode, through the same pipeline. */
    void trigger(int vector);

    /** Adds a domain at {@code priority} (higher runs first). */
    void addDomain(String name, int priority);

    /** The domains, highest priority first, with their counters. */
    List<DomainInfo> domains();

    /** An open stall; closing it unstalls (once). */
    interface Stall extends AutoCloseable {
        @Override
        void close();
    }
}
