package org.smpcluster.api.nanokernel;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A device this vnode owns, registered as an OSGi service by the vnode's nanokernel while the
 * vnode owns it, with the service properties {@value #ADDRESS}, {@value #CLASS} and
 * {@value #NAME}. Drivers bind to devices by class, e.g. {@code (device.class=storage)}; when
 * the device moves to another vnode its service goes away here (hot-unplug) and appears there
 * (hot-plug).
 */
@ProviderType
public interface Device {

    /** Service property: the PCI-style address, e.g. {@code 0000:00:04.0}. */
    String ADDRESS = "device.address";

    /** Service property: the device class, e.g. {@code storage}, {@code net}, {@code console}. */
    String CLASS = "device.class";

    /** Service property: the device's name. */
    String NAME = "device.name";

    /** The device as the root's device table records it. */
    DeviceInfo info();
}
