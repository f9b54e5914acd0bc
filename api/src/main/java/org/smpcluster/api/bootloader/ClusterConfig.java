package org.smpcluster.api.bootloader;

import java.util.List;

/**
 * A checked cluster configuration.
 *
 * @param name the cluster's name
 * @param physmem the physical memory's size in bytes
 * @param overcommit whether vnodes may share CPUs
 * @param vnodes every vnode, the root (id 0) first
 * @param devices the devices
 * @param networks the networks
 */
public record ClusterConfig(String name, long physmem, boolean overcommit, List<VnodeSpec> vnodes,
        List<DeviceSpec> devices, List<NetworkSpec> networks) {

    public ClusterConfig {
        vnodes = List.copyOf(vnodes);
        devices = List.copyOf(devices);
        networks = List.copyOf(networks);
    }

    /** A device of the cluster: PCI-style address, class, name, host resource behind it. */
    public record DeviceSpec(String address, String deviceClass, String name, String backing) {
    }

    /** A network: a name (its wire bridge) and the IPv4 subnet its vnodes get addresses in. */
    public record NetworkSpec(String name, String subnet) {
    }
}
