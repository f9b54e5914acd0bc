package org.smpcluster.api.bootloader;

import java.util.List;

/**
 * What to boot.
 *
 * @param id the vnode id, 1..15 (0 is the root)
 * @param cpus the host CPUs it is pinned to
 * @param memory its memory in bytes: the region in physical memory and the basis of its heap limit
 * @param devices the addresses of the devices it may use
 * @param restart what to do when it fails
 * @param image the kernel image jar to boot, or null for the root's own image
 */
public record VnodeSpec(int id, List<Integer> cpus, long memory, List<String> devices, RestartPolicy restart,
        String image) {

    public VnodeSpec {
        cpus = List.copyOf(cpus);
        devices = List.copyOf(devices);
    }

    /** A vnode that boots the root's own image. */
    public VnodeSpec(int id, List<Integer> cpus, long memory, List<String> devices, RestartPolicy restart) {
        this(id, cpus, memory, devices, restart, null);
    }
}
