package org.smpcluster.api.nanokernel;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Handles an interrupt vector in one domain of the vnode's interrupt pipeline. Register an
 * implementation as an OSGi service (whiteboard) with the properties {@value #VECTOR} (an
 * Integer) and {@value #DOMAIN} (a domain's name; {@link InterruptPipeline#KERNEL} if absent):
 * the pipeline attaches it while the service is registered, so a driver bundle that comes and
 * goes attaches and detaches its handlers.
 */
@ConsumerType
public interface InterruptHandler {

    /** Service property: the vector handled. */
    String VECTOR = "smpcluster.irq.vector";

    /** Service property: the domain the handler is attached to. */
    String DOMAIN = "smpcluster.irq.domain";

    /**
     * Handles {@code hits} occurrences of {@code vector} (a portal raised several times before
     * the vnode got to it is delivered once with its count).
     *
     * @return true to pass the interrupt on to lower-priority domains, false to end its
     *         propagation here
     */
    boolean handle(int vector, long hits);
}
