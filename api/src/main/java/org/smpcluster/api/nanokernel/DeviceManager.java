package org.smpcluster.api.nanokernel;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Device attribution. The root keeps the device table; attribution is exclusive. Every vnode
 * learns its own devices from the root and registers each as a {@link Device} service. Only
 * the root may add, assign and move devices; another vnode asking gets an
 * {@link IllegalStateException}.
 */
@ProviderType
public interface DeviceManager {

    /** On the root: every device. On another vnode: the devices it owns. */
    List<DeviceInfo> devices();

    /**
     * Root: adds a device, unassigned, with its own interrupt vector.
     *
     * @throws IllegalArgumentException for a malformed address, an address in use, or a class,
     *         name or backing that does not fit the table
     */
    DeviceInfo add(String address, String deviceClass, String name, String backing);

    /**
     * Root: gives an unassigned device to {@code vnode}, which hot-plugs it.
     *
     * @throws IllegalStateException when another vnode owns it (the message names the owner)
     */
    void assign(String address, int vnode);

    /**
     * Root: moves a device to {@code vnode}: hot-unplug on its owner (which acknowledges), owner
     * changed, hot-plug on {@code vnode}, interrupts routed there. Returns when both sides have
     * acknowledged.
     */
    void move(String address, int vnode);

    /**
     * Root: takes a device back from its owner (hot-unplug, acknowledged), leaving it unassigned;
     * a device nobody owns is left as it is.
     *
     * @throws IllegalArgumentException for an address that is not in the table
     */
    void unassign(String address);

    /**
     * Root: the devices the nanokernel took back from {@code vnode} when it last died or left
     * and that nobody has been given since, in address order: what a restart of that vnode
     * boots with, so that a device moved to it stays with it and one moved away stays away.
     */
    List<String> reclaimed(int vnode);

    /** Raises the device's interrupt vector on the vnode that owns it. */
    void raise(String address);
}
