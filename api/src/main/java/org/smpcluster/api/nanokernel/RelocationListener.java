package org.smpcluster.api.nanokernel;

import org.osgi.annotation.versioning.ConsumerType;

/** Told that a transient bridge moved; {@link Bridge#segment()} now returns the new place. */
@ConsumerType
@FunctionalInterface
public interface RelocationListener {

    /**
     * Called on this vnode after {@code bridge} moved from physical offset {@code from} to
     * {@code to}, with its contents, before its users are let in again.
     */
    void relocated(Bridge bridge, long from, long to);
}
