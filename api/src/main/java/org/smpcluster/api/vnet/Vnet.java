package org.smpcluster.api.vnet;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** The vnode's virtual network driver: its NICs, one per network. */
@ProviderType
public interface Vnet {

    /** The NICs of this vnode, in the order their networks were attached. */
    List<Nic> nics();

    /** The NIC on {@code network}, if this vnode has one. */
    Optional<Nic> nic(String network);

    /**
     * Attaches this vnode to {@code network} (creating its wire if no vnode has) and returns its
     * NIC there; if already attached, returns that NIC.
     *
     * @param subnet the network's IPv4 subnet in CIDR form, e.g. {@code 10.0.0.0/24}; ignored if
     *        the wire exists already (the wire's own wins)
     * @throws IllegalArgumentException for a bad name or subnet
     */
    Nic attach(String network, String subnet);
}
