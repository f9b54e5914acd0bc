package org.smpcluster.api.vnet;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives frames from a {@link Nic}, on its receive thread. */
@ConsumerType
@FunctionalInterface
public interface FrameListener {

    /** A frame arrived (its FCS checked and stripped; its payload as received, padding included). */
    void received(Nic nic, EthernetFrame frame);
}
