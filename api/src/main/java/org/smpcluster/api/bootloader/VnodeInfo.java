package org.smpcluster.api.bootloader;

import java.util.List;

/**
 * A vnode as the bootloader sees it.
 *
 * @param id its id
 * @param state {@code BOOTING}, {@code JOINED}, {@code FAILED}, {@code STOPPED}
 * @param cpus the CPUs it is pinned to
 * @param regionOffset where its memory region starts in physical memory
 * @param regionSize its memory region's size
 * @param devices the devices it may use
 * @param pid its process, or 0
 * @param uptimeMillis how long its current process has run, or 0
 * @param imageDigest the SHA-256 of the kernel image it booted
 * @param restarts how many times the bootloader restarted it
 */
public record VnodeInfo(int id, String state, List<Integer> cpus, long regionOffset, long regionSize,
        List<String> devices, long pid, long uptimeMillis, String imageDigest, int restarts) {

    public VnodeInfo {
        cpus = List.copyOf(cpus);
        devices = List.copyOf(devices);
    }
}
