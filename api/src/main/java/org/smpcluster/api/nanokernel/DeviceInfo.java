package org.smpcluster.api.nanokernel;

/**
 * One device of the root's device table.
 *
 * @param address PCI-style address, {@code DDDD:BB:SS.F} in hex, e.g. {@code 0000:00:04.0}
 * @param deviceClass what kind of device: {@code storage}, {@code net}, {@code console}, ...
 * @param name a name for people
 * @param backing the host resource behind it: a directory, {@code tcp:PORT}, ...
 * @param owner the vnode that owns it, or {@link #UNASSIGNED}
 * @param vector the interrupt vector the device raises on its owner
 */
public record DeviceInfo(String address, String deviceClass, String name, String backing, int owner, int vector) {

    /** {@link #owner()} of a device no vnode owns. */
    public static final int UNASSIGNED = -1;
}
