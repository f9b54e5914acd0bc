package org.smpcluster.api.bootloader;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The kernel-mode bootloader (the paper's KMB), on the root vnode: boots vnodes from the
 * running one in seven steps (region, map, copy image and parameters, mark, devices, start,
 * unmap), watches them, and restarts the ones that fail according to their policy.
 */
@ProviderType
public interface Bootloader {

    /**
     * Boots a vnode and returns once it has joined the cluster.
     *
     * @param progress told of each step with its time, for people (verbose mode)
     * @throws IllegalArgumentException for a spec that cannot be booted here
     * @throws IllegalStateException when a step fails or the vnode does not join in time
     */
    VnodeInfo boot(VnodeSpec spec, Consumer<String> progress);

    /** Boots every vnode of a checked configuration but the root, in id order. */
    List<VnodeInfo> boot(ClusterConfig config, Consumer<String> progress);

    /** Stops a vnode: it leaves the cluster and its process ends; it is not restarted. */
    void stop(int vnode);

    /** Stops a vnode if it runs and boots it again with the same spec. */
    VnodeInfo restart(int vnode, Consumer<String> progress);

    /** The recent output of vnode {@code vnode}'s process (its last lines), for people and tests. */
    String log(int vnode);

    /**
     * How many standby JVMs are ready: started for a memory size, the image's bundles
     * installed, waiting to become the next vnode of that size (a boot or a restart).
     */
    int readyStandbys();

    /** The vnodes this bootloader knows: booted, running, failed or stopped. */
    List<VnodeInfo> vnodes();

    /**
     * Reads and validates a cluster configuration file without booting anything.
     *
     * @throws ConfigException listing every problem, each with file, line and what to change
     */
    ClusterConfig check(Path file);
}
