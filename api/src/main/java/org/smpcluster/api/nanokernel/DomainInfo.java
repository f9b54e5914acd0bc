package org.smpcluster.api.nanokernel;

import java.util.Map;

/**
 * One domain of an interrupt pipeline, for listings.
 *
 * @param name the domain's name
 * @param priority its priority; higher runs first
 * @param stallDepth how many stalls are open on it (0: running)
 * @param handled hits handled by the domain's handlers, per vector
 * @param logged hits logged while stalled and not yet replayed, per vector
 */
public record DomainInfo(String name, int priority, int stallDepth, Map<Integer, Long> handled,
        Map<Integer, Long> logged) {

    public DomainInfo {
        handled = Map.copyOf(handled);
        logged = Map.copyOf(logged);
    }
}
